/**
 * What `generate` and `continue` print once their jobs are done: a line per take (and the model,
 * device and decoder path), or with --json one object with the codes, settings, timings and files.
 * Everything comes from the services: the jobs' results, the saved takes, app/info.
 */
import type { AppInfo, Job, Take } from '../shared/contract';
import type { ModelSpec } from '../main/engine';
import { framesToSeconds } from '../shared/units';

type JobResult = NonNullable<Job['result']>;
type DecoderMode = NonNullable<NonNullable<AppInfo['engine']>['decoderMode']>;

/** One take as the run kept it. */
export interface ReportedTake {
  take: Take;
  codes: number[][] | null;
  /** The --out file it was written to. */
  out: string | null;
  /** Its id when it stays in the user's library (not with --no-save). */
  takeId: string | null;
}

export interface RunReport {
  takes: ReportedTake[];
  /** One per job, in order. */
  results: JobResult[];
  spec: ModelSpec;
  model: { id: string; dir: string; testModel: boolean };
  decoder: DecoderMode | undefined;
  /** The run's base seed and takes per prompt (take i used seed + i). */
  seed: number;
  variations: number;
  /** Command-specific fields (continue: the source and region). */
  extra: Record<string, unknown>;
}

const round = (value: number, digits = 2) => Math.round(value * 10 ** digits) / 10 ** digits;

/** The jobs' timings as one run's: sums, the step mean over all steps, the slowest job's 95th percentile. */
function timings(results: JobResult[]) {
  const sum = (key: keyof JobResult['timings']) => round(results.reduce((total, r) => total + r.timings[key], 0));
  const steps = sum('steps');
  const decoderMs = sum('decoderMs');
  return {
    loadMs: sum('loadMs'),
    textEncoderMs: sum('textEncoderMs'),
    decoderMs,
    decoderRunMs: sum('decoderRunMs'),
    steps,
    msPerStep: round(steps ? decoderMs / steps : 0),
    p95StepMs: Math.max(...results.map((r) => r.timings.p95StepMs)),
    codecMs: sum('codecMs'),
    totalMs: sum('totalMs'),
  };
}

export function printReport(report: RunReport, json: boolean | undefined): void {
  const { spec } = report;
  const takes = report.takes.map(({ take, codes, out, takeId }) => ({
    out,
    takeId,
    prompt: take.prompt,
    seed: take.seed,
    frames: take.frames,
    contextFrames: take.contextFrames,
    samples: Math.round(take.durationSeconds * take.sampleRate),
    seconds: round(framesToSeconds(take.frames, spec), 3),
    // Tempo, key and signature asked for, and what the audio measures.
    music: take.music,
    codes,
  }));
  const first = report.results[0];
  if (json) {
    const object = {
      ...takes[0],
      sampleRate: spec.sampleRate,
      channels: spec.channels,
      codebooks: spec.codebooks,
      device: first.device,
      deviceReason: first.deviceReason,
      model: { id: report.model.id, dir: report.model.dir, variant: first.variant, testModel: report.model.testModel },
      // Which decoder path ran (split two-block, split, merged, pair) and, when not the fastest, why.
      decoder: report.decoder,
      settings: {
        maxNewTokens: first.maxNewTokens,
        guidanceScale: first.guidanceScale,
        ...first.sampling,
        seed: report.seed,
        variations: report.variations,
      },
      ...report.extra,
      timings: timings(report.results),
      warnings: report.results.flatMap((r) => r.warnings),
      ...(takes.length > 1 ? { takes } : {}),
    };
    process.stdout.write(`${JSON.stringify(object)}\n`);
    return;
  }
  const decoder = report.decoder ? `; ${describeDecoder(report.decoder)}` : '';
  process.stdout.write(`Model ${report.model.id} (${first.variant}) on ${first.deviceReason}${decoder}\n`);
  for (const take of takes) {
    const channels = spec.channels === 2 ? 'stereo' : 'mono';
    const where =
      [take.out && `wrote ${take.out}`, take.takeId && `saved as take ${take.takeId.slice(0, 8)}`].filter(Boolean).join(', ') || 'not kept';
    process.stdout.write(`${take.seconds} s, ${spec.sampleRate / 1000} kHz ${channels}, seed ${take.seed}: ${where}\n`);
  }
}

/** One phrase for the decoder path, so a slower path never goes unmentioned. */
function describeDecoder({ mode, cache, note }: DecoderMode): string {
  const path =
    mode === 'split' ? `decoder split${cache === 'two-block' ? ' with the two-block cache' : ''}` : `decoder ${mode} (as exported)`;
  return note ? `${path}: ${note}` : path;
}
