/**
 * The engine job queue: one job at a time, in order. Each job reports progress and can be
 * cancelled — queued jobs at once, the running one between decoder steps. Every state change
 * is published as a `job.updated` event.
 */
import { randomUUID } from 'node:crypto';
import type { Job, Progress } from '../../shared/contract';
import { isCancelled } from '../engine';

type JobResult = NonNullable<Job['result']>;

/** A job's work: `report` publishes progress, `record` adds to the job's result (merged into what is there). */
export type JobBody = (
  signal: AbortSignal,
  report: (progress: Progress) => void,
  jobId: string,
  record: (result: Partial<JobResult>) => void,
) => Promise<string[]>;

export interface JobHooks {
  changed: (job: Job) => void;
  /** Maps a failure to the code and message shown to the musician. */
  describeError: (error: unknown) => { code: string; message: string };
}

interface Entry {
  job: Job;
  body: JobBody;
  controller: AbortController;
}

const KEEP_FINISHED = 50;

export class JobQueue {
  private readonly entries: Entry[] = [];
  private running?: Entry;
  private idleWaiters: (() => void)[] = [];

  constructor(private readonly hooks: JobHooks) {}

  enqueue(fields: Pick<Job, 'kind' | 'prompt' | 'seconds' | 'variations' | 'parentId' | 'song'>, body: JobBody): Job {
    const job: Job = {
      id: randomUUID(),
      ...fields,
      status: 'queued',
      progress: null,
      error: null,
      takeIds: [],
      createdAt: new Date().toISOString(),
      startedAt: null,
      finishedAt: null,
    };
    this.entries.push({ job, body, controller: new AbortController() });
    this.hooks.changed({ ...job });
    queueMicrotask(() => void this.pump());
    return { ...job };
  }

  list(): Job[] {
    return this.entries.map((e) => e.job);
  }

  get(id: string): Job | undefined {
    return this.entries.find((e) => e.job.id === id)?.job;
  }

  cancel(id: string): Job | undefined {
    const entry = this.entries.find((e) => e.job.id === id);
    if (!entry) return undefined;
    if (entry.job.status === 'queued') this.finish(entry, { status: 'cancelled' });
    else if (entry.job.status === 'running') entry.controller.abort();
    return { ...entry.job };
  }

  /** Resolves once nothing is queued or running (tests, shutdown). */
  idle(): Promise<void> {
    if (!this.running && !this.entries.some((e) => e.job.status === 'queued')) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Cancels everything (app shutdown). */
  cancelAll(): void {
    for (const e of this.entries) this.cancel(e.job.id);
  }

  private async pump(): Promise<void> {
    if (this.running) return;
    const next = this.entries.find((e) => e.job.status === 'queued');
    if (!next) {
      this.idleWaiters.splice(0).forEach((resolve) => resolve());
      return;
    }
    this.running = next;
    this.update(next, { status: 'running', startedAt: new Date().toISOString() });
    try {
      const takeIds = await next.body(
        next.controller.signal,
        (progress) => this.update(next, { progress }),
        next.job.id,
        (result) => this.update(next, { result: { ...next.job.result, ...result } as JobResult }),
      );
      // A body may keep what it finished before the cancel (a song's first sections): the job lists them.
      if (next.controller.signal.aborted) this.finish(next, { status: 'cancelled', takeIds });
      else this.finish(next, { status: 'done', takeIds });
    } catch (error) {
      if (isCancelled(error) || next.controller.signal.aborted) this.finish(next, { status: 'cancelled' });
      else this.finish(next, { status: 'failed', error: this.hooks.describeError(error) });
    } finally {
      this.running = undefined;
      void this.pump();
    }
  }

  private update(entry: Entry, patch: Partial<Job>): void {
    Object.assign(entry.job, patch);
    this.hooks.changed({ ...entry.job });
  }

  private finish(entry: Entry, patch: Partial<Job>): void {
    this.update(entry, { ...patch, finishedAt: new Date().toISOString() });
    const finished = this.entries.filter((e) => e.job.finishedAt);
    for (const old of finished.slice(0, Math.max(0, finished.length - KEEP_FINISHED))) {
      this.entries.splice(this.entries.indexOf(old), 1);
    }
  }
}
