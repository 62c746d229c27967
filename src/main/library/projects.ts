/**
 * Projects: a project has tracks in order; a track has clips, each a take placed on the timeline
 * at `startSeconds`, trimmed to [offsetSeconds, offsetSeconds + durationSeconds) of the take, with
 * its own gain and fades. Every change validates against the take it uses (a clip never reaches
 * past the end of its audio), bumps the project's `updatedAt`, and returns the whole project, which
 * is what the arrangement view redraws from.
 */
import { normaliseKey, TIME_SIGNATURES, type TimeSignature } from '../../shared/musical-time';
import { randomUUID } from 'node:crypto';
import type { Clip, Project, Track } from '../../shared/contract';
import type { Db } from './connection';
import { LibraryError, shortId } from './errors';

export const MAX_NAME_LENGTH = 200;
export const MAX_TIMELINE_SECONDS = 36_000;
export const GAIN_RANGE_DB = { min: -60, max: 24 } as const;
export const MAX_FADE_SECONDS = 600;
/** Float slack when checking that a clip fits inside its take (sample-rate rounding). */
const EPSILON = 1e-6;

interface ProjectRow {
  id: string;
  name: string;
  created_at: string;
  updated_at: string;
  tempo_bpm: number | null;
  music_key: string | null;
  time_signature: string;
}
interface TrackRow {
  id: string;
  project_id: string;
  name: string;
  position: number;
  gain_db: number;
  muted: number;
  solo: number;
}
interface ClipRow {
  id: string;
  track_id: string;
  take_id: string;
  start_seconds: number;
  offset_seconds: number;
  duration_seconds: number;
  gain_db: number;
  fade_in_seconds: number;
  fade_out_seconds: number;
}

export type ClipPatch = Partial<
  Pick<Clip, 'startSeconds' | 'offsetSeconds' | 'durationSeconds' | 'gainDb' | 'fadeInSeconds' | 'fadeOutSeconds'>
>;

// ---- validation --------------------------------------------------------------------------------

export function validName(name: unknown, what: string): string {
  if (typeof name !== 'string') throw new LibraryError('invalid', `The ${what} name must be text.`);
  const trimmed = name.normalize('NFC').trim().replace(/\s+/g, ' ');
  if (!trimmed) throw new LibraryError('invalid', `The ${what} needs a name.`);
  if (trimmed.length > MAX_NAME_LENGTH)
    throw new LibraryError('invalid', `The ${what} name is too long: keep it under ${MAX_NAME_LENGTH} characters.`);
  return trimmed;
}

function validSeconds(value: unknown, what: string, { min = 0, max = MAX_TIMELINE_SECONDS, positive = false } = {}): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new LibraryError('invalid', `The ${what} must be a number of seconds.`);
  if (positive ? value <= 0 : value < min)
    throw new LibraryError('invalid', `The ${what} must be ${positive ? 'more than 0' : `at least ${min}`} seconds (got ${value}).`);
  if (value > max) throw new LibraryError('invalid', `The ${what} must be at most ${max} seconds (got ${value}).`);
  return value;
}

export function validGain(value: unknown, what: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < GAIN_RANGE_DB.min || value > GAIN_RANGE_DB.max) {
    throw new LibraryError(
      'invalid',
      `The ${what} gain must be between ${GAIN_RANGE_DB.min} and +${GAIN_RANGE_DB.max} dB (got ${String(value)}).`,
    );
  }
  return value;
}

const seconds = (n: number) => `${Math.round(n * 1000) / 1000} s`;

// ---- reading -----------------------------------------------------------------------------------

function toClip(row: ClipRow): Clip {
  return {
    id: row.id,
    trackId: row.track_id,
    takeId: row.take_id,
    startSeconds: row.start_seconds,
    offsetSeconds: row.offset_seconds,
    durationSeconds: row.duration_seconds,
    gainDb: row.gain_db,
    fadeInSeconds: row.fade_in_seconds,
    fadeOutSeconds: row.fade_out_seconds,
  };
}

function projectRow(db: Db, id: string): ProjectRow {
  const row = db
    .prepare('SELECT id, name, created_at, updated_at, tempo_bpm, music_key, time_signature FROM projects WHERE id = ?')
    .get(id) as ProjectRow | undefined;
  if (!row) throw new LibraryError('not-found', `Project ${shortId(id)} does not exist (it may have been deleted).`);
  return row;
}

function trackRow(db: Db, id: string): TrackRow {
  const row = db.prepare('SELECT id, project_id, name, position, gain_db, muted, solo FROM tracks WHERE id = ?').get(id) as
    TrackRow | undefined;
  if (!row) throw new LibraryError('not-found', `Track ${shortId(id)} does not exist (it may have been removed).`);
  return row;
}

function clipRow(db: Db, id: string): ClipRow & { project_id: string } {
  const row = db
    .prepare(
      `SELECT c.id, c.track_id, c.take_id, c.start_seconds, c.offset_seconds, c.duration_seconds, c.gain_db,
              c.fade_in_seconds, c.fade_out_seconds, tr.project_id
       FROM clips c JOIN tracks tr ON tr.id = c.track_id WHERE c.id = ?`,
    )
    .get(id) as (ClipRow & { project_id: string }) | undefined;
  if (!row) throw new LibraryError('not-found', `Clip ${shortId(id)} does not exist (it may have been removed).`);
  return row;
}

export function selectProject(db: Db, id: string): Project {
  const project = projectRow(db, id);
  const tracks = db
    .prepare('SELECT id, project_id, name, position, gain_db, muted, solo FROM tracks WHERE project_id = ? ORDER BY position, rowid')
    .all(id) as TrackRow[];
  const clips = db
    .prepare(
      `SELECT c.id, c.track_id, c.take_id, c.start_seconds, c.offset_seconds, c.duration_seconds, c.gain_db, c.fade_in_seconds, c.fade_out_seconds
       FROM clips c JOIN tracks tr ON tr.id = c.track_id WHERE tr.project_id = ? ORDER BY c.start_seconds, c.rowid`,
    )
    .all(id) as ClipRow[];
  const byTrack = new Map<string, Clip[]>(tracks.map((t) => [t.id, []]));
  for (const clip of clips) byTrack.get(clip.track_id)?.push(toClip(clip));
  const toTrack = (t: TrackRow): Track => ({
    id: t.id,
    name: t.name,
    position: t.position,
    gainDb: t.gain_db,
    muted: t.muted === 1,
    solo: t.solo === 1,
    clips: byTrack.get(t.id) ?? [],
  });
  return { ...projectSummary(project), tracks: tracks.map(toTrack) };
}

function projectSummary(r: ProjectRow): Omit<Project, 'tracks'> {
  return {
    id: r.id,
    name: r.name,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    tempoBpm: r.tempo_bpm,
    key: r.music_key,
    timeSignature: (TIME_SIGNATURES as readonly string[]).includes(r.time_signature) ? (r.time_signature as TimeSignature) : '4/4',
  };
}

export function selectProjects(db: Db): Omit<Project, 'tracks'>[] {
  const rows = db
    .prepare(
      'SELECT id, name, created_at, updated_at, tempo_bpm, music_key, time_signature FROM projects ORDER BY updated_at DESC, rowid DESC',
    )
    .all() as ProjectRow[];
  return rows.map(projectSummary);
}

// ---- writing (call inside a transaction) -------------------------------------------------------

function touch(db: Db, projectId: string, now: string): void {
  db.prepare('UPDATE projects SET updated_at = ? WHERE id = ?').run(now, projectId);
}

export function insertProject(db: Db, name: string, now: string): string {
  const id = randomUUID();
  db.prepare('INSERT INTO projects (id, name, created_at, updated_at) VALUES (?, ?, ?, ?)').run(id, validName(name, 'project'), now, now);
  return id;
}

export function renameProjectRow(db: Db, id: string, name: string, now: string): void {
  projectRow(db, id);
  db.prepare('UPDATE projects SET name = ?, updated_at = ? WHERE id = ?').run(validName(name, 'project'), now, id);
}

export interface ProjectMusic {
  tempoBpm: number | null;
  /** Undefined: unchanged. */
  key?: string | null;
  timeSignature?: TimeSignature;
}

/**
 * The project's tempo in BPM (20 to 400, or null for none: written into exports for a DAW), key
 * (one of KEYS) and time signature: new generations in the project use them.
 */
export function setProjectMusicRow(db: Db, id: string, music: ProjectMusic, now: string): void {
  const row = projectRow(db, id);
  const { tempoBpm } = music;
  if (tempoBpm !== null && !(Number.isFinite(tempoBpm) && tempoBpm >= 20 && tempoBpm <= 400)) {
    throw new LibraryError('invalid', `Tempo must be from 20 to 400 BPM, got ${tempoBpm}.`);
  }
  const key = music.key === undefined ? row.music_key : music.key === null ? null : normaliseKey(music.key);
  if (key === null && music.key) throw new LibraryError('invalid', `"${music.key}" is not a key: write it like "A minor" or "F# major".`);
  const signature = music.timeSignature ?? row.time_signature;
  if (!(TIME_SIGNATURES as readonly string[]).includes(signature)) {
    throw new LibraryError('invalid', `Time signature must be one of ${TIME_SIGNATURES.join(', ')}, got ${signature}.`);
  }
  db.prepare('UPDATE projects SET tempo_bpm = ?, music_key = ?, time_signature = ?, updated_at = ? WHERE id = ?').run(
    tempoBpm,
    key,
    signature,
    now,
    id,
  );
}

export function deleteProjectRow(db: Db, id: string): void {
  projectRow(db, id);
  db.prepare('DELETE FROM projects WHERE id = ?').run(id); // tracks and clips cascade
}

export function insertTrack(db: Db, projectId: string, name: string | undefined, now: string): string {
  projectRow(db, projectId);
  const names = new Set(
    (db.prepare('SELECT name FROM tracks WHERE project_id = ?').all(projectId) as { name: string }[]).map((r) => r.name),
  );
  let finalName: string;
  if (name === undefined || name === null) {
    let n = names.size + 1;
    while (names.has(`Track ${n}`)) n++;
    finalName = `Track ${n}`;
  } else {
    finalName = validName(name, 'track');
  }
  const { next } = db.prepare('SELECT coalesce(max(position) + 1, 0) AS next FROM tracks WHERE project_id = ?').get(projectId) as {
    next: number;
  };
  const id = randomUUID();
  db.prepare('INSERT INTO tracks (id, project_id, name, position, gain_db, muted, created_at) VALUES (?, ?, ?, ?, 0, 0, ?)').run(
    id,
    projectId,
    finalName,
    next,
    now,
  );
  touch(db, projectId, now);
  return id;
}

export function updateTrackRow(
  db: Db,
  id: string,
  patch: { name?: string; gainDb?: number; muted?: boolean; solo?: boolean },
  now: string,
): string {
  const track = trackRow(db, id);
  const name = patch.name === undefined ? track.name : validName(patch.name, 'track');
  const gain = patch.gainDb === undefined ? track.gain_db : validGain(patch.gainDb, 'track');
  if (patch.muted !== undefined && typeof patch.muted !== 'boolean') throw new LibraryError('invalid', 'Muted must be true or false.');
  if (patch.solo !== undefined && typeof patch.solo !== 'boolean') throw new LibraryError('invalid', 'Solo must be true or false.');
  const muted = patch.muted === undefined ? track.muted : patch.muted ? 1 : 0;
  const solo = patch.solo === undefined ? track.solo : patch.solo ? 1 : 0;
  db.prepare('UPDATE tracks SET name = ?, gain_db = ?, muted = ?, solo = ? WHERE id = ?').run(name, gain, muted, solo, id);
  touch(db, track.project_id, now);
  return track.project_id;
}

/** Removes the track (its clips go with it) and closes the gap in the positions. */
export function deleteTrackRow(db: Db, id: string, now: string): string {
  const track = trackRow(db, id);
  db.prepare('DELETE FROM tracks WHERE id = ?').run(id);
  const rest = db.prepare('SELECT id FROM tracks WHERE project_id = ? ORDER BY position, rowid').all(track.project_id) as { id: string }[];
  const setPosition = db.prepare('UPDATE tracks SET position = ? WHERE id = ?');
  rest.forEach((t, i) => setPosition.run(i, t.id));
  touch(db, track.project_id, now);
  return track.project_id;
}

interface TakeSpan {
  id: string;
  durationSeconds: number;
  deletedAt: string | null;
}

function takeSpan(db: Db, takeId: string): TakeSpan {
  const row = db.prepare('SELECT id, samples * 1.0 / sample_rate AS duration, deleted_at FROM takes WHERE id = ?').get(takeId) as
    { id: string; duration: number; deleted_at: string | null } | undefined;
  if (!row) throw new LibraryError('not-found', `Take ${shortId(takeId)} is not in the library (it may have been removed from the trash).`);
  return { id: row.id, durationSeconds: row.duration, deletedAt: row.deleted_at };
}

/** The clip's window must lie inside the take's audio, and its fades inside the clip. */
function checkClipFits(take: TakeSpan, clip: Omit<ClipRow, 'id' | 'track_id' | 'take_id'>): void {
  if (clip.offset_seconds >= take.durationSeconds - EPSILON) {
    throw new LibraryError(
      'invalid',
      `The clip starts ${seconds(clip.offset_seconds)} into a take that is only ${seconds(take.durationSeconds)} long.`,
    );
  }
  if (clip.offset_seconds + clip.duration_seconds > take.durationSeconds + EPSILON) {
    const room = take.durationSeconds - clip.offset_seconds;
    throw new LibraryError(
      'invalid',
      `The clip is ${seconds(clip.duration_seconds)} long but only ${seconds(room)} of the take remain after its ${seconds(clip.offset_seconds)} offset. Shorten the clip or reduce the offset.`,
    );
  }
  if (clip.fade_in_seconds + clip.fade_out_seconds > clip.duration_seconds + EPSILON) {
    throw new LibraryError(
      'invalid',
      `The fades (${seconds(clip.fade_in_seconds)} in, ${seconds(clip.fade_out_seconds)} out) are longer than the ${seconds(clip.duration_seconds)} clip.`,
    );
  }
}

export function insertClip(
  db: Db,
  trackId: string,
  input: { takeId: string; startSeconds?: number; offsetSeconds?: number; durationSeconds?: number },
  now: string,
): string {
  const track = trackRow(db, trackId);
  if (!input || typeof input.takeId !== 'string') throw new LibraryError('invalid', 'Choose a take to place on the track.');
  const take = takeSpan(db, input.takeId);
  if (take.deletedAt)
    throw new LibraryError('invalid', `Take ${shortId(take.id)} is in the trash; restore it before using it in a project.`);
  const start = validSeconds(input.startSeconds ?? 0, 'clip start');
  const offset = validSeconds(input.offsetSeconds ?? 0, 'clip offset');
  const duration =
    input.durationSeconds === undefined
      ? Math.max(0, take.durationSeconds - offset)
      : validSeconds(input.durationSeconds, 'clip length', { positive: true });
  const clip = {
    start_seconds: start,
    offset_seconds: offset,
    duration_seconds: duration,
    gain_db: 0,
    fade_in_seconds: 0,
    fade_out_seconds: 0,
  };
  checkClipFits(take, clip);
  const id = randomUUID();
  db.prepare(
    `INSERT INTO clips (id, track_id, take_id, start_seconds, offset_seconds, duration_seconds, gain_db, fade_in_seconds, fade_out_seconds, created_at)
     VALUES (?, ?, ?, ?, ?, ?, 0, 0, 0, ?)`,
  ).run(id, trackId, take.id, start, offset, duration, now);
  touch(db, track.project_id, now);
  return id;
}

/**
 * Applies a partial change. Fades named in the patch must fit the clip; fades not named are
 * shortened to fit when the clip gets shorter, so trimming a clip never fails on an old fade.
 */
export function updateClipRow(db: Db, id: string, patch: ClipPatch, now: string): string {
  const row = clipRow(db, id);
  const take = takeSpan(db, row.take_id);
  const next = {
    start_seconds: patch.startSeconds === undefined ? row.start_seconds : validSeconds(patch.startSeconds, 'clip start'),
    offset_seconds: patch.offsetSeconds === undefined ? row.offset_seconds : validSeconds(patch.offsetSeconds, 'clip offset'),
    duration_seconds:
      patch.durationSeconds === undefined ? row.duration_seconds : validSeconds(patch.durationSeconds, 'clip length', { positive: true }),
    gain_db: patch.gainDb === undefined ? row.gain_db : validGain(patch.gainDb, 'clip'),
    fade_in_seconds:
      patch.fadeInSeconds === undefined ? row.fade_in_seconds : validSeconds(patch.fadeInSeconds, 'fade-in', { max: MAX_FADE_SECONDS }),
    fade_out_seconds:
      patch.fadeOutSeconds === undefined ? row.fade_out_seconds : validSeconds(patch.fadeOutSeconds, 'fade-out', { max: MAX_FADE_SECONDS }),
  };
  const excess = next.fade_in_seconds + next.fade_out_seconds - next.duration_seconds;
  if (excess > EPSILON) {
    // Shorten only the fades the caller did not set, out-fade first.
    let left = excess;
    if (patch.fadeOutSeconds === undefined) {
      const cut = Math.min(left, next.fade_out_seconds);
      next.fade_out_seconds -= cut;
      left -= cut;
    }
    if (left > EPSILON && patch.fadeInSeconds === undefined) {
      const cut = Math.min(left, next.fade_in_seconds);
      next.fade_in_seconds -= cut;
    }
  }
  checkClipFits(take, next);
  db.prepare(
    `UPDATE clips SET start_seconds = ?, offset_seconds = ?, duration_seconds = ?, gain_db = ?, fade_in_seconds = ?, fade_out_seconds = ? WHERE id = ?`,
  ).run(next.start_seconds, next.offset_seconds, next.duration_seconds, next.gain_db, next.fade_in_seconds, next.fade_out_seconds, id);
  touch(db, row.project_id, now);
  return row.project_id;
}

export function deleteClipRow(db: Db, id: string, now: string): string {
  const row = clipRow(db, id);
  db.prepare('DELETE FROM clips WHERE id = ?').run(id);
  touch(db, row.project_id, now);
  return row.project_id;
}
