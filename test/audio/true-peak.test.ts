import { describe, expect, it } from 'vitest';
import { peakDb } from '../../src/main/audio';
import { limitTruePeak, truePeakDb, truePeakEnvelope } from '../../src/main/audio/true-peak';
import { audio, noise, sine } from './signals';

describe('true peak (BS.1770-4 Annex 2, 4x oversampling)', () => {
  it('finds the inter-sample peak that the sample peak misses', () => {
    // fs/4 sine at 45 degrees: every sample sits at 0.707 of the real peak of 1.0.
    const sr = 48000;
    const x = new Float32Array(sr).map((_, i) => Math.sin((2 * Math.PI * i) / 4 + Math.PI / 4));
    const a = audio(sr, x);
    expect(peakDb(a)).toBeCloseTo(-3.01, 1);
    expect(truePeakDb(a)).toBeGreaterThan(-0.3);
    expect(truePeakDb(a)).toBeLessThan(0.3);
  });

  it('equals the sample peak for a slow sine', () => {
    const a = audio(48000, sine(100, 1, 48000, 0.5));
    expect(truePeakDb(a)).toBeCloseTo(peakDb(a), 1);
  });

  it('the limiter holds the true peak at the ceiling and leaves quiet audio alone', () => {
    const loud = audio(48000, noise(48000, 3, 1.6), noise(48000, 4, 1.2));
    const limited = limitTruePeak(loud, { ceilingDb: -1 });
    expect(truePeakDb(limited)).toBeLessThanOrEqual(-1);
    expect(truePeakDb(loud)).toBeGreaterThan(3);
    const quiet = audio(48000, sine(440, 1, 48000, 0.25));
    expect(limitTruePeak(quiet, { ceilingDb: -1 }).channels[0]).toEqual(quiet.channels[0]);
  });

  it('skipping quiet blocks never changes the answer (against the full 4x envelope)', () => {
    const sr = 48000;
    const x = sine(997, 2, sr, 0.3).map((v, i) => v + (i === 40_000 ? 0.6 : 0) + (i > 70_000 && i < 70_010 ? -0.5 : 0));
    const a = audio(sr, x, sine(50, 2, sr, 0.1));
    const full = Math.max(...truePeakEnvelope(a));
    expect(truePeakDb(a)).toBeCloseTo(20 * Math.log10(full), 5);
  });
});
