/**
 * The one in-memory shape of audio in Continuo. Planar (one array per channel) because edits,
 * gain and loudness work channel by channel; interleaving happens only at the file boundary.
 * Samples are nominally in [-1, 1]; values outside are kept until an integer encoder clamps
 * them, so a chain of gain changes never clips halfway.
 */
export interface AudioData {
  sampleRate: number;
  /** One array per channel, all the same length. */
  channels: Float32Array[];
}

/** Sample formats Continuo writes. Integer formats are for sharing; float32 keeps headroom. */
export type SampleFormat = 'pcm16' | 'pcm24' | 'float32';

export function frameCount(audio: AudioData): number {
  return audio.channels[0]?.length ?? 0;
}

export function durationSeconds(audio: AudioData): number {
  return frameCount(audio) / audio.sampleRate;
}

/** A silent buffer, the starting point of anything built by summing or copying into it. */
export function createSilence(sampleRate: number, channelCount: number, frames: number): AudioData {
  const channels = Array.from({ length: channelCount }, () => new Float32Array(frames));
  return { sampleRate, channels };
}

/**
 * Every entry point checks its input with this, because a mismatched channel or a zero rate
 * would otherwise surface far away as NaN audio or an out-of-range read.
 */
export function assertAudioData(audio: AudioData): void {
  if (!Number.isInteger(audio.sampleRate) || audio.sampleRate <= 0) {
    throw new RangeError(`Invalid sample rate ${audio.sampleRate}: it must be a whole positive number of Hz.`);
  }
  if (audio.channels.length === 0) {
    throw new RangeError('Audio has no channels: at least one channel is required.');
  }
  const frames = audio.channels[0].length;
  audio.channels.forEach((channel, index) => {
    if (!(channel instanceof Float32Array)) {
      throw new TypeError(`Channel ${index} is not a Float32Array.`);
    }
    if (channel.length !== frames) {
      throw new RangeError(
        `Channel ${index} has ${channel.length} samples but channel 0 has ${frames}: all channels must be the same length.`,
      );
    }
  });
}
