/**
 * The library: every take, project, job record and setting of one data folder, in one SQLite file
 * (`<root>/library.sqlite`) beside the takes' audio (`<root>/audio/`). This class is the facade the
 * services and the CLI use; the SQL lives in the modules it calls. Its rules:
 *
 * - A row never points to a missing or half-written file: audio is written atomically first, the
 *   rows second (one transaction), and the file is removed again if the insert fails. A crash in
 *   between leaves only an unreferenced file, which `checkIntegrity` moves aside.
 * - Every multi-statement write is one IMMEDIATE transaction (it takes the write lock up front,
 *   so two processes never deadlock upgrading a read to a write); reads that run several
 *   statements share one snapshot, so a list's `total` always matches its rows.
 * - Errors are LibraryErrors with sentences a musician can act on.
 */
import { mkdirSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import type { Project, Take, TakeQuery } from '../../shared/contract';
import type { AudioData } from '../audio';
import { absoluteAudioPath, audioRelativePath, readAudio, removeAudio, writeAudio } from './audio-store';
import { decodeCodes } from './codes';
import { openConnection, type Db } from './connection';
import { LibraryError, shortId, takeNotFound } from './errors';
import { checkIntegrity, type IntegrityOptions, type IntegrityReport } from './integrity';
import { failUnfinishedJobs, selectJob, updateJobStatus, upsertJob, type JobRecord, type JobStatus, type StoredJob } from './jobs';
import { migrate } from './migrations';
import {
  deleteClipRow,
  deleteProjectRow,
  deleteTrackRow,
  insertClip,
  insertProject,
  insertTrack,
  renameProjectRow,
  setProjectMusicRow,
  type ProjectMusic,
  selectProject,
  selectProjects,
  updateClipRow,
  updateTrackRow,
  type ClipPatch,
} from './projects';
import { readSetting, writeSetting } from './settings';
import { normalizeTags } from './tags';
import {
  insertTakeRecord,
  normalizeTitle,
  prepareTake,
  queryTakes,
  reindexTake,
  replaceTags,
  resolveTakeRef,
  selectAncestors,
  selectDescendants,
  selectTakeRow,
  toTake,
  type NewTake,
} from './takes';

export const DATABASE_FILE = 'library.sqlite';

export interface LibraryOptions {
  /** The clock for every stored time (tests pin it). */
  now?: () => Date;
  /**
   * Fault injection for tests: runs after a take's audio file is written and before its rows are
   * inserted, so a test can make the insert fail (throw here) exactly where a crash would hit.
   */
  hooks?: { afterAudioWritten?: (path: string) => void };
}

export interface TakeUpdate {
  title?: string | null;
  favourite?: boolean;
  tags?: string[];
}

/** Turns SQLite's failures into sentences; LibraryErrors pass through. */
function describeDbError(error: unknown): unknown {
  if (error instanceof LibraryError) return error;
  const code = (error as { code?: string } | undefined)?.code ?? '';
  if (code === 'SQLITE_FULL')
    return new LibraryError('io', 'The disk is full, so the library could not be updated. Free some space and try again.', {
      cause: error,
    });
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) {
    return new LibraryError('io', 'The library is busy (another Continuo window or command is writing to it). Try again in a moment.', {
      cause: error,
    });
  }
  if (code.startsWith('SQLITE_READONLY'))
    return new LibraryError('io', 'The library is read-only. Check that the data folder is writable.', { cause: error });
  if (code.startsWith('SQLITE_CORRUPT') || code === 'SQLITE_NOTADB') {
    return new LibraryError('io', 'The library database is damaged. Restore library.sqlite from a backup.', { cause: error });
  }
  if (code === 'SQLITE_CONSTRAINT_FOREIGNKEY') {
    return new LibraryError(
      'not-found',
      'Something this change refers to is no longer in the library (another window may have removed it). Refresh and try again.',
      { cause: error },
    );
  }
  if (code.startsWith('SQLITE_IOERR'))
    return new LibraryError('io', `The library could not read or write its database: ${(error as Error).message}.`, { cause: error });
  return error;
}

export class Library {
  private closed = false;

  private constructor(
    /** The data folder. */
    readonly root: string,
    private readonly connection: Db,
    private readonly options: LibraryOptions,
  ) {}

  /** Opens (creating if needed) the library in `root` and brings its schema up to date. */
  static open(root: string, options: LibraryOptions = {}): Library {
    try {
      mkdirSync(root, { recursive: true });
    } catch (error) {
      throw new LibraryError('io', `Could not create the data folder ${root}: ${(error as Error).message}.`, { cause: error });
    }
    const db = openConnection(join(root, DATABASE_FILE));
    try {
      migrate(db);
    } catch (error) {
      db.close();
      throw describeDbError(error);
    }
    return new Library(root, db, options);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.connection.close();
  }

  private get db(): Db {
    if (this.closed) throw new LibraryError('io', 'The library has been closed.');
    return this.connection;
  }

  private now(): string {
    return (this.options.now?.() ?? new Date()).toISOString();
  }

  private write<T>(fn: () => T): T {
    try {
      return this.db.transaction(fn).immediate();
    } catch (error) {
      throw describeDbError(error);
    }
  }

  private read<T>(fn: () => T): T {
    try {
      return this.db.transaction(fn).deferred();
    } catch (error) {
      throw describeDbError(error);
    }
  }

  // ---- takes -----------------------------------------------------------------------------------

  /**
   * The full id of the take `ref` names: its id, or a prefix of it that only one take has (at
   * least 4 characters; lists show 8). Every method that takes a take id accepts a prefix too.
   * Throws not-found, or invalid naming the matches when the prefix is ambiguous.
   */
  resolveTakeId(ref: string): string {
    try {
      return resolveTakeRef(this.db, ref);
    } catch (error) {
      throw describeDbError(error);
    }
  }

  saveTake(input: NewTake): Take {
    const id = randomUUID();
    const createdAt = this.now();
    const relativePath = audioRelativePath(id, createdAt);
    const record = prepareTake(input, id, createdAt, relativePath);
    if (record.parentId) {
      try {
        record.parentId = this.resolveTakeId(record.parentId);
      } catch (error) {
        if ((error as LibraryError).code !== 'not-found') throw error;
        throw new LibraryError(
          'not-found',
          `Take ${shortId(record.parentId)}, which this take comes from, is not in the library (it may have been removed from the trash).`,
        );
      }
    }
    const path = writeAudio(this.root, relativePath, input.audio);
    try {
      this.options.hooks?.afterAudioWritten?.(path);
      this.write(() => insertTakeRecord(this.db, record));
    } catch (error) {
      removeAudio(this.root, relativePath);
      throw describeDbError(error);
    }
    return this.getTake(id);
  }

  getTake(ref: string): Take {
    const row = this.read(() => selectTakeRow(this.db, this.resolveTakeId(ref)));
    if (!row) throw takeNotFound(ref);
    return toTake(row);
  }

  getCodes(ref: string): number[][] | null {
    const id = this.resolveTakeId(ref);
    const row = this.db.prepare('SELECT c.codes FROM takes t LEFT JOIN take_codes c ON c.take_seq = t.seq WHERE t.id = ?').get(id) as
      { codes: Buffer | null } | undefined;
    if (!row) throw takeNotFound(id);
    return row.codes ? decodeCodes(row.codes) : null;
  }

  private relativeAudioPath(ref: string): string {
    const id = this.resolveTakeId(ref);
    const row = this.db.prepare('SELECT audio_path FROM takes WHERE id = ?').get(id) as { audio_path: string } | undefined;
    if (!row) throw takeNotFound(id);
    return row.audio_path;
  }

  /** Absolute path of the take's audio file (32-bit float WAV). */
  audioPath(id: string): string {
    return absoluteAudioPath(this.root, this.relativeAudioPath(id));
  }

  readAudio(id: string): AudioData {
    return readAudio(this.root, this.relativeAudioPath(id));
  }

  listTakes(query: TakeQuery = {}): { takes: Take[]; total: number } {
    return this.read(() => queryTakes(this.db, query));
  }

  updateTake(ref: string, patch: TakeUpdate): Take {
    const id = this.resolveTakeId(ref);
    const title = patch.title === undefined ? undefined : normalizeTitle(patch.title);
    if (patch.favourite !== undefined && typeof patch.favourite !== 'boolean')
      throw new LibraryError('invalid', 'Favourite must be true or false.');
    const tags = patch.tags === undefined ? undefined : normalizeTags(patch.tags);
    this.write(() => {
      if (!this.db.prepare('SELECT 1 FROM takes WHERE id = ?').get(id)) throw takeNotFound(id);
      if (title !== undefined) this.db.prepare('UPDATE takes SET title = ? WHERE id = ?').run(title, id);
      if (patch.favourite !== undefined) this.db.prepare('UPDATE takes SET favourite = ? WHERE id = ?').run(patch.favourite ? 1 : 0, id);
      if (tags !== undefined) replaceTags(this.db, id, tags);
      if (title !== undefined || tags !== undefined) reindexTake(this.db, id);
    });
    return this.getTake(id);
  }

  /** Tags in use by takes outside the trash, most used first. */
  tagCounts(): { tag: string; count: number }[] {
    return this.db
      .prepare(
        `SELECT g.tag AS tag, count(*) AS count FROM take_tags g JOIN takes t ON t.id = g.take_id
         WHERE t.deleted_at IS NULL GROUP BY g.tag ORDER BY count DESC, g.tag`,
      )
      .all() as { tag: string; count: number }[];
  }

  /** Moves the take to the trash (its file stays until the trash is emptied). */
  trashTake(ref: string): Take {
    const id = this.resolveTakeId(ref);
    const now = this.now();
    const { changes } = this.write(() =>
      this.db.prepare('UPDATE takes SET deleted_at = coalesce(deleted_at, ?) WHERE id = ?').run(now, id),
    );
    if (changes === 0) throw takeNotFound(id);
    return this.getTake(id);
  }

  restoreTake(ref: string): Take {
    const id = this.resolveTakeId(ref);
    const { changes } = this.write(() => this.db.prepare('UPDATE takes SET deleted_at = NULL WHERE id = ?').run(id));
    if (changes === 0) throw takeNotFound(id);
    return this.getTake(id);
  }

  /**
   * Removes trashed takes for good: rows first (children's parentId becomes null, clips using
   * them go), then their files. A file that cannot be deleted is an orphan for checkIntegrity.
   */
  emptyTrash(): string[] {
    const removed = this.write(() => {
      const rows = this.db.prepare('SELECT id, audio_path FROM takes WHERE deleted_at IS NOT NULL').all() as {
        id: string;
        audio_path: string;
      }[];
      if (rows.length === 0) return rows;
      this.db.prepare('DELETE FROM takes_fts WHERE rowid IN (SELECT seq FROM takes WHERE deleted_at IS NOT NULL)').run();
      this.db.prepare('DELETE FROM takes WHERE deleted_at IS NOT NULL').run();
      this.db.prepare('DELETE FROM prompts WHERE NOT EXISTS (SELECT 1 FROM takes WHERE takes.prompt_id = prompts.id)').run();
      return rows;
    });
    for (const row of removed) removeAudio(this.root, row.audio_path);
    return removed.map((row) => row.id);
  }

  /** Ancestors root first; descendants (the whole subtree) in creation order. Trashed takes included. */
  lineage(ref: string): { ancestors: Take[]; descendants: Take[] } {
    const id = this.resolveTakeId(ref);
    return this.read(() => {
      if (!selectTakeRow(this.db, id)) throw takeNotFound(id);
      return { ancestors: selectAncestors(this.db, id), descendants: selectDescendants(this.db, id) };
    });
  }

  // ---- projects --------------------------------------------------------------------------------

  createProject(name: string): Project {
    const now = this.now();
    const id = this.write(() => insertProject(this.db, name, now));
    return this.getProject(id);
  }

  /** Most recently changed first. */
  listProjects(): Omit<Project, 'tracks'>[] {
    return selectProjects(this.db);
  }

  getProject(id: string): Project {
    return this.read(() => selectProject(this.db, id));
  }

  renameProject(id: string, name: string): Project {
    const now = this.now();
    this.write(() => renameProjectRow(this.db, id, name, now));
    return this.getProject(id);
  }

  setProjectMusic(id: string, music: ProjectMusic): Project {
    const now = this.now();
    this.write(() => setProjectMusicRow(this.db, id, music, now));
    return this.getProject(id);
  }

  /** Deletes the project with its tracks and clips; the takes stay in the library. */
  deleteProject(id: string): void {
    this.write(() => deleteProjectRow(this.db, id));
  }

  addTrack(projectId: string, name?: string): Project {
    const now = this.now();
    this.write(() => insertTrack(this.db, projectId, name, now));
    return this.getProject(projectId);
  }

  updateTrack(id: string, patch: { name?: string; gainDb?: number; muted?: boolean; solo?: boolean }): Project {
    const now = this.now();
    return this.getProject(this.write(() => updateTrackRow(this.db, id, patch ?? {}, now)));
  }

  removeTrack(id: string): Project {
    const now = this.now();
    return this.getProject(this.write(() => deleteTrackRow(this.db, id, now)));
  }

  /** Places a take on the track. `durationSeconds` defaults to the rest of the take after the offset. */
  addClip(trackId: string, clip: { takeId: string; startSeconds?: number; offsetSeconds?: number; durationSeconds?: number }): Project {
    const now = this.now();
    const takeId = typeof clip?.takeId === 'string' ? this.resolveTakeId(clip.takeId) : clip?.takeId;
    const projectId = this.write(() => {
      insertClip(this.db, trackId, { ...clip, takeId }, now);
      return (this.db.prepare('SELECT project_id FROM tracks WHERE id = ?').get(trackId) as { project_id: string }).project_id;
    });
    return this.getProject(projectId);
  }

  updateClip(id: string, patch: ClipPatch): Project {
    const now = this.now();
    return this.getProject(this.write(() => updateClipRow(this.db, id, patch ?? {}, now)));
  }

  removeClip(id: string): Project {
    const now = this.now();
    return this.getProject(this.write(() => deleteClipRow(this.db, id, now)));
  }

  // ---- jobs ------------------------------------------------------------------------------------

  recordJob(job: JobRecord): void {
    this.write(() => upsertJob(this.db, job));
  }

  markJob(id: string, status: Exclude<JobStatus, 'queued'>, extra: { error?: string; takeIds?: string[] } = {}): void {
    const now = this.now();
    this.write(() => updateJobStatus(this.db, id, status, extra, now));
  }

  getJob(id: string): StoredJob | undefined {
    return selectJob(this.db, id);
  }

  /** At start-up: jobs a crash left queued or running become failed. Returns their ids. */
  failInterruptedJobs(): string[] {
    const now = this.now();
    return this.write(() => failUnfinishedJobs(this.db, now));
  }

  // ---- maintenance and settings ----------------------------------------------------------------

  checkIntegrity(options: Omit<IntegrityOptions, 'now'> = {}): IntegrityReport {
    // File times are wall-clock times, so the grace period uses the real clock, not options.now.
    return checkIntegrity(this.db, this.root, options);
  }

  getSetting<T>(key: string): T | undefined {
    return readSetting<T>(this.db, key);
  }

  /** Stores any JSON value; `undefined` removes the setting. */
  setSetting(key: string, value: unknown): void {
    const now = this.now();
    this.write(() => writeSetting(this.db, key, value, now));
  }
}
