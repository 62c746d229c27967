import { dbToGain, toChannels } from './dsp';
import { assertAudioData, createSilence, type AudioData } from './types';

export interface MixClip {
  audio: AudioData;
  /** Where the clip starts on the timeline. Negative offsets cut off the clip's head. */
  offsetSeconds: number;
  gainDb?: number;
}

export interface MixOptions {
  sampleRate: number;
  channels: number;
  /** Length of the mix; clips reaching past it are cut. Defaults to the end of the last clip. */
  lengthSeconds?: number;
}

/**
 * Sums clips placed on a timeline into one buffer: the arrangement view's export and the
 * "bounce" of several takes. Clips are not resampled here, because doing it per mix would hide
 * a costly conversion in a cheap-looking call; a clip at another rate is an error.
 * Mono clips are spread to every mix channel. The sum is not limited: check peakDb before export.
 */
export function mixdown(clips: MixClip[], options: MixOptions): AudioData {
  const { sampleRate } = options;
  if (!(sampleRate > 0) || !Number.isInteger(options.channels) || options.channels < 1) {
    throw new RangeError(`Invalid mix format: ${options.channels} channels at ${sampleRate} Hz.`);
  }
  clips.forEach(({ audio }, index) => {
    assertAudioData(audio);
    if (audio.sampleRate !== sampleRate) {
      throw new RangeError(`Clip ${index + 1} is at ${audio.sampleRate} Hz but the mix is at ${sampleRate} Hz: resample it first.`);
    }
  });
  const placed = clips.map((clip) => ({
    channels: toChannels(clip.audio, options.channels).channels,
    offset: Math.round(clip.offsetSeconds * sampleRate),
    gain: dbToGain(clip.gainDb ?? 0),
  }));
  const length =
    options.lengthSeconds !== undefined
      ? Math.round(options.lengthSeconds * sampleRate)
      : Math.max(0, ...placed.map((clip) => clip.offset + clip.channels[0].length));

  const mix = createSilence(sampleRate, options.channels, length);
  for (const { channels, offset, gain } of placed) {
    const first = Math.max(0, -offset);
    const last = Math.min(channels[0].length, length - offset);
    mix.channels.forEach((out, c) => {
      const source = channels[c];
      for (let i = first; i < last; i++) out[offset + i] += source[i] * gain;
    });
  }
  return mix;
}
