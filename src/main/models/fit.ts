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
  /** The decoder's work per step, layers × hidden²: what a step's time grows with. */
  compute: number;
}

/** The share of this computer's memory a model may take: the OS, the app and the browser need the rest. */
export const MEMORY_SHARE = 0.7;
/** Slowest speed worth recommending: 4 s of compute per second of audio, 30 s of music in 2 minutes. */
export const USABLE_SECONDS_PER_SECOND = 4;

export interface Recommendation {
  id: string;
  variant: ModelVariant;
  reason: string;
}

const gb = (bytes: number) => `${(bytes / 1e9).toFixed(1)} GB`;
const rate = (s: number) => `${s.toFixed(2)} s of compute per second of audio`;

/**
 * The rule, in order:
 * 1. Only variants whose estimated memory fits in 70 % of this computer's memory.
 * 2. Speed: measured here, else predicted from the nearest measured variant scaled by the decoder's
 *    work per step (layers × hidden²; weights' precision is not scaled: on CPUs q8 is not reliably
 *    faster). With no measurement at all, nothing can be said about speed: recommend the smallest
 *    model in its smallest download, to be measured after install (pull calibrates it).
 * 3. The best-sounding tier with a variant at or under 4 s of compute per second of audio, its
 *    fastest variant; if none is that fast, the fastest variant overall.
 */
export function recommendModel(candidates: Candidate[], totalMemoryBytes: number): Recommendation | null {
  const fitting = candidates.filter((c) => c.memoryBytes <= totalMemoryBytes * MEMORY_SHARE);
  if (fitting.length === 0) return null;
  const memory = (c: Candidate) => `it needs about ${gb(c.memoryBytes)} of this computer's ${gb(totalMemoryBytes)}`;
  const measured = fitting.filter((c) => c.secondsPerSecond !== null);
  if (measured.length === 0) {
    const first = [...fitting].sort((a, b) => a.tier - b.tier || a.memoryBytes - b.memoryBytes)[0];
    return {
      id: first.id,
      variant: first.variant,
      reason: `${first.name} ${first.variant}: start here (${memory(first)}). Its speed is measured after download; then Continuo says whether a larger model runs at a usable speed on this computer.`,
    };
  }
  const speed = (c: Candidate): { value: number; measured: boolean } => {
    if (c.secondsPerSecond !== null) return { value: c.secondsPerSecond, measured: true };
    const base = [...measured].sort((a, b) => Math.abs(Math.log(a.compute / c.compute)) - Math.abs(Math.log(b.compute / c.compute)))[0];
    return { value: base.secondsPerSecond! * (c.compute / base.compute), measured: false };
  };
  const rated = fitting.map((c) => ({ c, speed: speed(c) }));
  const usable = rated.filter((r) => r.speed.value <= USABLE_SECONDS_PER_SECOND);
  const pool = usable.length > 0 ? usable.filter((r) => r.c.tier === Math.max(...usable.map((u) => u.c.tier))) : rated;
  const best = [...pool].sort((a, b) => a.speed.value - b.speed.value || a.c.memoryBytes - b.c.memoryBytes)[0];
  const how = `${best.speed.measured ? 'measured' : 'predicted from the speed measured'} here: ${rate(best.speed.value)}`;
  const why =
    usable.length > 0
      ? `the best-sounding model that runs at a usable speed on this computer (${how}; ${memory(best.c)})`
      : `the fastest model on this computer, though slower than ${USABLE_SECONDS_PER_SECOND} s per second of audio (${how}; ${memory(best.c)})`;
  return { id: best.c.id, variant: best.c.variant, reason: `${best.c.name} ${best.c.variant}: ${why}.` };
}
