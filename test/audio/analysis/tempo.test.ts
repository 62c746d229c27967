import { describe, expect, it } from 'vitest';
import { estimateTempo } from '../../../src/main/audio/analysis';
import { audio, noise } from '../signals';
import { add, chords, drums } from './music';

describe('estimateTempo', () => {
  it.each([80, 100, 120, 140])('finds %i bpm in a drum track within 2 bpm, with its beats', (bpm) => {
    const rate = 32000;
    const result = estimateTempo(audio(rate, drums({ bpm, seconds: 20, sampleRate: rate })))!;
    expect(Math.abs(result.bpm - bpm)).toBeLessThan(2);
    expect(result.confidence).toBeGreaterThan(0.8);
    // Every beat within 15 ms of a hit (onset frames are 10 ms).
    const period = 60 / bpm;
    for (const beat of result.beats) expect(Math.abs(beat - Math.round(beat / period) * period)).toBeLessThan(0.015);
    expect(result.beats.length).toBeGreaterThan((20 / period) * 0.9);
  });

  it.each([44100, 48000])('reads the same tempo at %i Hz', (rate) => {
    const result = estimateTempo(audio(rate, drums({ bpm: 97, seconds: 15, sampleRate: rate })))!;
    expect(Math.abs(result.bpm - 97)).toBeLessThan(2);
  });

  it('hears the beat, not the hi-hat, and a hint moves it by octaves', () => {
    const rate = 32000;
    const music = add(drums({ bpm: 90, seconds: 20, sampleRate: rate, eighths: true }), chords([[57, 60, 64]], 20, rate));
    const plain = estimateTempo(audio(rate, music))!;
    expect(Math.abs(plain.bpm - 90)).toBeLessThan(2);
    const double = estimateTempo(audio(rate, music), { hintBpm: 170 })!;
    expect(Math.abs(double.bpm - 180)).toBeLessThan(4);
    expect(double.beats.length).toBeCloseTo(plain.beats.length * 2, -1);
    const half = estimateTempo(audio(rate, music), { hintBpm: 50 })!;
    expect(Math.abs(half.bpm - 45)).toBeLessThan(1);
  });

  it('folds a fast track into 70–180 bpm without a hint', () => {
    const rate = 16000;
    const result = estimateTempo(audio(rate, drums({ bpm: 190, seconds: 15, sampleRate: rate })))!;
    expect(result.bpm).toBeGreaterThanOrEqual(70);
    expect(result.bpm).toBeLessThanOrEqual(180);
    expect(Math.abs(result.bpm - 95)).toBeLessThan(2);
  });

  it('is null for silence and for audio under 4 s, and unsure about noise', () => {
    const rate = 32000;
    expect(estimateTempo(audio(rate, new Float32Array(rate * 10), new Float32Array(rate * 10)))).toBeNull();
    expect(estimateTempo(audio(rate, drums({ bpm: 120, seconds: 3.5, sampleRate: rate })))).toBeNull();
    const steady = estimateTempo(audio(rate, noise(rate * 20, 3, 0.3)));
    expect(steady?.confidence ?? 0).toBeLessThan(0.3);
  });
});
