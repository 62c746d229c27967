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
