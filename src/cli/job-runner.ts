/**
 * Runs a job through the services as the studio does: submit it, follow its `job.updated` events
 * with a progress printer, turn the first Ctrl-C into `jobs/cancel` (a second exits at once), and
 * hand back the finished job with its takes. Every command that submits a job goes through here;
 * what to do with the takes (files, --json) is the command's business.
 */
import type { Job, MethodName, ParamsOf, ResultOf, Take } from '../shared/contract';
import type { Services } from '../main/services';
import { CliError } from './errors';
import { progressPrinter, type ProgressMode } from './progress';

/** Methods that submit a job. */
export type JobMethod = Exclude<{ [M in MethodName]: ResultOf<M> extends Job ? M : never }[MethodName], 'jobs/cancel'>;

export interface FinishedJob {
  job: Job;
  takes: Take[];
}

/** A job that ended `failed`: its message is the job's, and the job (with its result) comes along. */
export class JobFailedError extends CliError {
  constructor(readonly job: Job) {
    super(job.error?.message ?? 'The job failed.');
  }
}

/**
 * What reportError turns into "cancelled; nothing was written" and exit code 130; `job` is the
 * cancelled job when it had started (a song lists the take of its finished sections).
 */
export function cancelledError(job?: Job): Error & { job?: Job } {
  return Object.assign(new Error('Cancelled.'), { name: 'AbortError', job });
}

/**
 * Ctrl-C for one command: the first asks the running job to stop after its current step (and keeps
 * any later one from starting), the second exits at once.
 */
export class Interrupt {
  private requested = false;
  private cancelRunning?: () => void;
  private readonly onSigint = () => {
    if (this.requested) process.exit(130);
    this.requested = true;
    process.stderr.write('\nCancelling after the current step…\n');
    this.cancelRunning?.();
  };

  constructor() {
    process.on('SIGINT', this.onSigint);
  }

  throwIfRequested(): void {
    if (this.requested) throw cancelledError();
  }

  /** What the next Ctrl-C cancels (undefined: nothing is running). */
  cancels(cancel: (() => void) | undefined): void {
    this.cancelRunning = cancel;
    if (cancel && this.requested) cancel();
  }

  dispose(): void {
    process.off('SIGINT', this.onSigint);
  }
}

export interface RunJobOptions {
  label: string;
  progress: ProgressMode;
  interrupt?: Interrupt;
}

const ENDED = new Set<Job['status']>(['done', 'failed', 'cancelled']);

/** Resolves with the job and its takes when it is done; throws JobFailedError, or cancelledError(). */
export async function runJob<M extends JobMethod>(
  services: Services,
  method: M,
  params: ParamsOf<M>,
  options: RunJobOptions,
): Promise<FinishedJob> {
  options.interrupt?.throwIfRequested();
  const printer = progressPrinter(options.progress, options.label);
  let id: string | undefined;
  // The queue may publish the job's first updates before call() returns its id.
  const early: Job[] = [];
  let ended!: (job: Job) => void;
  const end = new Promise<Job>((resolve) => (ended = resolve));
  const follow = (job: Job) => {
    if (id === undefined) return void early.push(job);
    if (job.id !== id) return;
    if (job.status === 'running' && job.progress) printer.update(job.progress);
    if (ENDED.has(job.status)) ended(job);
  };
  const off = services.events.on('job.updated', follow);
  let job: Job;
  try {
    id = ((await services.call(method, params)) as Job).id;
    early.splice(0).forEach(follow);
    const jobId = id;
    options.interrupt?.cancels(() => void services.call('jobs/cancel', { id: jobId }).catch(() => undefined));
    job = await end;
  } finally {
    off();
    options.interrupt?.cancels(undefined);
    printer.done();
  }
  if (job.status === 'cancelled') throw cancelledError(job);
  if (job.status === 'failed') throw new JobFailedError(job);
  const takes = await Promise.all(job.takeIds.map((takeId) => services.call('takes/get', { id: takeId })));
  return { job, takes };
}
