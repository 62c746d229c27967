/**
 * How a model fits this computer: the memory a variant needs (estimated from its files), its
 * measured speed (a short calibration run after install, kept beside the model), and which
 * model and variant to recommend.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { writeFileAtomic } from '../atomic-file';
import type { ModelVariant } from '../engine/model-files';

/** 30 s of audio at 50 frames/s, plus the codebooks' delay: the positions a full window caches. */
const WINDOW_POSITIONS = 1504;
/** onnxruntime's arenas, activations, the text encoder's states, audio buffers: a fixed allowance. */
const RUNTIME_OVERHEAD = 256 * 2 ** 20;

/**
 * Memory a variant needs to generate 30 s:
 *
 *   weights (every ONNX file and its .onnx_data, as downloaded: decoder + text encoder + codec)
 *   + self-attention KV cache = 2 (K and V) × layers × 2 (guidance doubles the batch)
 *                               × 1504 positions × hidden size × 4 bytes (2 for fp16)
 *   + 256 MB runtime overhead
 *
 * e.g. musicgen-medium q8 (~2.1 GB): 2.1 + 2·48·2·1504·1536·4 (1.77 GB) + 0.27 ≈ 4.1 GB.
 */
export function estimateMemoryBytes(
  weightBytes: number,
  architecture: { layers: number; hiddenSize: number },
  variant: ModelVariant,
): number {
  const bytesPerValue = variant === 'fp16' || variant === 'q4f16' ? 2 : 4;
  const kvCache = 2 * architecture.layers * 2 * WINDOW_POSITIONS * architecture.hiddenSize * bytesPerValue;
  return Math.round(weightBytes + kvCache + RUNTIME_OVERHEAD);
}

export const CALIBRATION_NAME = 'continuo-calibration.json';

export const CalibrationSchema = z.object({
  /** Seconds of compute per second of audio (below 1: faster than real time). */
  secondsPerSecond: z.number().positive(),
  audioSeconds: z.number().positive(),
  computeSeconds: z.number().nonnegative(),
  device: z.string(),
  measuredAt: z.string(),
});
export type Calibration = z.output<typeof CalibrationSchema>;

const CalibrationFileSchema = z.record(z.string(), CalibrationSchema);

/** The calibrations recorded in a model folder, by variant. */
export function readCalibrations(dir: string): Partial<Record<ModelVariant, Calibration>> {
  const path = join(dir, CALIBRATION_NAME);
  if (!existsSync(path)) return {};
  try {
    const parsed = CalibrationFileSchema.safeParse(JSON.parse(readFileSync(path, 'utf8')));
    return parsed.success ? (parsed.data as Partial<Record<ModelVariant, Calibration>>) : {};
  } catch {
    return {};
  }
}

export function writeCalibration(dir: string, variant: ModelVariant, calibration: Calibration): void {
  const all = { ...readCalibrations(dir), [variant]: calibration };
  writeFileAtomic(join(dir, CALIBRATION_NAME), new TextEncoder().encode(`${JSON.stringify(all, null, 2)}\n`));
}

export interface Candidate {
  id: string;
  name: string;
  variant: ModelVariant;
  /** Higher sounds better (small 1, medium 2, large 3). */
  tier: number;
  memoryBytes: number;
  /** Measured here, or null before calibration. */
  secondsPerSecond: number | null;
}

/** The share of this computer's memory a model may take: the OS, the app and the browser need the rest. */
export const MEMORY_SHARE = 0.7;

export interface Recommendation {
  id: string;
  variant: ModelVariant;
  reason: string;
}

const gb = (bytes: number) => `${(bytes / 1e9).toFixed(1)} GB`;

/**
 * The rule: of the variants whose estimated memory fits in 70 % of this computer's memory, take
 * the highest quality tier (larger model); within it, the fastest measured here, else (none
 * measured) the one needing the least memory, which is also the fastest on a CPU.
 */
export function recommendModel(candidates: Candidate[], totalMemoryBytes: number): Recommendation | null {
  const budget = totalMemoryBytes * MEMORY_SHARE;
  const fitting = candidates.filter((c) => c.memoryBytes <= budget);
  if (fitting.length === 0) return null;
  const tier = Math.max(...fitting.map((c) => c.tier));
  const inTier = fitting.filter((c) => c.tier === tier);
  const measured = inTier.filter((c) => c.secondsPerSecond !== null).sort((a, b) => a.secondsPerSecond! - b.secondsPerSecond!);
  const best = measured[0] ?? [...inTier].sort((a, b) => a.memoryBytes - b.memoryBytes)[0];
  const fits = `the best-sounding model that fits in this computer's ${gb(totalMemoryBytes)} of memory (it needs about ${gb(best.memoryBytes)})`;
  const speed =
    best.secondsPerSecond !== null
      ? `, and its fastest variant measured here (${best.secondsPerSecond.toFixed(2)} s of compute per second of audio)`
      : inTier.length > 1
        ? ', in its lightest variant (the quickest on a CPU; not measured here yet)'
        : '';
  return { id: best.id, variant: best.variant, reason: `${best.name} ${best.variant}: ${fits}${speed}.` };
}
