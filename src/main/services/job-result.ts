/** A generation job's result (contract JobResultSchema) from what the engine host reported. */
import type { EngineInfo, HostResult } from './engine-host';
import type { JobResult } from './keep-takes';

function percentile(values: number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

const round = (value: number) => Math.round(value * 100) / 100;

export function jobResult(info: EngineInfo, result: HostResult, loadMs: number): JobResult {
  const t = result.timings;
  return {
    modelId: info.modelId,
    variant: info.variant,
    device: info.device,
    deviceReason: info.deviceReason,
    seed: result.seed,
    maxNewTokens: result.maxNewTokens,
    guidanceScale: result.guidanceScale,
    sampling: result.sampling,
    warnings: result.warnings,
    // Per-step times stay here: a long take has thousands, and every job.updated event carries the result.
    timings: {
      loadMs: round(loadMs),
      textEncoderMs: round(t.textEncoderMs),
      decoderMs: round(t.decoderMs),
      decoderRunMs: round(t.decoderRunMs),
      steps: t.steps,
      msPerStep: round(t.steps ? t.decoderMs / t.steps : 0),
      p95StepMs: round(percentile(t.stepMs, 95)),
      codecMs: round(t.codecMs),
      totalMs: round(t.totalMs),
    },
  };
}

/**
 * Several generations as one job's (a song's sections): timings and steps summed, the request of the
 * first (they share guidance and sampling), `seed` the job's own.
 */
export function mergeHostResults(results: HostResult[], seed: number, extraMs: { codecMs: number; totalMs: number }): HostResult {
  const sum = (key: 'textEncoderMs' | 'decoderMs' | 'decoderRunMs' | 'steps') => results.reduce((total, r) => total + r.timings[key], 0);
  return {
    ...results[0],
    takes: [],
    seed,
    warnings: [...new Set(results.flatMap((r) => r.warnings))],
    maxNewTokens: results.reduce((total, r) => total + r.maxNewTokens, 0),
    timings: {
      textEncoderMs: sum('textEncoderMs'),
      decoderMs: sum('decoderMs'),
      decoderRunMs: sum('decoderRunMs'),
      steps: sum('steps'),
      stepMs: results.flatMap((r) => r.timings.stepMs),
      codecMs: extraMs.codecMs,
      totalMs: extraMs.totalMs,
    },
  };
}
