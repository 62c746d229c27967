/**
 * A durable record of generation jobs. The queue itself lives in memory; this table exists so a
 * crash or a force-quit never leaves a job showing "running" forever: on the next start every job
 * still queued or running is marked failed with a sentence saying why.
 */
import type { Db } from './connection';
import { LibraryError } from './errors';

export type JobStatus = 'queued' | 'running' | 'done' | 'failed' | 'cancelled';
export const INTERRUPTED_MESSAGE = 'interrupted: the app stopped before this job finished';
const STATUSES: readonly JobStatus[] = ['queued', 'running', 'done', 'failed', 'cancelled'];

export interface JobRecord {
  id: string;
  kind: string;
  request: unknown;
  createdAt: string;
}

export interface StoredJob {
  id: string;
  kind: string;
  status: JobStatus;
  request: unknown;
  error: string | null;
  takeIds: string[];
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
}

function json(value: unknown): string {
  return JSON.stringify(value === undefined ? null : value) ?? 'null';
}

/**
 * Inserts the job as queued. If a status update arrived first (the queue may report before the
 * caller records), the row already exists and keeps its status; only the description is filled in.
 */
export function upsertJob(db: Db, job: JobRecord): void {
  if (!job || typeof job.id !== 'string' || !job.id) throw new LibraryError('invalid', 'A job needs an id.');
  db.prepare(
    `INSERT INTO jobs (id, kind, status, request, created_at) VALUES (?, ?, 'queued', ?, ?)
     ON CONFLICT (id) DO UPDATE SET kind = excluded.kind, request = excluded.request, created_at = excluded.created_at`,
  ).run(job.id, String(job.kind), json(job.request), job.createdAt);
}

export function updateJobStatus(db: Db, id: string, status: JobStatus, extra: { error?: string; takeIds?: string[] }, now: string): void {
  if (!STATUSES.includes(status)) throw new LibraryError('invalid', `Unknown job status "${String(status)}".`);
  const finished = status === 'done' || status === 'failed' || status === 'cancelled';
  db.prepare(
    `INSERT INTO jobs (id, kind, status, request, error, take_ids, created_at, started_at, finished_at)
     VALUES (@id, 'unknown', @status, 'null', @error, @takeIds, @now, @started, @finished)
     ON CONFLICT (id) DO UPDATE SET
       status = excluded.status,
       error = coalesce(excluded.error, jobs.error),
       take_ids = CASE WHEN @hasTakeIds THEN excluded.take_ids ELSE jobs.take_ids END,
       started_at = coalesce(jobs.started_at, excluded.started_at),
       finished_at = excluded.finished_at`,
  ).run({
    id,
    status,
    error: extra.error ?? null,
    takeIds: json(extra.takeIds ?? []),
    hasTakeIds: extra.takeIds ? 1 : 0,
    now,
    started: status === 'running' ? now : null,
    finished: finished ? now : null,
  });
}

/** Marks every unfinished job failed; returns their ids. */
export function failUnfinishedJobs(db: Db, now: string): string[] {
  const ids = (
    db.prepare(`SELECT id FROM jobs WHERE status IN ('queued', 'running') ORDER BY created_at, rowid`).all() as { id: string }[]
  ).map((r) => r.id);
  db.prepare(`UPDATE jobs SET status = 'failed', error = ?, finished_at = ? WHERE status IN ('queued', 'running')`).run(
    INTERRUPTED_MESSAGE,
    now,
  );
  return ids;
}

export function selectJob(db: Db, id: string): StoredJob | undefined {
  const row = db.prepare('SELECT * FROM jobs WHERE id = ?').get(id) as
    | {
        id: string;
        kind: string;
        status: JobStatus;
        request: string;
        error: string | null;
        take_ids: string;
        created_at: string;
        started_at: string | null;
        finished_at: string | null;
      }
    | undefined;
  if (!row) return undefined;
  return {
    id: row.id,
    kind: row.kind,
    status: row.status,
    request: JSON.parse(row.request),
    error: row.error,
    takeIds: JSON.parse(row.take_ids) as string[],
    createdAt: row.created_at,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
  };
}
