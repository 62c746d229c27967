import { describe, expect, it } from 'vitest';
import { kWeightingFilters, loudnessLufs, normalizeLoudness, peakDb } from '../../src/main/audio/levels';
import { audio, sine } from './signals';

const dbfs = (db: number) => 10 ** (db / 20);
const concat = (...parts: Float32Array[]) => {
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  parts.reduce((offset, p) => (out.set(p, offset), offset + p.length), 0);
  return out;
};

describe('peakDb', () => {
  it('reports the sample peak across channels in dBFS', () => {
    expect(peakDb(audio(48000, [0.1, -0.25], [0.5, 0]))).toBeCloseTo(-6.0206, 4);
    expect(peakDb(audio(48000, [0, 0]))).toBe(-Infinity);
  });
});

describe('K-weighting', () => {
  it('matches the 48 kHz coefficients tabulated in ITU-R BS.1770-4', () => {
    const [shelf, highPass] = kWeightingFilters(48000);
    const table = {
      shelf: { b0: 1.53512485958697, b1: -2.69169618940638, b2: 1.19839281085285, a1: -1.69065929318241, a2: 0.73248077421585 },
      highPass: { b0: 1, b1: -2, b2: 1, a1: -1.99004745483398, a2: 0.99007225036621 },
    };
    for (const [key, value] of Object.entries(table.shelf)) expect(shelf[key as keyof typeof shelf]).toBeCloseTo(value, 7);
    for (const [key, value] of Object.entries(table.highPass)) expect(highPass[key as keyof typeof highPass]).toBeCloseTo(value, 7);
  });
});

describe('loudnessLufs (ITU-R BS.1770-4)', () => {
  it('measures a full-scale 997 Hz sine at 48 kHz as -3.01 LUFS', () => {
    expect(loudnessLufs(audio(48000, sine(997, 5, 48000)))).toBeCloseTo(-3.01, 1);
  });

  it.each([32000, 44100])('gives the same reading at %i Hz, because the filters follow the rate', (rate) => {
    expect(Math.abs(loudnessLufs(audio(rate, sine(997, 5, rate))) - -3.01)).toBeLessThan(0.1);
  });

  it('measures a -20 dBFS sine as -23 LUFS', () => {
    expect(Math.abs(loudnessLufs(audio(48000, sine(997, 5, 48000, dbfs(-20)))) - -23.01)).toBeLessThan(0.1);
  });

  it('sums channels: EBU Tech 3341 case 1, stereo 1 kHz at -23 dBFS, is -23.0 LUFS', () => {
    const tone = sine(1000, 20, 48000, dbfs(-23));
    expect(Math.abs(loudnessLufs(audio(48000, tone, tone)) - -23)).toBeLessThan(0.1);
  });

  it('gates quiet passages: EBU Tech 3341 case 3 (-36 / -23 / -36 dBFS) is still -23.0 LUFS', () => {
    const quiet = sine(1000, 5, 48000, dbfs(-36));
    const tone = concat(quiet, sine(1000, 30, 48000, dbfs(-23)), quiet);
    const reading = loudnessLufs(audio(48000, tone, tone));
    expect(Math.abs(reading - -23)).toBeLessThan(0.1);
  });

  it('gates at -70 LUFS absolute: a -80 dBFS tone has no loudness, a -60 dBFS one does', () => {
    expect(loudnessLufs(audio(48000, sine(997, 2, 48000, dbfs(-80))))).toBe(-Infinity);
    expect(Math.abs(loudnessLufs(audio(48000, sine(997, 2, 48000, dbfs(-60)))) - -63.01)).toBeLessThan(0.1);
  });

  it('ignores silence between passages', () => {
    const tone = sine(997, 20, 48000, dbfs(-20));
    const withSilence = concat(tone, new Float32Array(48000 * 20));
    // Only the three blocks straddling the edge differ; ungated, the reading would drop by 3 dB.
    expect(Math.abs(loudnessLufs(audio(48000, withSilence)) - loudnessLufs(audio(48000, tone)))).toBeLessThan(0.05);
  });

  it('returns -Infinity for silence and for audio shorter than one 400 ms block', () => {
    expect(loudnessLufs(audio(48000, new Float32Array(48000)))).toBe(-Infinity);
    expect(loudnessLufs(audio(48000, sine(997, 0.39, 48000)))).toBe(-Infinity);
  });
});

describe('normalizeLoudness', () => {
  it('applies the gain that reaches the target', () => {
    const normalized = normalizeLoudness(audio(32000, sine(440, 3, 32000, 0.1)), -14);
    expect(loudnessLufs(normalized)).toBeCloseTo(-14, 6);
  });

  it('refuses silence, which has no loudness to scale', () => {
    expect(() => normalizeLoudness(audio(32000, new Float32Array(32000)), -14)).toThrow(/silent or shorter than 0.4 s/);
  });
});
