import { describe, expect, it } from 'vitest';
import { seededUniform } from '../../src/main/engine/rng';
import { TokenSampler, argmax } from '../../src/main/engine/sampler';

const V = 2048;

function logitsWith(peaks: Record<number, number>, base = 0): Float32Array {
  const logits = new Float32Array(V).fill(base);
  for (const [i, v] of Object.entries(peaks)) logits[Number(i)] = v;
  return logits;
}

function histogram(
  logits: Float32Array,
  settings: { temperature?: number; topK?: number; topP?: number },
  draws: number,
  seed = 7,
): Map<number, number> {
  const sampler = new TokenSampler(V);
  const uniform = seededUniform(seed);
  const counts = new Map<number, number>();
  for (let i = 0; i < draws; i++) {
    const token = sampler.pick(logits, 0, { greedy: false, temperature: 1, topK: 0, topP: 1, ...settings }, uniform);
    counts.set(token, (counts.get(token) ?? 0) + 1);
  }
  return counts;
}

describe('sampler', () => {
  it('argmax picks the first of equal maxima', () => {
    expect(argmax(Float32Array.of(1, 5, 5, 2), 0, 4)).toBe(1);
    expect(argmax(Float32Array.of(9, 1, 5, 7), 1, 3)).toBe(2);
  });

  it('greedy ignores the random stream', () => {
    const sampler = new TokenSampler(V);
    const logits = logitsWith({ 17: 3, 900: 2.5 });
    expect(sampler.pick(logits, 0, { greedy: true, temperature: 1, topK: 250, topP: 1 }, seededUniform(1))).toBe(17);
  });

  it('top-k keeps exactly the k most likely tokens', () => {
    const logits = logitsWith({ 10: 5, 20: 4.9, 30: 4.8, 40: 4.7 }, -1);
    const counts = histogram(logits, { topK: 3 }, 3000);
    expect([...counts.keys()].sort((a, b) => a - b)).toEqual([10, 20, 30]);
  });

  it('top-p keeps the smallest set reaching p', () => {
    // probabilities ~ 0.5, 0.3, 0.2 (others negligible)
    const logits = logitsWith({ 1: Math.log(0.5), 2: Math.log(0.3), 3: Math.log(0.2) }, -50);
    expect([...histogram(logits, { topP: 0.75 }, 2000).keys()].sort()).toEqual([1, 2]);
    expect([...histogram(logits, { topP: 0.4 }, 500).keys()]).toEqual([1]);
  });

  it('draws in proportion to the softmax, and temperature sharpens it', () => {
    const logits = logitsWith({ 5: Math.log(0.6), 6: Math.log(0.4) }, -60);
    const counts = histogram(logits, {}, 20000);
    expect(counts.get(5)! / 20000).toBeCloseTo(0.6, 1);
    const cold = histogram(logits, { temperature: 0.25 }, 20000);
    // (0.6^4) / (0.6^4 + 0.4^4) ≈ 0.835
    expect(cold.get(5)! / 20000).toBeCloseTo(0.835, 1);
  });

  it('is reproducible for a seed and differs across seeds', () => {
    const logits = new Float32Array(V).map((_, i) => Math.sin(i * 12.9898) * 3);
    const run = (seed: number) => {
      const sampler = new TokenSampler(V);
      const uniform = seededUniform(seed);
      return Array.from({ length: 50 }, () => sampler.pick(logits, 0, { greedy: false, temperature: 1, topK: 250, topP: 0.9 }, uniform));
    };
    expect(run(42)).toEqual(run(42));
    expect(run(42)).not.toEqual(run(43));
  });
});
