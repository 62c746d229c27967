import { describe, expect, it } from 'vitest';
import { estimateKey } from '../../../src/main/audio/analysis';
import { KEYS } from '../../../src/shared/musical-time';
import { audio, noise } from '../signals';
import { add, chords, drums } from './music';

const rate = 32000;
/** Triads as MIDI notes around middle C. */
const A_MINOR = [
  [57, 60, 64], // Am
  [50, 53, 57], // Dm
  [52, 56, 59], // E
  [57, 60, 64], // Am
];
const C_MAJOR = [
  [48, 52, 55], // C
  [53, 57, 60], // F
  [55, 59, 62], // G
  [48, 52, 55], // C
];
const F_SHARP_MAJOR = [
  [54, 58, 61], // F#
  [59, 63, 66], // B
  [61, 65, 68], // C#
  [54, 58, 61], // F#
];

describe('estimateKey', () => {
  it.each([
    ['A minor', A_MINOR],
    ['C major', C_MAJOR],
    ['F# major', F_SHARP_MAJOR],
  ])('hears %s in its I–IV–V–I (i–iv–V–i) progression', (key, progression) => {
    const result = estimateKey(audio(rate, chords(progression, 2, rate)))!;
    expect(result.key).toBe(key);
    expect(KEYS).toContain(result.key);
    expect(result.confidence).toBeGreaterThan(0.3);
  });

  it('still hears the key under drums, in stereo at 44.1 kHz', () => {
    const music = add(chords(A_MINOR, 2, 44100), drums({ bpm: 120, seconds: 8, sampleRate: 44100 }));
    expect(estimateKey(audio(44100, music, music))!.key).toBe('A minor');
  });

  it('is unsure about noise and null for silence', () => {
    expect(estimateKey(audio(rate, noise(rate * 8, 3, 0.3)))!.confidence).toBeLessThan(0.1);
    expect(estimateKey(audio(rate, new Float32Array(rate * 4)))).toBeNull();
  });
});
