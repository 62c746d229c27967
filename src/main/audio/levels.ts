import { applyGain, gainToDb } from './dsp';
import { assertAudioData, frameCount, type AudioData } from './types';

/** Second-order IIR section, normalised so a0 = 1. */
export interface Biquad {
  b0: number;
  b1: number;
  b2: number;
  a1: number;
  a2: number;
}

const BLOCK_SEGMENTS = 4; // a 400 ms gating block is four 100 ms hops: 75 % overlap
const ABSOLUTE_GATE_LUFS = -70;
const RELATIVE_GATE_LU = -10;

/** Sample peak in dBFS; -Infinity for digital silence. */
export function peakDb(audio: AudioData): number {
  assertAudioData(audio);
  let peak = 0;
  for (const channel of audio.channels) {
    for (let i = 0; i < channel.length; i++) peak = Math.max(peak, Math.abs(channel[i]));
  }
  return gainToDb(peak);
}

/**
 * The two K-weighting stages of ITU-R BS.1770-4 (a +4 dB high shelf modelling the head, then
 * the RLB high-pass), derived from their analog prototypes for any sample rate. The standard
 * tabulates coefficients for 48 kHz only, and Continuo measures 32 kHz model output directly.
 */
export function kWeightingFilters(sampleRate: number): [Biquad, Biquad] {
  let k = Math.tan((Math.PI * 1681.974450955533) / sampleRate);
  const vh = 10 ** (3.999843853973347 / 20);
  const vb = vh ** 0.4996667741545416;
  const q1 = 0.7071752369554196;
  const a0Shelf = 1 + k / q1 + k * k;
  const shelf = {
    b0: (vh + (vb * k) / q1 + k * k) / a0Shelf,
    b1: (2 * (k * k - vh)) / a0Shelf,
    b2: (vh - (vb * k) / q1 + k * k) / a0Shelf,
    a1: (2 * (k * k - 1)) / a0Shelf,
    a2: (1 - k / q1 + k * k) / a0Shelf,
  };
  k = Math.tan((Math.PI * 38.13547087602444) / sampleRate);
  const q2 = 0.5003270373238773;
  const a0HighPass = 1 + k / q2 + k * k;
  const highPass = { b0: 1, b1: -2, b2: 1, a1: (2 * (k * k - 1)) / a0HighPass, a2: (1 - k / q2 + k * k) / a0HighPass };
  return [shelf, highPass];
}

/**
 * Integrated loudness in LUFS per ITU-R BS.1770-4: K-weighted mean square over 400 ms blocks
 * (75 % overlap), gated at -70 LUFS absolute and 10 LU below the ungated mean. Returns -Infinity
 * when no block passes the gates: silence, or audio shorter than one 400 ms block.
 */
export function loudnessLufs(audio: AudioData): number {
  assertAudioData(audio);
  const hop = Math.round(audio.sampleRate / 10);
  const segmentEnergy = new Float64Array(Math.floor(frameCount(audio) / hop));
  audio.channels.forEach((channel, c) => {
    const weight = channelWeight(c, audio.channels.length);
    if (weight === 0) return;
    const energy = kWeightedBlockEnergy(channel, audio.sampleRate, hop, segmentEnergy.length);
    for (let j = 0; j < segmentEnergy.length; j++) segmentEnergy[j] += weight * energy[j];
  });

  const blocks: number[] = [];
  for (let j = 0; j + BLOCK_SEGMENTS <= segmentEnergy.length; j++) {
    let sum = 0;
    for (let s = j; s < j + BLOCK_SEGMENTS; s++) sum += segmentEnergy[s];
    blocks.push(sum / (hop * BLOCK_SEGMENTS));
  }
  const aboveAbsolute = blocks.filter((energy) => toLufs(energy) > ABSOLUTE_GATE_LUFS);
  if (aboveAbsolute.length === 0) return -Infinity;
  const relativeGate = toLufs(mean(aboveAbsolute)) + RELATIVE_GATE_LU;
  return toLufs(mean(aboveAbsolute.filter((energy) => toLufs(energy) > relativeGate)));
}

/** Gain so the integrated loudness hits `targetLufs`; may push peaks over 0 dBFS (floats keep them). */
export function normalizeLoudness(audio: AudioData, targetLufs: number): AudioData {
  const loudness = loudnessLufs(audio);
  if (!Number.isFinite(loudness)) {
    throw new RangeError('Cannot normalise loudness: the audio is silent or shorter than 0.4 s.');
  }
  return applyGain(audio, targetLufs - loudness);
}

/** BS.1770 weights: 1 for front channels, 1.41 for surrounds, LFE excluded (5.1 in WAV order). */
function channelWeight(index: number, channelCount: number): number {
  if (channelCount !== 6) return 1;
  return [1, 1, 1, 0, 1.41, 1.41][index];
}

/**
 * K-weighted energy (the sum of z² after both BS.1770 filter stages, transposed direct form II in
 * double precision) of each `hop`-sample block of `channel`; the last block may be partial.
 */
export function kWeightedBlockEnergy(
  channel: Float32Array,
  sampleRate: number,
  hop: number,
  blocks = Math.ceil(channel.length / hop),
): Float64Array {
  const [f, g] = kWeightingFilters(sampleRate);
  const energy = new Float64Array(blocks);
  let f1 = 0,
    f2 = 0,
    g1 = 0,
    g2 = 0;
  const frames = Math.min(channel.length, blocks * hop);
  for (let i = 0; i < frames; i++) {
    const x = channel[i];
    const y = f.b0 * x + f1;
    f1 = f.b1 * x - f.a1 * y + f2;
    f2 = f.b2 * x - f.a2 * y;
    const z = g.b0 * y + g1;
    g1 = g.b1 * y - g.a1 * z + g2;
    g2 = g.b2 * y - g.a2 * z;
    energy[Math.floor(i / hop)] += z * z;
  }
  return energy;
}

function toLufs(meanSquare: number): number {
  return -0.691 + 10 * Math.log10(meanSquare);
}

function mean(values: number[]): number {
  return values.reduce((sum, v) => sum + v, 0) / values.length;
}
