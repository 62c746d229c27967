import { assertAudioData, frameCount, type AudioData } from './types';

/**
 * Sample-level edits behind the waveform editor. Every function returns new AudioData and leaves
 * its input untouched: takes are immutable in the library, and undo relies on the original.
 */

export type FadeCurve = 'linear' | 'equal-power';

export function dbToGain(db: number): number {
  return 10 ** (db / 20);
}

export function gainToDb(gain: number): number {
  return 20 * Math.log10(gain);
}

export function applyGain(audio: AudioData, db: number): AudioData {
  assertAudioData(audio);
  const gain = dbToGain(db);
  return { sampleRate: audio.sampleRate, channels: audio.channels.map((c) => c.map((x) => x * gain)) };
}

/**
 * Fades over the first `seconds`. The first sample is exactly 0, so a clip cut mid-waveform
 * starts without a click. Equal-power keeps perceived loudness steadier than linear.
 */
export function fadeIn(audio: AudioData, seconds: number, curve: FadeCurve = 'linear'): AudioData {
  const length = fadeFrames(audio, seconds);
  return mapSamples(audio, (x, i) => (i < length ? x * fadeGain(i / length, curve) : x));
}

/** Fades over the last `seconds`; the last sample is exactly 0. */
export function fadeOut(audio: AudioData, seconds: number, curve: FadeCurve = 'linear'): AudioData {
  const length = fadeFrames(audio, seconds);
  const start = frameCount(audio) - length;
  return mapSamples(audio, (x, i) => (i >= start ? x * fadeGain((length - 1 - (i - start)) / length, curve) : x));
}

/** Keeps [startSeconds, endSeconds), clamped to the audio; an empty result is an error, not silence. */
export function trim(audio: AudioData, startSeconds: number, endSeconds: number): AudioData {
  assertAudioData(audio);
  const frames = frameCount(audio);
  const start = clamp(Math.round(startSeconds * audio.sampleRate), 0, frames);
  const end = clamp(Math.round(endSeconds * audio.sampleRate), 0, frames);
  if (end <= start) {
    throw new RangeError(
      `Trim from ${startSeconds} s to ${endSeconds} s leaves no audio (the clip is ${frames / audio.sampleRate} s long).`,
    );
  }
  return { sampleRate: audio.sampleRate, channels: audio.channels.map((c) => c.slice(start, end)) };
}

/** Mono to n channels duplicates; n channels to mono averages (no level jump for identical channels). */
export function toChannels(audio: AudioData, count: number): AudioData {
  assertAudioData(audio);
  const { sampleRate, channels } = audio;
  if (count === channels.length) return { sampleRate, channels: channels.map((c) => c.slice()) };
  if (channels.length === 1 && count > 1) return { sampleRate, channels: Array.from({ length: count }, () => channels[0].slice()) };
  if (count === 1) {
    const mono = new Float32Array(frameCount(audio));
    for (const channel of channels) for (let i = 0; i < mono.length; i++) mono[i] += channel[i] / channels.length;
    return { sampleRate, channels: [mono] };
  }
  throw new RangeError(`Cannot convert ${channels.length} channels to ${count}: only mono <-> multichannel is supported.`);
}

/**
 * Joins `a` and `b` with an equal-power crossfade of `seconds` (shortened to fit either clip),
 * so uncorrelated material such as two generated takes keeps constant loudness across the seam.
 * The result is length(a) + length(b) - overlap frames long.
 */
export function crossfade(a: AudioData, b: AudioData, seconds: number): AudioData {
  assertAudioData(a);
  assertAudioData(b);
  if (a.sampleRate !== b.sampleRate || a.channels.length !== b.channels.length) {
    throw new RangeError(
      `Cannot crossfade ${a.channels.length} ch at ${a.sampleRate} Hz with ${b.channels.length} ch at ${b.sampleRate} Hz: convert one first.`,
    );
  }
  const lengthA = frameCount(a);
  const lengthB = frameCount(b);
  const overlap = Math.min(fadeFrames(a, seconds), lengthB);
  const seam = lengthA - overlap;
  const channels = a.channels.map((channelA, c) => {
    const channelB = b.channels[c];
    const out = new Float32Array(lengthA + lengthB - overlap);
    out.set(channelA.subarray(0, seam));
    for (let i = 0; i < overlap; i++) {
      const t = i / overlap;
      out[seam + i] = channelA[seam + i] * fadeGain(1 - t, 'equal-power') + channelB[i] * fadeGain(t, 'equal-power');
    }
    out.set(channelB.subarray(overlap), lengthA);
    return out;
  });
  return { sampleRate: a.sampleRate, channels };
}

function fadeGain(t: number, curve: FadeCurve): number {
  return curve === 'linear' ? t : Math.sin((t * Math.PI) / 2);
}

function fadeFrames(audio: AudioData, seconds: number): number {
  assertAudioData(audio);
  if (!(seconds >= 0)) throw new RangeError(`Fade length must be zero or more seconds, got ${seconds}.`);
  return Math.min(Math.round(seconds * audio.sampleRate), frameCount(audio));
}

function mapSamples(audio: AudioData, fn: (sample: number, frame: number) => number): AudioData {
  return { sampleRate: audio.sampleRate, channels: audio.channels.map((c) => c.map(fn)) };
}

function clamp(value: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, value));
}
