import type { AudioData } from '../../src/main/audio/types';

/** Test signals shared by the audio tests: deterministic, so failures reproduce. */

export function sine(frequency: number, seconds: number, sampleRate: number, amplitude = 1): Float32Array {
  const out = new Float32Array(Math.round(seconds * sampleRate));
  for (let i = 0; i < out.length; i++) out[i] = amplitude * Math.sin((2 * Math.PI * frequency * i) / sampleRate);
  return out;
}

/** Uniform noise in [-amplitude, amplitude) from a fixed-seed LCG. */
export function noise(frames: number, seed = 1, amplitude = 1): Float32Array {
  const out = new Float32Array(frames);
  let state = seed >>> 0;
  for (let i = 0; i < frames; i++) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    out[i] = amplitude * (state / 2 ** 31 - 1);
  }
  return out;
}

/** Snaps samples onto the `bits`-bit integer grid the codecs use, so lossless codecs must return them exactly. */
export function onGrid(samples: Float32Array, bits: number): Float32Array {
  const scale = 2 ** (bits - 1) - 1;
  return samples.map((x) => Math.round(Math.max(-1, Math.min(1, x)) * scale) / scale + 0); // + 0: no -0
}

export function audio(sampleRate: number, ...channels: ArrayLike<number>[]): AudioData {
  return { sampleRate, channels: channels.map((c) => Float32Array.from(c)) };
}

export function rms(values: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += values[i] * values[i];
  return Math.sqrt(sum / values.length);
}
