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

/**
 * Per frame, the largest oversampled magnitude over every channel between this sample and the
 * next: the envelope the limiter works on, and whose maximum is the true peak.
 */
export function truePeakEnvelope(audio: AudioData): Float32Array {
  assertAudioData(audio);
  const frames = frameCount(audio);
  const envelope = new Float32Array(frames);
  const half = TAPS_PER_PHASE / 2;
  for (const x of audio.channels) {
    for (let i = 0; i < frames; i++) {
      let peak = Math.abs(x[i]);
      for (let p = 0; p < PHASES; p++) {
        const row = POLYPHASE[p];
        let sum = 0;
        for (let k = 0; k < TAPS_PER_PHASE; k++) {
          const j = i + half - k;
          if (j >= 0 && j < frames) sum += row[k] * x[j];
        }
        const v = Math.abs(sum);
        if (v > peak) peak = v;
      }
      if (peak > envelope[i]) envelope[i] = peak;
    }
  }
  return envelope;
}

/** True peak in dBTP; -Infinity for digital silence. */
export function truePeakDb(audio: AudioData): number {
  const envelope = truePeakEnvelope(audio);
  let peak = 0;
  for (let i = 0; i < envelope.length; i++) if (envelope[i] > peak) peak = envelope[i];
  return gainToDb(peak);
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
  const envelope = truePeakEnvelope(audio);
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
