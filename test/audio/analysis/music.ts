import type { AudioData } from '../../../src/main/audio';
import { audio, noise } from '../signals';

/** Synthetic music for the analysis tests: drums, chords and notes, deterministic so failures reproduce. */

export interface DrumOptions {
  bpm: number;
  seconds: number;
  sampleRate: number;
  beatsPerBar?: number;
  /** Shifts every hit by this many beats (0.5: on the off-beats). */
  offsetBeats?: number;
  /** Softer hats between the beats. */
  eighths?: boolean;
  amplitude?: number;
}

/** Decaying noise bursts on each beat with a low thump, the bar's first beat accented. */
export function drums({ bpm, seconds, sampleRate, beatsPerBar = 4, offsetBeats = 0, eighths = false, amplitude = 0.5 }: DrumOptions) {
  const out = new Float32Array(Math.round(seconds * sampleRate));
  const beat = 60 / bpm;
  const hit = (at: number, gain: number, decay: number, thump: boolean, seed: number) => {
    const start = Math.round(at * sampleRate);
    const length = Math.min(out.length - start, Math.round(decay * 6 * sampleRate));
    if (start < 0 || length <= 0) return;
    const burst = noise(length, seed);
    for (let i = 0; i < length; i++) {
      const t = i / sampleRate;
      const body = thump ? 0.8 * Math.sin(2 * Math.PI * 60 * t) : 0;
      out[start + i] += gain * Math.exp(-t / decay) * (burst[i] + body);
    }
  };
  for (let n = 0; (n + offsetBeats) * beat < seconds; n++) {
    const at = (n + offsetBeats) * beat;
    hit(at, n % beatsPerBar === 0 ? amplitude : amplitude * 0.6, 0.03, true, 7 + n);
    if (eighths) hit(at + beat / 2, amplitude * 0.15, 0.01, false, 1000 + n);
  }
  return out;
}

/** Equal-tempered frequency of a MIDI note. */
export const hz = (midi: number) => 440 * 2 ** ((midi - 69) / 12);

/** A few partials falling off like a soft triangle wave, so chroma sees overtones as in real instruments. */
export function tone(frequency: number, seconds: number, sampleRate: number, amplitude = 0.2): Float32Array {
  const out = new Float32Array(Math.round(seconds * sampleRate));
  for (const [harmonic, gain] of [
    [1, 1],
    [2, 0.3],
    [3, 0.15],
    [4, 0.08],
  ]) {
    const w = (2 * Math.PI * frequency * harmonic) / sampleRate;
    for (let i = 0; i < out.length; i++) out[i] += amplitude * gain * Math.sin(w * i);
  }
  return out;
}

/** Chords of MIDI notes, each held for `seconds`, one after the other. */
export function chords(progression: number[][], seconds: number, sampleRate: number, amplitude = 0.15): Float32Array {
  const length = Math.round(seconds * sampleRate);
  const out = new Float32Array(length * progression.length);
  progression.forEach((notes, c) => {
    for (const note of notes)
      out.set(add(out.subarray(c * length, (c + 1) * length), tone(hz(note), seconds, sampleRate, amplitude)), c * length);
  });
  return out;
}

/** Sums signals into the first (which is returned), up to its length. */
export function add(into: Float32Array, ...others: Float32Array[]): Float32Array {
  for (const other of others) for (let i = 0; i < Math.min(into.length, other.length); i++) into[i] += other[i];
  return into;
}

export function concat(...parts: Float32Array[]): Float32Array {
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  parts.reduce((offset, p) => (out.set(p, offset), offset + p.length), 0);
  return out;
}

/**
 * Three minutes of stereo 32 kHz music at 120 bpm in A minor (Am–Dm–E–Am, a bar each, over drums),
 * the right channel 7 samples late: what a long take looks like to the analysis.
 */
export function threeMinuteTake(rate = 32000): AudioData {
  const bar = [
    [57, 60, 64],
    [50, 53, 57],
    [52, 56, 59],
    [57, 60, 64],
  ];
  const music = add(chords(Array.from({ length: 23 }, () => bar).flat(), 2, rate), drums({ bpm: 120, seconds: 184, sampleRate: rate }));
  return audio(rate, music.subarray(0, 180 * rate), music.subarray(7, 180 * rate + 7));
}
