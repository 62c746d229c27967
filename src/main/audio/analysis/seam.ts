import { assertAudioData, frameCount, type AudioData } from '../types';
import { quantile } from './signal';
import { ENVELOPE_SECONDS, FLOOR_DB, readSide, SHAPE_RANGE_DB, type SeamSide, type SideSettings } from './seam-sides';

export interface SeamScore {
  /** 0..1, 1 = seamless: the weighted geometric mean of the three components' scores (see rateSeam). */
  score: number;
  /** Level just after minus just before (gated, K-weighted), in dB: positive when the join gets louder. */
  loudnessJumpDb: number;
  /** 0..1: how much more the spectrum changes across the seam than the same audio changes elsewhere. */
  spectralChange: number;
  /**
   * Fraction of a beat (0..0.5) by which the onsets after the seam miss the beat carried over from
   * before it; null without a tempo, or without a clear beat on both sides.
   */
  beatPhaseError: number | null;
}

export interface SeamOptions {
  /** Enables the beat-phase check. */
  tempoBpm?: number;
  /**
   * Audio measured on each side for the level: default 0.4 s, or one beat when the tempo is given and
   * the beat is longer. The spectrum is averaged over at least 1 s and two beats.
   */
  windowSeconds?: number;
}

/** A seam measured in physical units, before it is compared with the audio's own continuity. */
export interface SeamMeasure {
  loudnessJumpDb: number;
  /** Mean difference of the two sides' band levels (spectral shapes), in dB. */
  distanceDb: number;
  beatPhaseError: number | null;
}

/**
 * How much the audio changes from one moment to the next where nothing was cut: the upper quartile
 * over a few places, so the music's own bigger moves (a chord change on a bar line) count as normal.
 */
export interface SeamReference {
  jumpDb: number;
  distanceDb: number;
}

export type SeamSettings = SideSettings & { beatSeconds: number | null };

const DEFAULT_WINDOW_SECONDS = 0.4;
const ONSET_BEATS = 4;
const MIN_SPECTRUM_SECONDS = 1;
const SPECTRUM_BEATS = 2;
const REFERENCE_POINTS = 8;
const MIN_REFERENCE_POINTS = 3;
const REFERENCE_QUANTILE = 0.75;
const BEATS_PER_REFERENCE_BAR = 4;
/** An onset is a rise of 6 dB within 5 ms, the largest within 15 ms, at most 40 dB under its side's loudest frame. */
const ONSET_RISE_DB = 6;
const ONSET_SPREAD_FRAMES = 3;
const ONSET_RANGE_DB = 40;
/** Onsets whose phases (weighted by amplitude) agree less than this have no beat to compare. */
const MIN_COHERENCE = 0.3;
/**
 * The components' scores: loudness exp(-(excess dB / 6)^2) (3 dB over the audio's own jumps scores
 * 0.78, 6 dB 0.37); spectrum 1 - spectralChange, where spectralChange = 1 - exp(-excess dB / 6);
 * beat 1 - 2 × phase error. They combine as a weighted geometric mean, so one glaring fault sinks
 * the seam however good the rest is (a half-beat slip scores 0); without a beat the other two
 * weights are scaled up to sum to 1.
 */
const LOUDNESS_SCALE_DB = 6;
const SPECTRAL_SCALE_DB = 6;
const WEIGHTS = { loudness: 0.3, spectrum: 0.4, beat: 0.3 };

/**
 * How audible a cut at `atSample` is, as if the audio before it were followed by the audio after
 * it: the level jump, the change of spectrum, and (given a tempo) whether the beat carries on.
 * Level and spectrum are judged against how much this audio changes elsewhere, so music that moves
 * a lot is not marked down for moving at the seam.
 */
export function scoreSeam(audio: AudioData, atSample: number, options: SeamOptions = {}): SeamScore {
  assertAudioData(audio);
  const frames = frameCount(audio);
  if (!Number.isInteger(atSample) || atSample < 0 || atSample > frames) {
    throw new RangeError(`Seam at sample ${atSample} is outside the audio (0 to ${frames}).`);
  }
  const settings = seamSettings(audio.sampleRate, options);
  const measured = measureSeam(
    readSide(audio, atSample, 'before', settings),
    readSide(audio, atSample, 'after', settings),
    audio.sampleRate,
    settings.beatSeconds,
  );
  return rateSeam(measured, seamReference(audio, referencePoints(frames, atSample, audio.sampleRate, settings), settings));
}

/**
 * Where to measure the audio's own continuity: whole bars (of four beats) away from the seam when
 * the tempo is known, so a seam on a bar line is compared with other bar lines, where chords
 * change anyway; otherwise, or when too few bars fit, evenly over the audio. Points closer to the
 * seam or to either end than the measured span are left out.
 */
function referencePoints(frames: number, at: number, sampleRate: number, settings: SeamSettings): number[] {
  const span = Math.max(settings.windowSamples, settings.spectrumSamples);
  const usable = (p: number) => p >= span && p <= frames - span && Math.abs(p - at) >= span;
  if (settings.beatSeconds) {
    const bar = BEATS_PER_REFERENCE_BAR * settings.beatSeconds * sampleRate;
    const points = Array.from({ length: REFERENCE_POINTS }, (_, i) => Math.round(at + (i % 2 ? 1 : -1) * (1 + (i >> 1)) * bar));
    if (points.filter(usable).length >= MIN_REFERENCE_POINTS) return points.filter(usable);
  }
  const even = Array.from({ length: REFERENCE_POINTS }, (_, i) => Math.round(span + ((i + 0.5) * (frames - 2 * span)) / REFERENCE_POINTS));
  return even.filter(usable);
}

export function seamSettings(sampleRate: number, options: SeamOptions): SeamSettings {
  const beatSeconds = options.tempoBpm && options.tempoBpm > 0 ? 60 / options.tempoBpm : null;
  const windowSeconds = options.windowSeconds ?? Math.max(DEFAULT_WINDOW_SECONDS, beatSeconds ?? 0);
  if (!(windowSeconds > 0)) throw new RangeError(`The seam window must be longer than 0 s, got ${windowSeconds}.`);
  return {
    windowSamples: Math.round(windowSeconds * sampleRate),
    spectrumSamples: Math.round(Math.max(windowSeconds, MIN_SPECTRUM_SECONDS, SPECTRUM_BEATS * (beatSeconds ?? 0)) * sampleRate),
    onsetSamples: beatSeconds ? Math.round(Math.max(1, ONSET_BEATS * beatSeconds) * sampleRate) : 0,
    beatSeconds,
  };
}

/** The continuity of the audio at `points`, where nothing was cut: each compared with itself. */
function seamReference(audio: AudioData, points: number[], settings: SideSettings): SeamReference {
  const plain = { ...settings, onsetSamples: 0 };
  return referenceOf(
    points.map((p) => measureSeam(readSide(audio, p, 'before', plain), readSide(audio, p, 'after', plain), audio.sampleRate, null)),
  );
}

export function referenceOf(continuous: SeamMeasure[]): SeamReference {
  return {
    jumpDb: quantile(
      continuous.map((m) => Math.abs(m.loudnessJumpDb)),
      REFERENCE_QUANTILE,
    ),
    distanceDb: quantile(
      continuous.map((m) => m.distanceDb),
      REFERENCE_QUANTILE,
    ),
  };
}

export function measureSeam(before: SeamSide, after: SeamSide, sampleRate: number, beatSeconds: number | null): SeamMeasure {
  return {
    loudnessJumpDb: after.levelDb - before.levelDb,
    distanceDb: shapeDistance(before, after),
    beatPhaseError: beatSeconds ? phaseError(before.envelope, after.envelope, sampleRate, beatSeconds) : null,
  };
}

/** Turns a measured seam into SeamScore's 0..1 terms, relative to the audio's own continuity. */
export function rateSeam(measured: SeamMeasure, reference: SeamReference): SeamScore {
  const loudnessExcess = Math.max(0, Math.abs(measured.loudnessJumpDb) - reference.jumpDb);
  const spectralChange = 1 - Math.exp(-Math.max(0, measured.distanceDb - reference.distanceDb) / SPECTRAL_SCALE_DB);
  const parts = [
    { weight: WEIGHTS.loudness, score: Math.exp(-((loudnessExcess / LOUDNESS_SCALE_DB) ** 2)) },
    { weight: WEIGHTS.spectrum, score: 1 - spectralChange },
  ];
  if (measured.beatPhaseError !== null) parts.push({ weight: WEIGHTS.beat, score: 1 - 2 * measured.beatPhaseError });
  const total = parts.reduce((sum, p) => sum + p.weight, 0);
  const score = parts.reduce((product, p) => product * Math.max(0, p.score) ** (p.weight / total), 1);
  return { score, loudnessJumpDb: measured.loudnessJumpDb, spectralChange, beatPhaseError: measured.beatPhaseError };
}

/**
 * Mean level difference of the bands, each weighted by its amplitude on the louder side, so the
 * bands that carry the sound count and the noise floor's flicker does not; silence against sound
 * is as different as it gets.
 */
function shapeDistance(before: SeamSide, after: SeamSide): number {
  const silentBefore = before.levelDb <= FLOOR_DB;
  const silentAfter = after.levelDb <= FLOOR_DB;
  if (silentBefore || silentAfter) return silentBefore === silentAfter ? 0 : SHAPE_RANGE_DB;
  let sum = 0;
  let weights = 0;
  for (let b = 0; b < before.shape.length; b++) {
    const weight = 10 ** (Math.max(before.shape[b], after.shape[b]) / 20);
    sum += weight * Math.abs(before.shape[b] - after.shape[b]);
    weights += weight;
  }
  return weights ? sum / weights : 0;
}

/**
 * The beat's phase from the onsets on each side (amplitude-weighted circular mean over the beat
 * period, times measured from the seam), and how far apart the two are. The envelopes are joined
 * first, so an onset right at the seam is seen rising out of the other side's last frame.
 */
function phaseError(before: Float64Array, after: Float64Array, sampleRate: number, beatSeconds: number): number | null {
  const envelope = new Float64Array(before.length + after.length);
  envelope.set(before);
  envelope.set(after, before.length);
  const frameSeconds = Math.max(1, Math.round(ENVELOPE_SECONDS * sampleRate)) / sampleRate;
  const loudest = [Math.max(-Infinity, ...before), Math.max(-Infinity, ...after)];
  const sums = [
    { re: 0, im: 0, weight: 0 },
    { re: 0, im: 0, weight: 0 },
  ];
  const rise = (j: number) => (j >= 1 && j < envelope.length ? envelope[j] - envelope[j - 1] : -Infinity);
  for (let j = 1; j < envelope.length; j++) {
    const side = j < before.length ? 0 : 1;
    if (rise(j) < ONSET_RISE_DB || envelope[j] < loudest[side] - ONSET_RANGE_DB) continue;
    let isPeak = true;
    for (let k = j - ONSET_SPREAD_FRAMES; k <= j + ONSET_SPREAD_FRAMES && isPeak; k++) isPeak = k === j || rise(k) <= rise(j);
    if (!isPeak) continue;
    const phase = (2 * Math.PI * (j - before.length) * frameSeconds) / beatSeconds;
    const weight = 10 ** (envelope[j] / 20);
    sums[side].re += weight * Math.cos(phase);
    sums[side].im += weight * Math.sin(phase);
    sums[side].weight += weight;
  }
  if (sums.some((s) => s.weight === 0 || Math.hypot(s.re, s.im) < MIN_COHERENCE * s.weight)) return null;
  const [b, a] = sums;
  const difference = Math.atan2(a.im * b.re - a.re * b.im, a.re * b.re + a.im * b.im);
  return Math.abs(difference) / (2 * Math.PI);
}
