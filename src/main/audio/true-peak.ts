import { dbToGain, gainToDb } from './dsp';
import { assertAudioData, frameCount, type AudioData } from './types';

/**
 * True peak per ITU-R BS.1770-4 Annex 2: the signal is oversampled 4× with a polyphase
 * low-pass (48 taps, 12 per phase) and the largest absolute value of the oversampled signal is
 * the true peak. Sample peak misses inter-sample overs that a DAC or a lossy encoder produces.
 */
const PHASES = 4;
const TAPS_PER_PHASE = 12;

/** Windowed-sinc interpolation filter, one row of 12 taps per phase (phase 0 is the sample itself). */
const POLYPHASE: Float64Array[] = (() => {
  const taps = PHASES * TAPS_PER_PHASE;
  const centre = (taps - 1) / 2;
  const rows = Array.from({ length: PHASES }, () => new Float64Array(TAPS_PER_PHASE));
  for (let n = 0; n < taps; n++) {
    const t = (n - centre) / PHASES;
    const sinc = t === 0 ? 1 : Math.sin(Math.PI * t) / (Math.PI * t);
    const window = 0.5 - 0.5 * Math.cos((2 * Math.PI * (n + 0.5)) / taps); // Hann
    rows[n % PHASES][Math.floor(n / PHASES)] = sinc * window;
  }
  return rows;
})();

/** The most an interpolated value can exceed the largest |sample| of its window (sum of |taps|). */
const GAIN_BOUND = Math.max(...POLYPHASE.map((row) => row.reduce((sum, h) => sum + Math.abs(h), 0)));
const BLOCK = 256;
const HALF = TAPS_PER_PHASE / 2;

/**
 * Scans every channel in blocks. A block whose window's largest |sample| times GAIN_BOUND cannot
 * reach `floor` is skipped (its oversampled values cannot exceed it); the others are oversampled.
 * Music rarely nears its peak, so most blocks are skipped. With `envelope`, writes per frame the
 * largest oversampled magnitude between this sample and the next (exact wherever it can exceed
 * `floor`, the sample magnitude elsewhere). Returns the largest value seen.
 */
function scan(audio: AudioData, floor: number, envelope?: Float32Array): number {
  const frames = frameCount(audio);
  let peak = 0;
  for (const x of audio.channels) {
    const padded = new Float32Array(frames + TAPS_PER_PHASE + 1);
    padded.set(x, HALF); // padded[i + HALF] = x[i]; zeros around
    for (let b0 = 0; b0 < frames; b0 += BLOCK) {
      const b1 = Math.min(frames, b0 + BLOCK);
      let windowMax = 0;
      for (let j = b0 - HALF + 1; j <= b1 + HALF; j++) {
        const v = Math.abs(padded[j + HALF] ?? 0);
        if (v > windowMax) windowMax = v;
      }
      const oversample = windowMax * GAIN_BOUND > (envelope ? floor : peak);
      for (let i = b0; i < b1; i++) {
        let value = Math.abs(x[i]);
        if (oversample) {
          // taps k = 0..11 read x[i + HALF - k] = padded[i + 2*HALF - k]
          const base = i + 2 * HALF;
          for (let p = 0; p < PHASES; p++) {
            const h = POLYPHASE[p];
            const sum =
              h[0] * padded[base] +
              h[1] * padded[base - 1] +
              h[2] * padded[base - 2] +
              h[3] * padded[base - 3] +
              h[4] * padded[base - 4] +
              h[5] * padded[base - 5] +
              h[6] * padded[base - 6] +
              h[7] * padded[base - 7] +
              h[8] * padded[base - 8] +
              h[9] * padded[base - 9] +
              h[10] * padded[base - 10] +
              h[11] * padded[base - 11];
            const v = Math.abs(sum);
            if (v > value) value = v;
          }
        }
        if (value > peak) peak = value;
        if (envelope && value > envelope[i]) envelope[i] = value;
      }
    }
  }
  return peak;
}

/**
 * Per frame, the largest oversampled magnitude over every channel between this sample and the
 * next: the envelope the limiter works on. Exact wherever it can exceed `floor` (default: all).
 */
export function truePeakEnvelope(audio: AudioData, floor = 0): Float32Array {
  assertAudioData(audio);
  const envelope = new Float32Array(frameCount(audio));
  scan(audio, floor, envelope);
  return envelope;
}

/** True peak in dBTP; -Infinity for digital silence. */
export function truePeakDb(audio: AudioData): number {
  assertAudioData(audio);
  return gainToDb(scan(audio, 0));
}

export interface LimiterOptions {
  /** Ceiling in dBTP (true peak). */
  ceilingDb: number;
  /** Look-ahead: the gain is already down when a peak arrives. Default 1.5 ms. */
  lookaheadSeconds?: number;
  /** Recovery time back to unity gain. Default 100 ms. */
  releaseSeconds?: number;
}

/**
 * A look-ahead true-peak limiter: the gain each frame needs (ceiling / true-peak envelope) is
 * taken as a minimum over the look-ahead window, averaged over the same window (so it ramps down
 * before the peak without a step), and released smoothly. A last static trim catches what the
 * smoothing left over, so the result's true peak is never above the ceiling.
 */
export function limitTruePeak(audio: AudioData, options: LimiterOptions): AudioData {
  assertAudioData(audio);
  const frames = frameCount(audio);
  const ceiling = dbToGain(options.ceilingDb);
  const lookahead = Math.max(1, Math.round((options.lookaheadSeconds ?? 0.0015) * audio.sampleRate));
  const release = Math.exp(-1 / Math.max(1, (options.releaseSeconds ?? 0.1) * audio.sampleRate));
  const envelope = truePeakEnvelope(audio, ceiling);
  const needed = new Float32Array(frames);
  for (let i = 0; i < frames; i++) needed[i] = envelope[i] > ceiling ? ceiling / envelope[i] : 1;
  const ahead = slidingMinimumAhead(needed, lookahead);
  const gain = new Float32Array(frames);
  let sum = lookahead; // the window starts full of unity gain
  let released = 1;
  for (let i = 0; i < frames; i++) {
    sum += ahead[i] - (i >= lookahead ? ahead[i - lookahead] : 1);
    const smooth = Math.min(1, sum / lookahead);
    released = Math.min(smooth, released * release + (1 - release));
    gain[i] = released;
  }
  let limited: AudioData = { sampleRate: audio.sampleRate, channels: audio.channels.map((c) => c.map((x, i) => x * gain[i])) };
  for (let pass = 0; pass < 4; pass++) {
    const peak = dbToGain(truePeakDb(limited));
    if (!(peak > ceiling)) break;
    const trim = (ceiling / peak) * 0.9999;
    limited = { sampleRate: audio.sampleRate, channels: limited.channels.map((c) => c.map((x) => x * trim)) };
  }
  return limited;
}

/** out[i] = min(values[i .. i + window - 1]), with a monotonic deque: O(n). */
function slidingMinimumAhead(values: Float32Array, window: number): Float32Array {
  const n = values.length;
  const out = new Float32Array(n);
  const deque = new Int32Array(n + window);
  let head = 0;
  let tail = 0;
  let next = 0;
  for (let i = 0; i < n; i++) {
    const last = Math.min(n - 1, i + window - 1);
    for (; next <= last; next++) {
      while (tail > head && values[deque[tail - 1]] >= values[next]) tail--;
      deque[tail++] = next;
    }
    while (deque[head] < i) head++;
    out[i] = values[deque[head]];
  }
  return out;
}
