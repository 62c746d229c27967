import { describe, expect, it } from 'vitest';
import { assertAudioData, createSilence, durationSeconds, frameCount } from '../../src/main/audio/types';
import { audio } from './signals';

describe('AudioData helpers', () => {
  it('counts frames and seconds from the first channel', () => {
    const stereo = createSilence(32000, 2, 48000);
    expect(stereo.channels).toHaveLength(2);
    expect(frameCount(stereo)).toBe(48000);
    expect(durationSeconds(stereo)).toBe(1.5);
    expect(Array.from(stereo.channels[1].subarray(0, 3))).toEqual([0, 0, 0]);
  });

  it('gives silence its own array per channel', () => {
    const stereo = createSilence(48000, 2, 4);
    stereo.channels[0][0] = 1;
    expect(stereo.channels[1][0]).toBe(0);
  });

  it('accepts well-formed audio, including zero frames', () => {
    expect(() => assertAudioData(audio(44100, [0.1, 0.2], [0.3, 0.4]))).not.toThrow();
    expect(() => assertAudioData(createSilence(44100, 1, 0))).not.toThrow();
  });

  it.each([
    ['no channels', { sampleRate: 48000, channels: [] }, /no channels/],
    ['mismatched lengths', audio(48000, [0, 0, 0], [0, 0]), /Channel 1 has 2 samples but channel 0 has 3/],
    ['a zero sample rate', audio(0, [0]), /Invalid sample rate 0/],
    ['a NaN sample rate', audio(NaN, [0]), /Invalid sample rate NaN/],
    ['a fractional sample rate', audio(44100.5, [0]), /Invalid sample rate 44100.5: it must be a whole positive number of Hz/],
    ['a plain array channel', { sampleRate: 48000, channels: [[0, 1] as unknown as Float32Array] }, /Channel 0 is not a Float32Array/],
  ])('rejects %s with a clear message', (_name, bad, message) => {
    expect(() => assertAudioData(bad)).toThrow(message);
  });
});
