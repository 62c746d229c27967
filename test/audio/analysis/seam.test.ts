import { describe, expect, it } from 'vitest';
import { scoreSeam } from '../../../src/main/audio/analysis';
import { audio, noise, sine } from '../signals';
import { add, chords, concat, drums } from './music';

const rate = 32000;
const bpm = 120;
const A_MINOR = [57, 60, 64];
const E_FLAT_MAJOR = [51, 55, 58];

/** A chord over a drum pattern with hi-hats, `seconds` long. */
function groove(seconds: number, { chord = A_MINOR, offsetBeats = 0 } = {}): Float32Array {
  return add(chords([chord], seconds, rate), drums({ bpm, seconds, sampleRate: rate, offsetBeats, eighths: true }));
}

describe('scoreSeam', () => {
  const seam = 4 * rate;
  const continuous = scoreSeam(audio(rate, groove(8)), seam, { tempoBpm: bpm });

  it('scores a point inside continuous music as near seamless', () => {
    expect(continuous.score).toBeGreaterThan(0.9);
    expect(Math.abs(continuous.loudnessJumpDb)).toBeLessThan(1.5);
    expect(continuous.spectralChange).toBeLessThan(0.2);
    expect(continuous.beatPhaseError).toBeLessThan(0.05);
    // Off the beat, and without a tempo, it is just as smooth.
    const offBeat = scoreSeam(audio(rate, groove(8)), seam + 3200);
    expect(offBeat.score).toBeGreaterThan(0.9);
    expect(offBeat.beatPhaseError).toBeNull();
  });

  it('marks a quiet sine cut to loud noise down for its loudness jump', () => {
    const bad = scoreSeam(audio(rate, concat(sine(440, 4, rate, 0.03), noise(4 * rate, 5, 0.5))), seam);
    expect(bad.loudnessJumpDb).toBeGreaterThan(20);
    expect(bad.spectralChange).toBeGreaterThan(0.9);
    expect(bad.score).toBeLessThan(0.1);
    expect(bad.score).toBeLessThan(continuous.score);
  });

  it('marks a drum pattern that jumps half a beat down for its beat phase', () => {
    const bad = scoreSeam(audio(rate, concat(groove(4), groove(4, { offsetBeats: 0.5 }))), seam, { tempoBpm: bpm });
    expect(bad.beatPhaseError).toBeGreaterThan(0.4);
    expect(Math.abs(bad.loudnessJumpDb)).toBeLessThan(1.5);
    expect(bad.score).toBeLessThan(0.5);
    expect(bad.score).toBeLessThan(continuous.score);
  });

  it('marks a change of chord and timbre down for its spectrum', () => {
    const brighter = add(chords([E_FLAT_MAJOR], 4, rate), chords([E_FLAT_MAJOR.map((n) => n + 24)], 4, rate, 0.05));
    const bad = scoreSeam(
      audio(rate, concat(groove(4), add(brighter, drums({ bpm, seconds: 4, sampleRate: rate, eighths: true })))),
      seam,
      { tempoBpm: bpm },
    );
    expect(bad.spectralChange).toBeGreaterThan(0.5);
    expect(bad.beatPhaseError).toBeLessThan(0.05);
    expect(bad.score).toBeLessThan(0.6);
    expect(bad.score).toBeLessThan(continuous.score);
  });

  it('reads every channel and rejects a seam outside the audio', () => {
    const left = groove(8);
    const stereo = scoreSeam(audio(rate, left, left), seam, { tempoBpm: bpm });
    expect(stereo.score).toBeCloseTo(continuous.score, 6);
    expect(() => scoreSeam(audio(rate, left), 9 * rate)).toThrow(RangeError);
    expect(() => scoreSeam(audio(rate, left), 1.5)).toThrow(RangeError);
  });

  it('counts silence on both sides as seamless, and silence against sound as a jump', () => {
    expect(scoreSeam(audio(rate, new Float32Array(4 * rate)), 2 * rate).score).toBeCloseTo(1, 6);
    const entry = scoreSeam(audio(rate, concat(new Float32Array(2 * rate), groove(2))), 2 * rate);
    expect(entry.loudnessJumpDb).toBeGreaterThan(40);
    expect(entry.score).toBeLessThan(0.1);
  });
});
