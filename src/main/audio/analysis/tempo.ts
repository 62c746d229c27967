import MusicTempo from 'music-tempo';
import { assertAudioData, durationSeconds, type AudioData } from '../types';
import { decimate, decimationFactor, mean, monoMix, rootMeanSquare } from './signal';

export interface TempoEstimate {
  bpm: number;
  /** 0..1: the share of beats that land on an onset, times the share of the audio they span. */
  confidence: number;
  /** Beat times in seconds from the audio's start, one per beat of `bpm`. */
  beats: number[];
}

export interface TempoOptions {
  /** A tempo the music is expected near (the prompt's): the estimate is doubled or halved towards it. */
  hintBpm?: number;
}

/** BeatRoot needs a few bars to settle on a beat. */
const MIN_SECONDS = 4;
/** Below -80 dBFS RMS there is nothing to track. */
const SILENCE_RMS = 1e-4;
/** Onsets need the attack, not the partials: ~8 kHz keeps transients and makes the FFTs cheap. */
const ANALYSIS_RATE = 8000;
/** music-tempo's peak picking and clustering are tuned for 10 ms frames and a 46 ms window. */
const FRAME_SECONDS = 0.01;
const WINDOW_SECONDS = 0.046;
/** Without a hint, tempo is reported in the range most music is notated in. */
const FOLD_MIN_BPM = 70;
const FOLD_MAX_BPM = 180;
/** An onset counts for a beat within this many seconds of it. */
const ONSET_TOLERANCE = 0.05;
/** Beats whose every other onset is this many times weaker are eighths around a slower beat. */
const OFF_BEAT_RATIO = 2.5;

/**
 * Tempo and beats by music-tempo (BeatRoot: spectral-flux onsets, inter-onset-interval clusters,
 * competing beat-tracking agents) on a low-passed mono mix. Returns null for audio shorter than
 * 4 s, silence, or music with too few onsets to track.
 *
 * BeatRoot reports its best agent's final beat period, which wanders with the agent's corrections;
 * the tempo here is the least-squares slope through all its beats instead, which is steadier. Like
 * any beat tracker it may lock onto half or double the tempo: the result is folded by octaves into
 * 70–180 bpm, or towards `hintBpm` when given, with the beats thinned or filled in to match.
 */
export function estimateTempo(audio: AudioData, options: TempoOptions = {}): TempoEstimate | null {
  assertAudioData(audio);
  if (durationSeconds(audio) < MIN_SECONDS) return null;
  const factor = decimationFactor(audio.sampleRate, ANALYSIS_RATE);
  const rate = audio.sampleRate / factor;
  const signal = decimate(monoMix(audio), factor);
  if (rootMeanSquare(signal) < SILENCE_RMS) return null;

  const hopSize = Math.max(1, Math.round(rate * FRAME_SECONDS));
  const bufferSize = 2 ** Math.round(Math.log2(rate * WINDOW_SECONDS));
  let tracked: MusicTempo;
  try {
    tracked = new MusicTempo(signal, { bufferSize, hopSize, timeStep: hopSize / rate });
  } catch {
    return null; // music-tempo throws strings ("Fail to find peaks"): no beat in this audio
  }
  // An onset frame's flux peaks as the attack reaches the middle of its window, which music-tempo
  // stamps with the window's end: move its times back to the attack.
  const latency = (bufferSize / 2 - hopSize) / rate;
  const beats = tracked.beats.map((t) => t - latency).filter((t) => t >= 0);
  if (beats.length < 3) return null;
  const strength = onsetStrength(tracked.spectralFlux, hopSize / rate, latency);

  const target = options.hintBpm && options.hintBpm > 0 ? options.hintBpm : undefined;
  let bpm = 60 / beatPeriod(beats);
  let folded = beats;
  // Agents often lock onto a busy hi-hat: when every other beat is far weaker, those are off-beats.
  if (!target && bpm / 2 >= FOLD_MIN_BPM && alternation(beats, strength) >= OFF_BEAT_RATIO) {
    bpm /= 2;
    folded = strongerHalf(folded, strength);
  }
  while (target ? bpm * 2 <= target * Math.SQRT2 : bpm < FOLD_MIN_BPM) {
    bpm *= 2;
    folded = subdivide(folded);
  }
  while (target ? bpm / 2 >= target / Math.SQRT2 : bpm > FOLD_MAX_BPM) {
    bpm /= 2;
    folded = strongerHalf(folded, strength);
  }
  return { bpm, confidence: confidence(folded, strength, durationSeconds(audio)), beats: folded };
}

/**
 * How strong the onsets are around a time: the highest flux within 50 ms, from the flux floor up.
 * Reading the detection function rather than counting picked onsets keeps dense, beatless onsets
 * (noise, rain) from looking like a beat.
 */
function onsetStrength(flux: number[], timeStep: number, latency: number): (seconds: number) => number {
  const floor = flux.reduce((min, v) => Math.min(min, v), Infinity);
  const reach = Math.round(ONSET_TOLERANCE / timeStep);
  return (seconds) => {
    const centre = Math.round((seconds + latency) / timeStep);
    let best = 0;
    for (let i = Math.max(0, centre - reach); i <= Math.min(flux.length - 1, centre + reach); i++) best = Math.max(best, flux[i] - floor);
    return best;
  };
}

/** Least-squares slope of beat time against beat number. */
function beatPeriod(beats: number[]): number {
  const n = beats.length;
  const meanIndex = (n - 1) / 2;
  const meanTime = beats.reduce((sum, t) => sum + t, 0) / n;
  let covariance = 0;
  let variance = 0;
  beats.forEach((t, i) => {
    covariance += (i - meanIndex) * (t - meanTime);
    variance += (i - meanIndex) ** 2;
  });
  return covariance / variance;
}

/** Twice the beats: a beat halfway between each pair. */
function subdivide(beats: number[]): number[] {
  return beats.flatMap((t, i) => (i + 1 < beats.length ? [t, (t + beats[i + 1]) / 2] : [t]));
}

/** Every other beat, keeping whichever half has the stronger onsets (the downbeats, usually). */
function strongerHalf(beats: number[], strength: (seconds: number) => number): number[] {
  const even = beats.filter((_, i) => i % 2 === 0);
  const odd = beats.filter((_, i) => i % 2 === 1);
  return mean(odd.map(strength)) > mean(even.map(strength)) ? odd : even;
}

/** The stronger half's mean onset strength over the weaker half's (1: no alternation). */
function alternation(beats: number[], strength: (seconds: number) => number): number {
  const even = mean(beats.filter((_, i) => i % 2 === 0).map(strength));
  const odd = mean(beats.filter((_, i) => i % 2 === 1).map(strength));
  return Math.max(even, odd) / Math.max(1e-9, Math.min(even, odd));
}

/**
 * How much stronger the onsets are on the beats than a quarter of a beat off them, times the share
 * of the audio the beats span: a click track scores near 1, steady noise near 0.
 */
function confidence(beats: number[], strength: (seconds: number) => number, seconds: number): number {
  const period = (beats[beats.length - 1] - beats[0]) / (beats.length - 1);
  const on = mean(beats.map(strength));
  const off = mean(beats.flatMap((t) => [strength(t + period / 4), strength(t + (3 * period) / 4)]));
  const span = Math.min(1, (beats[beats.length - 1] - beats[0] + period) / seconds);
  return on > 0 ? Math.max(0, Math.min(1, (on - off) / on)) * span : 0;
}
