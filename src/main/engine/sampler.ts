/**
 * Token selection for one codebook row of logits, in HF's order: temperature → top-k → top-p →
 * draw. Runs once per codebook per take per step, so it works in preallocated scratch buffers
 * and finds the top k by quickselect (O(V)) instead of sorting the whole vocabulary.
 */
import type { Uniform } from './rng';

export interface SamplingSettings {
  greedy: boolean;
  temperature: number;
  /** 0 disables top-k. */
  topK: number;
  /** 1 disables top-p. */
  topP: number;
}

/** Index of the largest value; the first one on ties (as transformers.js picks). */
export function argmax(values: Float32Array, start: number, length: number): number {
  let best = values[start];
  let index = 0;
  for (let i = 1; i < length; i++) {
    const v = values[start + i];
    if (v > best) {
      best = v;
      index = i;
    }
  }
  return index;
}

export class TokenSampler {
  private readonly values: Float64Array;
  private readonly order: Int32Array;

  constructor(private readonly vocab: number) {
    this.values = new Float64Array(vocab);
    this.order = new Int32Array(vocab);
  }

  pick(logits: Float32Array, start: number, settings: SamplingSettings, uniform: Uniform | undefined): number {
    if (settings.greedy || !uniform) return argmax(logits, start, this.vocab);
    const { values, order } = this;
    const invT = 1 / settings.temperature;
    for (let i = 0; i < this.vocab; i++) {
      values[i] = logits[start + i] * invT;
      order[i] = i;
    }
    const k = settings.topK > 0 ? Math.min(settings.topK, this.vocab) : this.vocab;
    if (k < this.vocab) this.selectTop(k);
    // Only the nucleus cut needs the kept tokens in order, largest first.
    if (settings.topP < 1) this.sortTop(k);

    let max = -Infinity;
    for (let i = 0; i < k; i++) max = Math.max(max, values[order[i]]);
    let sum = 0;
    for (let i = 0; i < k; i++) {
      const p = Math.exp(values[order[i]] - max);
      values[order[i]] = p;
      sum += p;
    }
    let kept = k;
    if (settings.topP < 1) {
      let cumulative = 0;
      for (let i = 0; i < k; i++) {
        cumulative += values[order[i]] / sum;
        if (cumulative >= settings.topP) {
          kept = i + 1;
          break;
        }
      }
    }
    let total = 0;
    for (let i = 0; i < kept; i++) total += values[order[i]];
    let x = uniform() * total;
    for (let i = 0; i < kept; i++) {
      x -= values[order[i]];
      if (x < 0) return order[i];
    }
    return order[kept - 1];
  }

  /** Moves the indices of the k largest values to order[0..k) (Hoare quickselect). */
  private selectTop(k: number): void {
    const { values, order } = this;
    let lo = 0;
    let hi = this.vocab - 1;
    while (lo < hi) {
      const pivot = values[order[(lo + hi) >>> 1]];
      let i = lo;
      let j = hi;
      while (i <= j) {
        while (values[order[i]] > pivot) i++;
        while (values[order[j]] < pivot) j--;
        if (i <= j) {
          const t = order[i];
          order[i] = order[j];
          order[j] = t;
          i++;
          j--;
        }
      }
      if (k - 1 <= j) hi = j;
      else if (k - 1 >= i) lo = i;
      else break;
    }
  }

  /** Sorts order[0..k) by value descending, index ascending on ties, so draws are reproducible. */
  private sortTop(k: number): void {
    const { values, order } = this;
    const top = order.subarray(0, k);
    top.sort((a, b) => values[b] - values[a] || a - b);
  }
}
