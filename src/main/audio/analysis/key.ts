import { KEY_TONICS } from '../../../shared/musical-time';
import { assertAudioData, type AudioData } from '../types';
import { decimate, decimationFactor, monoMix, rootMeanSquare } from './signal';
import { chroma } from './chroma';

export interface KeyEstimate {
  /** In the form of KEYS: "A minor", "F# major". */
  key: string;
  /** 0..1: how far the best key's fit stands above the runner-up's, scaled by how tonal the audio is. */
  confidence: number;
}

/** Krumhansl & Kessler's probe-tone ratings (1982), tonic first. */
const MAJOR_PROFILE = [6.35, 2.23, 3.48, 2.33, 4.38, 4.09, 2.52, 5.19, 2.39, 3.66, 2.29, 2.88];
const MINOR_PROFILE = [6.33, 2.68, 3.52, 5.38, 2.6, 3.53, 2.54, 4.75, 3.98, 2.69, 3.34, 3.17];

/** Pitch needs a few octaves around middle C, not the air above: 4 kHz and half-second frames resolve semitones from ~A2. */
const ANALYSIS_RATE = 4000;
const FRAME_SECONDS = 0.5;
const SILENCE_RMS = 1e-4;
/** Chroma this uneven (deviation over mean) is clearly pitched; noise is near 0, a held triad above 1. */
const TONAL_CONTRAST = 0.5;

/**
 * The key whose Krumhansl–Kessler profile (major or minor, rotated to each of the 12 tonics)
 * correlates best with the clip's chroma, summed over half-second frames of a 4 kHz mono mix.
 * Null for silence or audio shorter than one frame. Relative and neighbouring keys (C major and A
 * minor, C and G major) share most notes, so their correlations sit close: the confidence is the
 * share of the gap between the runner-up and a perfect fit that the winner covers, scaled down for
 * audio with flat chroma (noise, unpitched drums), where any winner is chance.
 */
export function estimateKey(audio: AudioData): KeyEstimate | null {
  assertAudioData(audio);
  const factor = decimationFactor(audio.sampleRate, ANALYSIS_RATE);
  const rate = audio.sampleRate / factor;
  const signal = decimate(monoMix(audio), factor);
  const size = 2 ** Math.round(Math.log2(rate * FRAME_SECONDS));
  if (signal.length < size || rootMeanSquare(signal) < SILENCE_RMS) return null;

  // Meyda scales each frame's chroma to a peak of 1; weighting by the frame's level keeps quiet
  // tails and breaths from counting as much as the music.
  const total = new Array<number>(12).fill(0);
  for (let start = 0; start + size <= signal.length; start += size / 2) {
    const frame = signal.subarray(start, start + size);
    const level = rootMeanSquare(frame);
    if (level < SILENCE_RMS) continue;
    chroma(frame, rate).forEach((value, pitch) => (total[pitch] += value * level));
  }
  const fits = KEY_TONICS.flatMap((tonic, t) => [
    { key: `${tonic} major`, r: correlation(total, rotate(MAJOR_PROFILE, t)) },
    { key: `${tonic} minor`, r: correlation(total, rotate(MINOR_PROFILE, t)) },
  ]).sort((a, b) => b.r - a.r);
  const [best, runnerUp] = fits;
  const separation = (best.r - runnerUp.r) / Math.max(1e-9, 1 - runnerUp.r);
  const tonality = Math.min(1, contrast(total) / TONAL_CONTRAST);
  return { key: best.key, confidence: Math.max(0, Math.min(1, separation * tonality)) };
}

/** The profile for tonic `t`: entry p is the rating of pitch class p. */
function rotate(profile: number[], t: number): number[] {
  return profile.map((_, p) => profile[(p - t + 12) % 12]);
}

function correlation(a: number[], b: number[]): number {
  const meanA = a.reduce((s, v) => s + v, 0) / a.length;
  const meanB = b.reduce((s, v) => s + v, 0) / b.length;
  let ab = 0;
  let aa = 0;
  let bb = 0;
  for (let i = 0; i < a.length; i++) {
    ab += (a[i] - meanA) * (b[i] - meanB);
    aa += (a[i] - meanA) ** 2;
    bb += (b[i] - meanB) ** 2;
  }
  return aa > 0 && bb > 0 ? ab / Math.sqrt(aa * bb) : 0;
}

/** Coefficient of variation of the chroma: ~0 for noise, above 0.5 for chords. */
function contrast(values: number[]): number {
  const mean = values.reduce((s, v) => s + v, 0) / values.length;
  const sd = Math.sqrt(values.reduce((s, v) => s + (v - mean) ** 2, 0) / values.length);
  return mean > 0 ? sd / mean : 0;
}
