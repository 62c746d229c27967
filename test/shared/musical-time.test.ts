import { describe, expect, it } from 'vitest';
import {
  barSpans,
  barToFrame,
  barToSample,
  barsToSeconds,
  normaliseKey,
  promptWithMusic,
  quartersPerBar,
  TIME_SIGNATURES,
  type MusicalTime,
} from '../../src/shared/musical-time';

const codec = { sampleRate: 32000, hopLength: 640 };

describe('musical time', () => {
  it('a bar is its signature in quarter notes at the tempo (DAW convention)', () => {
    expect(quartersPerBar('4/4')).toBe(4);
    expect(quartersPerBar('3/4')).toBe(3);
    expect(quartersPerBar('6/8')).toBe(3);
    expect(quartersPerBar('7/8')).toBe(3.5);
    expect(barsToSeconds(1, { tempoBpm: 120, timeSignature: '4/4' })).toBe(2);
    expect(barsToSeconds(4, { tempoBpm: 90, timeSignature: '3/4' })).toBe(8);
  });

  it.each([60, 72, 85, 90, 97.5, 100, 120, 128, 140, 174])('64 bars at %d bpm land on the exact grid in every signature', (tempoBpm) => {
    for (const timeSignature of TIME_SIGNATURES) {
      const time: MusicalTime = { tempoBpm, timeSignature };
      const framesPerBar = (barsToSeconds(1, time) * codec.sampleRate) / codec.hopLength;
      // Sections of uneven lengths laid end to end: each boundary is the nearest frame to its exact position.
      const lengths = [1, 3, 4, 8, 2, 16, 5, 7, 8, 10];
      expect(lengths.reduce((a, b) => a + b)).toBe(64);
      const spans = barSpans(lengths, time, codec);
      let bar = 0;
      for (const [i, span] of spans.entries()) {
        expect(Math.abs(span.startFrame - bar * framesPerBar)).toBeLessThanOrEqual(0.5 + 1e-9);
        bar += lengths[i];
        expect(Math.abs(span.endFrame - bar * framesPerBar)).toBeLessThanOrEqual(0.5 + 1e-9);
        if (i > 0) expect(span.startFrame).toBe(spans[i - 1].endFrame);
      }
      // No drift: the song's end is where 64 bars end, not 64 rounded bars.
      expect(spans.at(-1)!.endFrame).toBe(Math.round(64 * framesPerBar));
      expect(spans.at(-1)!.endFrame).toBe(barToFrame(64, time, codec));
      const naive = lengths.reduce((sum, n) => sum + Math.round(n * framesPerBar), 0);
      if (naive !== spans.at(-1)!.endFrame) expect(Math.abs(naive - 64 * framesPerBar)).toBeGreaterThan(0.5);
      // Samples too, at the export rates.
      for (const rate of [32000, 44100, 48000]) {
        expect(Math.abs(barToSample(64, time, rate) - 64 * barsToSeconds(1, time) * rate)).toBeLessThanOrEqual(0.5 + 1e-9);
      }
    }
  });

  it('keys as typed become one spelling; what is not a key is null', () => {
    expect(normaliseKey('a minor')).toBe('A minor');
    expect(normaliseKey('Am')).toBe('A minor');
    expect(normaliseKey('a#m')).toBe('Bb minor');
    expect(normaliseKey('Gb major')).toBe('F# major');
    expect(normaliseKey('F sharp')).toBe('F# major');
    expect(normaliseKey('C')).toBe('C major');
    expect(normaliseKey('CM')).toBe('C major');
    expect(normaliseKey('db min')).toBe('C# minor');
    expect(normaliseKey('H major')).toBeNull();
    expect(normaliseKey('minor')).toBeNull();
    expect(normaliseKey('')).toBeNull();
  });

  it("puts tempo and key into the prompt in the model's words, replacing a tempo already typed", () => {
    expect(promptWithMusic('warm lo-fi piano', { tempoBpm: 80, key: 'A minor' })).toBe('warm lo-fi piano, A minor, 80 bpm');
    expect(promptWithMusic('warm lo-fi piano, 90 bpm, vinyl', { tempoBpm: 80 })).toBe('warm lo-fi piano, 80 bpm, vinyl');
    expect(promptWithMusic('dark techno in A minor', { key: 'A minor', tempoBpm: 128 })).toBe('dark techno in A minor, 128 bpm');
    expect(promptWithMusic('', { tempoBpm: 120 })).toBe('120 bpm');
    expect(promptWithMusic('ambient', {})).toBe('ambient');
  });
});
