import { describe, expect, it } from 'vitest';
import { computePeaks } from '../../src/main/audio/peaks';
import { audio, noise } from './signals';

describe('computePeaks', () => {
  it('gives the min and max of each bucket', () => {
    const ramp = Array.from({ length: 100 }, (_, i) => i / 100);
    const { min, max } = computePeaks(audio(1000, ramp), 10);
    expect(Array.from(min)).toEqual(Array.from({ length: 10 }, (_, b) => Math.fround(b / 10)));
    expect(Array.from(max)).toEqual(Array.from({ length: 10 }, (_, b) => Math.fround((b * 10 + 9) / 100)));
  });

  it('merges channels: lowest and highest of any channel', () => {
    const { min, max } = computePeaks(audio(10, [0.5, 0.1, 0.2, 0.3], [-0.5, 0.9, -0.2, 0]), 2);
    expect(Array.from(min)).toEqual([-0.5, -0.2].map(Math.fround));
    expect(Array.from(max)).toEqual([0.9, 0.3].map(Math.fround));
  });

  it('spreads uneven sample counts over buckets without gaps', () => {
    const { min, max } = computePeaks(audio(10, [1, 2, 3, 4, 5, 6, 7]), 3);
    expect(Array.from(min)).toEqual([1, 3, 5]);
    expect(Array.from(max)).toEqual([2, 4, 7]);
  });

  it('shows the underlying sample when there are more buckets than samples', () => {
    const { min, max } = computePeaks(audio(10, [0.25, -0.75]), 4);
    expect(Array.from(min)).toEqual([0.25, 0.25, -0.75, -0.75]);
    expect(Array.from(max)).toEqual(Array.from(min));
  });

  it('draws empty audio as a flat line and rejects invalid bucket counts', () => {
    expect(computePeaks(audio(10, []), 3)).toEqual({ min: new Float32Array(3), max: new Float32Array(3) });
    expect(() => computePeaks(audio(10, [0]), 0)).toThrow(/whole number of buckets/);
    expect(() => computePeaks(audio(10, [0]), 2.5)).toThrow(/whole number of buckets/);
  });

  it('handles minutes of stereo in a single fast pass', () => {
    const frames = 48000 * 180;
    const long = audio(48000, noise(frames, 1), noise(frames, 2));
    const start = performance.now();
    const { max } = computePeaks(long, 2000);
    expect(performance.now() - start).toBeLessThan(1000);
    expect(max.every((x) => x > 0.9)).toBe(true);
  });
});
