import { kWeightedBlockEnergy } from '../levels';
import { frameCount, type AudioData } from '../types';
import { addPowerSpectrum } from './fft';
import { monoMix } from './signal';

/**
 * What a listener hears on one side of a seam, measured from that side alone, so the two sides of a
 * join can come from different places (a loop's end and its start) and each is measured only once.
 */
export interface SeamSide {
  /** Gated K-weighted mean-square level in dB; FLOOR_DB when silent. */
  levelDb: number;
  /** Sixth-octave band levels in dB below the loudest band, floored at -SHAPE_RANGE_DB: timbre and harmony, not level. */
  shape: Float64Array;
  /** Level of each ENVELOPE_SECONDS frame in dB, in time order: "before" ends at the seam, "after" starts there. */
  envelope: Float64Array;
}

export interface SideSettings {
  /** Samples of audio the level is measured over. */
  windowSamples: number;
  /** Samples the spectrum is averaged over: longer, to hear a whole rhythmic figure, not whichever hit falls in. */
  spectrumSamples: number;
  /** Samples of envelope kept for onsets: a few beats, so the beat's phase is clear. */
  onsetSamples: number;
}

export const FLOOR_DB = -70;
export const SHAPE_RANGE_DB = 60;
export const ENVELOPE_SECONDS = 0.005;
/** Loudness in 20 ms blocks, gated 20 dB under the side's loudest, so gaps between hits do not read as quiet. */
const BLOCK_SECONDS = 0.02;
const RELATIVE_GATE_DB = -20;
/** ~0.1 s FFT frames: bins narrow enough to tell neighbouring notes apart from ~200 Hz up. */
const SPECTRUM_SECONDS = 0.1;
const LOWEST_BAND_HZ = 60;
const HIGHEST_BAND_HZ = 16000;
const BANDS_PER_OCTAVE = 6;

export function readSide(audio: AudioData, at: number, side: 'before' | 'after', settings: SideSettings): SeamSide {
  const reach = Math.max(settings.windowSamples, settings.spectrumSamples, settings.onsetSamples);
  const start = side === 'before' ? Math.max(0, at - reach) : at;
  const end = side === 'before' ? at : Math.min(frameCount(audio), at + reach);
  const mono = monoMix(audio, start, end);
  const nearest = (samples: number) => (side === 'before' ? mono.subarray(Math.max(0, mono.length - samples)) : mono.subarray(0, samples));
  return {
    levelDb: gatedLevel(nearest(settings.windowSamples), audio.sampleRate),
    shape: spectralShape(nearest(settings.spectrumSamples), audio.sampleRate),
    envelope: envelope(nearest(settings.onsetSamples), audio.sampleRate, side),
  };
}

function gatedLevel(signal: Float32Array, sampleRate: number): number {
  const block = Math.max(1, Math.round(BLOCK_SECONDS * sampleRate));
  // Mean square per block (the last one may be shorter).
  const energies = Array.from(
    kWeightedBlockEnergy(signal, sampleRate, block),
    (sum, j) => sum / (Math.min(signal.length, (j + 1) * block) - j * block),
  );
  const loudest = Math.max(0, ...energies);
  const gate = Math.max(10 ** (FLOOR_DB / 10), loudest * 10 ** (RELATIVE_GATE_DB / 10));
  const kept = energies.filter((e) => e >= gate);
  return kept.length ? 10 * Math.log10(kept.reduce((s, e) => s + e, 0) / kept.length) : FLOOR_DB;
}

const bandMaps = new Map<string, Int16Array>();

/** Which sixth-octave band each FFT bin falls in (-1: outside 60 Hz–16 kHz), per rate and frame size. */
function bandMap(sampleRate: number, size: number): Int16Array {
  const key = `${sampleRate}/${size}`;
  let map = bandMaps.get(key);
  if (!map) {
    map = new Int16Array(size / 2).map((_, bin) => {
      const hz = (bin * sampleRate) / size;
      return hz < LOWEST_BAND_HZ || hz >= Math.min(HIGHEST_BAND_HZ, sampleRate / 2)
        ? -1
        : Math.floor(BANDS_PER_OCTAVE * Math.log2(hz / LOWEST_BAND_HZ));
    });
    bandMaps.set(key, map);
  }
  return map;
}

export const BAND_COUNT = Math.ceil(BANDS_PER_OCTAVE * Math.log2(HIGHEST_BAND_HZ / LOWEST_BAND_HZ));

function spectralShape(signal: Float32Array, sampleRate: number): Float64Array {
  const size = 2 ** Math.round(Math.log2(SPECTRUM_SECONDS * sampleRate));
  const map = bandMap(sampleRate, size);
  const bins = new Float64Array(size / 2);
  const frame = new Float32Array(size);
  // Frames overlap by half and the last one ends at the window's edge; a window shorter than a frame is zero-padded.
  const starts = [Math.max(0, signal.length - size)];
  while (starts[starts.length - 1] > 0) starts.push(Math.max(0, starts[starts.length - 1] - size / 2));
  for (const s of starts) {
    frame.fill(0);
    frame.set(signal.subarray(s, s + size));
    addPowerSpectrum(frame, bins);
  }
  const power = new Float64Array(BAND_COUNT);
  for (let bin = 0; bin < bins.length; bin++) if (map[bin] >= 0) power[map[bin]] += bins[bin];
  const levels = power.map((p) => 10 * Math.log10(p + 1e-20));
  const loudest = Math.max(...levels);
  return levels.map((l) => Math.max(-SHAPE_RANGE_DB, l - loudest));
}

function envelope(signal: Float32Array, sampleRate: number, side: 'before' | 'after'): Float64Array {
  const hop = Math.max(1, Math.round(ENVELOPE_SECONDS * sampleRate));
  const frames = Math.floor(signal.length / hop);
  // Frames are laid from the seam outwards, so both sides share one grid through the seam.
  const offset = side === 'before' ? signal.length - frames * hop : 0;
  const out = new Float64Array(frames);
  // The first difference (a gentle high-pass) lets attacks stand out of sustained chords and bass.
  for (let k = 0; k < frames; k++) {
    let sum = 0;
    for (let i = offset + k * hop; i < offset + (k + 1) * hop; i++) sum += (signal[i] - (i > 0 ? signal[i - 1] : 0)) ** 2;
    out[k] = 10 * Math.log10(sum / hop + 1e-12);
  }
  return out;
}
