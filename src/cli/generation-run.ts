/**
 * What `generate` and `continue` share, as clients of the services (the studio's code path): the
 * cheap checks first (where the takes will be written, the model and its config, the request, the
 * library), then one job per prompt through the services (job-runner.ts), then the takes written
 * to --out from what the services kept (keep-outputs.ts) and reported (report.ts).
 */
import type { Job, ParamsOf } from '../shared/contract';
import type { Library } from '../main/library';
import { CliError } from './errors';
import { buildRequest, type GenerationFlags, type RunRequest } from './generation-options';
import { Interrupt, JobFailedError, runJob, type FinishedJob, type JobMethod } from './job-runner';
import { failureMessage, keepOutputs, type KeptTake } from './keep-outputs';
import { chooseModel, TEST_MODEL_NOTICE, type ModelChoice } from './model-choice';
import { prepareOutputs, type OutputFile } from './output';
import { progressMode } from './progress';
import { printReport } from './report';
import { openRunServices, type RunServices } from './run-services';
import { userPath } from './user-path';

/** Everything checked before a model is loaded, and the services to run on. Close it when done. */
export interface PreparedRun {
  dataDir: string;
  flags: GenerationFlags;
  choice: ModelChoice;
  request: RunRequest;
  outputs: OutputFile[];
  run: RunServices;
  interrupt: Interrupt;
  close(): Promise<void>;
}

export function prepareRun(flags: GenerationFlags, dataDir: string, defaultSeconds: number): PreparedRun {
  if (!flags.out && !flags.save) throw new CliError('Nothing would be kept: give --out FILE.wav, or drop --no-save.', 2);
  const prompts = flags.prompt ?? [''];
  const outputs = flags.out ? prepareOutputs(userPath(flags.out), prompts.length * flags.variations) : [];
  const choice = chooseModel(dataDir, flags);
  const request = buildRequest(flags, choice.spec, defaultSeconds);
  // Opened now, so a damaged library is reported before minutes of generation rather than after.
  const run = openRunServices(dataDir, { save: flags.save, session: choice.session });
  if (choice.model.isTestModel) process.stderr.write(`note: ${TEST_MODEL_NOTICE}\n`);
  const interrupt = new Interrupt();
  return {
    dataDir,
    flags,
    choice,
    request,
    outputs,
    run,
    interrupt,
    close: async () => {
      interrupt.dispose();
      await run.close();
    },
  };
}

/** One job of a run: take i of the whole run is take i of these jobs' takes, in order. */
export interface PlannedJob<M extends JobMethod = JobMethod> {
  method: M;
  params: ParamsOf<M>;
  label: string;
}

/** The fields every job of a run shares; prompt `p` of a batch starts at seed + p × variations. */
export function jobFields(request: RunRequest, p: number) {
  return {
    seconds: request.seconds,
    guidanceScale: request.guidanceScale,
    sampling: request.sampling,
    seed: (request.seed + p * request.variations) >>> 0,
    variations: request.variations,
    ...request.music,
  };
}

/** "Generating", or "Generating (prompt 2/3)" in a batch of prompts. */
export function jobLabel(verb: string, p: number, count: number): string {
  return count > 1 ? `${verb} (prompt ${p + 1}/${count})` : verb;
}

/**
 * Runs the jobs one after another, then writes --out and reports. A failed job stops the run; the
 * takes of the jobs before it are still written, and the error says where everything is.
 */
export async function runAndKeep(prepared: PreparedRun, jobs: PlannedJob[], extra: Record<string, unknown> = {}): Promise<void> {
  const { services, save } = prepared.run;
  const progress = progressMode(prepared.flags.progress);
  const finished: FinishedJob[] = [];
  let failed: Job | undefined;
  for (const job of jobs) {
    try {
      finished.push(await runJob(services, job.method, job.params, { label: job.label, progress, interrupt: prepared.interrupt }));
    } catch (error) {
      if (error instanceof JobFailedError) {
        failed = error.job;
        break;
      }
      if (finished.length && save && error instanceof Error && error.name === 'AbortError') {
        const ids = finished.flatMap((f) => f.takes.map((t) => t.id.slice(0, 8)));
        throw new CliError(
          `Cancelled. The takes finished before it are in the library (${ids.join(', ')}); nothing was written to --out.`,
          130,
        );
      }
      throw error;
    }
  }
  const results = [...finished.map((f) => f.job.result), failed?.result].filter((r) => r !== undefined);
  for (const warning of results.flatMap((r) => r.warnings)) process.stderr.write(`warning: ${warning}\n`);

  const takes = finished.flatMap((f) => f.takes);
  const options = {
    outputs: prepared.outputs,
    format: prepared.flags.format,
    library: services.library,
    save,
    dataDir: prepared.dataDir,
  };
  if (failed) {
    const kept = keepOutputs([...takes.map((saved) => ({ saved })), ...failedTakes(failed, services.library)], options);
    throw new CliError(failureMessage(kept, { message: failed.error?.message ?? 'The job failed.', unsaved: failed.result?.unsaved }));
  }
  const kept = keepOutputs(
    takes.map((saved) => ({ saved })),
    options,
  );
  if (kept.problems.length) throw new CliError(failureMessage(kept));

  const info = await services.call('app/info', {});
  printReport(
    {
      takes: takes.map((take, i) => ({
        take,
        codes: services.library.getCodes(take.id),
        out: kept.paths[i],
        takeId: save ? take.id : null,
      })),
      results,
      spec: prepared.choice.spec,
      model: { id: prepared.choice.model.id, dir: prepared.choice.dir, testModel: prepared.choice.model.isTestModel },
      decoder: info.engine?.decoderMode,
      seed: prepared.request.seed,
      variations: prepared.request.variations,
      extra,
    },
    prepared.flags.json,
  );
}

/** The takes of a job whose saving failed: those it saved, those it kept as files, and those lost. */
function failedTakes(job: Job, library: Library): KeptTake[] {
  const unsaved = job.result?.unsaved;
  if (!unsaved) return [];
  const recovered = new Map(unsaved.kept.map((k) => [k.take, k]));
  return Array.from({ length: job.variations }, (_, i): KeptTake => {
    if (i < unsaved.savedTakeIds.length) return { saved: library.getTake(unsaved.savedTakeIds[i]) };
    const files = recovered.get(i);
    return files ? { recovered: files } : { lost: unsaved.lost ?? 'it could not be written' };
  });
}
