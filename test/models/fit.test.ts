import { describe, expect, it } from 'vitest';
import { estimateMemoryBytes, MEMORY_SHARE, recommendModel, type Candidate } from '../../src/main/models/fit';

const GB = 1e9;
/** layers × hidden² of musicgen small, medium and large. */
const COMPUTE: Record<string, number> = { small: 24 * 1024 ** 2, medium: 48 * 1536 ** 2, large: 48 * 2048 ** 2 };
const c = (
  id: string,
  variant: Candidate['variant'],
  tier: number,
  memoryGb: number,
  secondsPerSecond: number | null = null,
): Candidate => ({
  id,
  name: id,
  variant,
  tier,
  memoryBytes: memoryGb * GB,
  secondsPerSecond,
  compute: COMPUTE[id],
});
const all = [
  c('small', 'fp32', 1, 3.3),
  c('small', 'q8', 1, 1.6),
  c('medium', 'fp32', 2, 10),
  c('medium', 'q8', 2, 4.1),
  c('large', 'fp32', 3, 18),
  c('large', 'q8', 3, 8.2),
];
const measure = (list: Candidate[], speeds: Record<string, number>) =>
  list.map((x) => ({ ...x, secondsPerSecond: speeds[`${x.id} ${x.variant}`] ?? null }));

describe('memory estimate', () => {
  it('is weights + the 30 s KV cache (2 · layers · 2 · 1504 · hidden · 4 bytes, 2 for fp16) + 256 MB', () => {
    const kv = 2 * 48 * 2 * 1504 * 1536 * 4;
    expect(estimateMemoryBytes(2e9, { layers: 48, hiddenSize: 1536 }, 'q8')).toBe(2e9 + kv + 256 * 2 ** 20);
    expect(estimateMemoryBytes(2e9, { layers: 48, hiddenSize: 1536 }, 'fp16')).toBe(2e9 + kv / 2 + 256 * 2 ** 20);
  });
});

describe('recommendation: fits in 70 % of memory; the best-sounding tier that runs at ≤ 4 s per second of audio', () => {
  it('nothing measured yet: the smallest model in its smallest download, to be measured', () => {
    expect(MEMORY_SHARE).toBe(0.7);
    const pick = recommendModel(all, 64 * GB)!;
    expect(pick).toMatchObject({ id: 'small', variant: 'q8' });
    expect(pick.reason).toMatch(
      /^small q8: start here \(it needs about 1\.6 GB of this computer's 64\.0 GB\)\. Its speed is measured after download/,
    );
  });

  it('a slow CPU (small at 2.6 s/s): medium is predicted at 2.6 × 3.4 ≈ 9 s/s, so small stays, its faster variant', () => {
    const pick = recommendModel(measure(all, { 'small fp32': 2.6, 'small q8': 4.4 }), 64 * GB)!;
    expect(pick).toMatchObject({ id: 'small', variant: 'fp32' });
    expect(pick.reason).toMatch(/runs at a usable speed on this computer \(measured here: 2\.60 s of compute per second of audio/);
  });

  it('a fast machine (small at 0.3 s/s): large is predicted under 4 s/s and recommended where it fits', () => {
    const fast = measure(all, { 'small fp32': 0.3 });
    const pick = recommendModel(fast, 64 * GB)!;
    // 0.3 × (48 · 2048²) / (24 · 1024²) = 2.4 s/s for either variant: the lighter download wins the tie.
    expect(pick).toMatchObject({ id: 'large', variant: 'q8' });
    expect(pick.reason).toMatch(/predicted from the speed measured here: 2\.40 s/);
    // 8 GB: large does not fit (8.2 GB > 5.6 GB), medium q8 does (4.1 GB).
    expect(recommendModel(fast, 8 * GB)).toMatchObject({ id: 'medium', variant: 'q8' });
  });

  it('a measurement beats a prediction, and when nothing is usable the fastest is named as such', () => {
    const pick = recommendModel(measure(all, { 'small fp32': 0.3, 'large fp32': 5, 'large q8': 6 }), 64 * GB)!;
    // Large measured too slow; medium predicted from large's 5 s/s: 5 × (48 · 1536²) / (48 · 2048²) ≈ 2.8.
    expect(pick).toMatchObject({ id: 'medium', variant: 'q8' });
    expect(pick.reason).toMatch(/predicted from the speed measured here: 2\.81 s/);
    const slow = recommendModel(measure(all, { 'small fp32': 9, 'small q8': 12 }), 64 * GB)!;
    expect(slow).toMatchObject({ id: 'small', variant: 'fp32' });
    expect(slow.reason).toMatch(/the fastest model on this computer, though slower than 4 s per second of audio/);
  });

  it('nothing fits: no recommendation', () => {
    expect(recommendModel(all, 2 * GB)).toBeNull();
  });
});
