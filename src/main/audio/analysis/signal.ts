import { frameCount, type AudioData } from '../types';

/**
 * The channels averaged over [start, end): analysis looks at the music, not the stereo image, and
 * runs once whatever the channel count. Mono input comes back as a view, not a copy.
 */
export function monoMix(audio: AudioData, start = 0, end = frameCount(audio)): Float32Array {
  const from = Math.max(0, Math.min(start, frameCount(audio)));
  const to = Math.max(from, Math.min(end, frameCount(audio)));
  if (audio.channels.length === 1) return audio.channels[0].subarray(from, to);
  const mono = new Float32Array(to - from);
  const scale = 1 / audio.channels.length;
  for (const channel of audio.channels) {
    for (let i = from; i < to; i++) mono[i - from] += channel[i] * scale;
  }
  return mono;
}

/** The whole-number factor that brings `sampleRate` down to at least `targetRate`. */
export function decimationFactor(sampleRate: number, targetRate: number): number {
  return Math.max(1, Math.floor(sampleRate / targetRate));
}

/**
 * Keeps every `factor`th sample after a windowed-sinc low-pass at 90 % of the new Nyquist, so
 * partials above it do not fold down into the chroma and onset bands the analysis reads. Only the
 * kept samples are filtered: the cost is taps per output sample, not per input sample.
 */
export function decimate(signal: Float32Array, factor: number): Float32Array {
  if (factor === 1) return signal;
  const half = 4 * factor;
  const cutoff = 0.45 / factor; // cycles per input sample
  const taps = new Float64Array(2 * half + 1);
  let sum = 0;
  for (let k = -half; k <= half; k++) {
    const sinc = k === 0 ? 2 * cutoff : Math.sin(2 * Math.PI * cutoff * k) / (Math.PI * k);
    const blackman = 0.42 + 0.5 * Math.cos((Math.PI * k) / half) + 0.08 * Math.cos((2 * Math.PI * k) / half);
    taps[k + half] = sinc * blackman;
    sum += taps[k + half];
  }
  for (let k = 0; k < taps.length; k++) taps[k] /= sum;
  const out = new Float32Array(Math.floor(signal.length / factor));
  for (let o = 0; o < out.length; o++) {
    const centre = o * factor;
    const first = Math.max(-half, -centre);
    const last = Math.min(half, signal.length - 1 - centre);
    let acc = 0;
    for (let k = first; k <= last; k++) acc += taps[k + half] * signal[centre + k];
    out[o] = acc;
  }
  return out;
}

/** Root mean square of a range; 0 for an empty one. */
export function rootMeanSquare(signal: Float32Array, start = 0, end = signal.length): number {
  let sum = 0;
  for (let i = start; i < end; i++) sum += signal[i] * signal[i];
  return end > start ? Math.sqrt(sum / (end - start)) : 0;
}

export function mean(values: number[]): number {
  return values.reduce((sum, v) => sum + v, 0) / Math.max(1, values.length);
}

/** The value a fraction `q` of the way through the sorted values, interpolated (0.5: the median); 0 for none. */
export function quantile(values: number[], q: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const at = q * (sorted.length - 1);
  const below = Math.floor(at);
  return below + 1 < sorted.length ? sorted[below] + (at - below) * (sorted[below + 1] - sorted[below]) : sorted[below];
}
