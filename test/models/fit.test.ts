import { describe, expect, it } from 'vitest';
import { estimateMemoryBytes, MEMORY_SHARE, recommendModel, type Candidate } from '../../src/main/models/fit';

const GB = 1e9;
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
});
const all = [
  c('small', 'fp32', 1, 3.3),
  c('small', 'q8', 1, 1.6),
  c('medium', 'fp32', 2, 10),
  c('medium', 'q8', 2, 4.1),
  c('large', 'fp32', 3, 18),
  c('large', 'q8', 3, 8.2),
];

describe('memory estimate', () => {
  it('is weights + the 30 s KV cache (2 · layers · 2 · 1504 · hidden · 4 bytes, 2 for fp16) + 256 MB', () => {
    const kv = 2 * 48 * 2 * 1504 * 1536 * 4;
    expect(estimateMemoryBytes(2e9, { layers: 48, hiddenSize: 1536 }, 'q8')).toBe(2e9 + kv + 256 * 2 ** 20);
    expect(estimateMemoryBytes(2e9, { layers: 48, hiddenSize: 1536 }, 'fp16')).toBe(2e9 + kv / 2 + 256 * 2 ** 20);
  });
});

describe('recommendation: the highest tier that fits in 70 % of memory; within it the fastest measured, else the lightest', () => {
  it('8 GB: medium q8 (4.1 GB fits in 5.6 GB; large q8 does not)', () => {
    expect(MEMORY_SHARE).toBe(0.7);
    expect(recommendModel(all, 8 * GB)).toMatchObject({ id: 'medium', variant: 'q8' });
  });
  it('4 GB: only small fits, in its lighter variant', () => {
    const pick = recommendModel(all, 4 * GB)!;
    expect(pick).toMatchObject({ id: 'small', variant: 'q8' });
    expect(pick.reason).toMatch(/best-sounding model that fits in this computer's 4\.0 GB of memory \(it needs about 1\.6 GB\)/);
  });
  it('16 GB: large q8; 32 GB: still large, and a measured faster variant wins over the lighter one', () => {
    expect(recommendModel(all, 16 * GB)).toMatchObject({ id: 'large', variant: 'q8' });
    const measured = all.map((x) => (x.id === 'large' ? { ...x, secondsPerSecond: x.variant === 'fp32' ? 3.1 : 4.5 } : x));
    const pick = recommendModel(measured, 32 * GB)!;
    expect(pick).toMatchObject({ id: 'large', variant: 'fp32' });
    expect(pick.reason).toMatch(/fastest variant measured here \(3\.10 s of compute per second of audio\)/);
  });
  it('nothing fits: no recommendation', () => {
    expect(recommendModel(all, 2 * GB)).toBeNull();
  });
});
