import { describe, expect, it } from 'vitest';
import { addPowerSpectrum } from '../../../src/main/audio/analysis/fft';
import { decimate, monoMix, quantile } from '../../../src/main/audio/analysis/signal';
import { audio, noise, rms, sine } from '../signals';

describe('analysis signal helpers', () => {
  it('mixes channels to mono, and hands mono back as a view', () => {
    const stereo = audio(8000, [1, 0.5, 0], [0, 0.5, -1]);
    expect(Array.from(monoMix(stereo))).toEqual([0.5, 0.5, -0.5]);
    expect(Array.from(monoMix(stereo, 1, 9))).toEqual([0.5, -0.5]);
    const mono = audio(8000, [1, 2, 3]);
    expect(monoMix(mono, 1).buffer).toBe(mono.channels[0].buffer);
  });

  it('decimates with a low-pass: a tone below the new Nyquist passes, one above is gone', () => {
    const rate = 32000;
    expect(rms(decimate(sine(1000, 1, rate), 4).subarray(100, -100))).toBeCloseTo(Math.SQRT1_2, 2);
    expect(rms(decimate(sine(7000, 1, rate), 4).subarray(100, -100))).toBeLessThan(0.01); // would alias to 1 kHz
    expect(decimate(noise(1003), 4)).toHaveLength(250);
  });

  it('computes the power spectrum of a Hann-windowed frame like a plain DFT', () => {
    const frame = noise(64, 9);
    const fast = new Float64Array(32);
    addPowerSpectrum(frame, fast);
    for (let k = 0; k < 32; k++) {
      let re = 0;
      let im = 0;
      for (let n = 0; n < 64; n++) {
        const x = frame[n] * (0.5 - 0.5 * Math.cos((2 * Math.PI * n) / 64));
        re += x * Math.cos((2 * Math.PI * k * n) / 64);
        im -= x * Math.sin((2 * Math.PI * k * n) / 64);
      }
      expect(fast[k]).toBeCloseTo(re * re + im * im, 9);
    }
    expect(() => addPowerSpectrum(new Float32Array(48), new Float64Array(24))).toThrow(RangeError);
  });

  it('interpolates quantiles between the sorted values', () => {
    expect(quantile([3, 1, 2], 0.5)).toBe(2);
    expect(quantile([4, 1, 3, 2], 0.5)).toBe(2.5);
    expect(quantile([4, 1, 3, 2, 5], 0.75)).toBe(4);
    expect(quantile([1, 2], 1)).toBe(2);
    expect(quantile([], 0.5)).toBe(0);
  });
});
