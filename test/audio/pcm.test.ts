import { describe, expect, it } from 'vitest';
import { fullScale, quantize } from '../../src/main/audio/pcm';

describe('pcm quantisation', () => {
  it('uses the largest positive integer as full scale', () => {
    expect([fullScale(8), fullScale(16), fullScale(24), fullScale(32)]).toEqual([127, 32767, 8388607, 2147483647]);
  });

  it('clamps to [-1, 1] and rounds to the nearest step', () => {
    const values = [0, 1, -1, 0.5, -0.5, 2, -2, 1e-9, 0.25 / 32767, 0.75 / 32767].map((x) => quantize(x, 32767));
    expect(values).toEqual([0, 32767, -32767, 16384, -16383, 32767, -32767, 0, 0, 1]);
  });

  it('turns NaN into silence instead of an arbitrary value', () => {
    expect(quantize(NaN, 32767)).toBe(0);
  });

  it('returns every 16-bit integer unchanged after a float32 decode (re-saving never drifts)', () => {
    const scale = fullScale(16);
    const changed: number[] = [];
    for (let k = -scale; k <= scale; k++) {
      if (quantize(Math.fround(k / scale), scale) !== k) changed.push(k);
    }
    expect(changed).toEqual([]);
  });

  it('does the same for 24-bit integers, including the extremes', () => {
    const scale = fullScale(24);
    const samples = [-scale, -scale + 1, -1, 0, 1, 4194304, scale - 1, scale];
    for (let k = -scale; k <= scale; k += 9973) samples.push(k);
    expect(samples.filter((k) => quantize(Math.fround(k / scale), scale) !== k)).toEqual([]);
  });
});
