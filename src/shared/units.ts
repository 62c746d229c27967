/**
 * Time units shared by every layer. MusicGen thinks in codec frames (50 per second at 32 kHz,
 * 640 samples each); people think in seconds; audio files count samples.
 */
export interface CodecTiming {
  sampleRate: number;
  hopLength: number;
}

export function frameRate(t: CodecTiming): number {
  return t.sampleRate / t.hopLength;
}

export function secondsToFrames(seconds: number, t: CodecTiming): number {
  return Math.round((seconds * t.sampleRate) / t.hopLength);
}

export function framesToSeconds(frames: number, t: CodecTiming): number {
  return (frames * t.hopLength) / t.sampleRate;
}

export function framesToSamples(frames: number, t: CodecTiming): number {
  return frames * t.hopLength;
}

export function secondsToSamples(seconds: number, sampleRate: number): number {
  return Math.round(seconds * sampleRate);
}

/**
 * Decoder steps for a number of new frames: the delay pattern costs `codebooks - 1` extra steps,
 * so frames = max_new_tokens + 1 - codebooks (transformers' definition).
 */
export function maxNewTokensForFrames(frames: number, codebooks: number): number {
  return frames + codebooks - 1;
}

export function framesForMaxNewTokens(maxNewTokens: number, codebooks: number): number {
  return maxNewTokens + 1 - codebooks;
}
