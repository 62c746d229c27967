/**
 * Takes in SQL: validating a new take into a row, inserting it (prompt deduplicated, search index
 * filled in the same transaction), reading rows back as the contract's `Take`, listing with search
 * and filters, and lineage. Functions take the connection so the Library decides transactions.
 */
import { z } from 'zod';
import {
  EditsSchema,
  TakeKindSchema,
  TakeQuerySchema,
  TakeMusicSchema,
  TakeSettingsSchema,
  type Edits,
  type TakeMusic,
  type Take,
  type TakeQuery,
  type TakeSettings,
} from '../../shared/contract';
import { assertAudioData, frameCount, type AudioData } from '../audio';
import { encodeCodes, validateCodes } from './codes';
import type { Db } from './connection';
import { LibraryError, takeNotFound } from './errors';
import { literalSearch, toFtsQuery } from './search';
import { normalizeTag } from './tags';

export interface NewTake {
  kind: 'generate' | 'continue' | 'edit' | 'import';
  /** Stored once per distinct text in `prompts`. */
  prompt: string;
  title?: string | null;
  modelId: string;
  modelVariant: string;
  device: string;
  seed: number;
  settings: TakeSettings;
  /** Written as a 32-bit float WAV under <root>/audio/<yyyy-mm>/<takeId>.wav. */
  audio: AudioData;
  /** [codebook][frame]; null for imported or edited audio without codes. */
  codes: number[][] | null;
  /** How many of the code frames are the parent's context (continuations). */
  contextFrames: number;
  parentId?: string | null;
  region?: { start: number; end: number } | null;
  edits?: Edits | null;
  music?: TakeMusic | null;
}

/** One take as a row, before it is inserted. */
export interface TakeRecord {
  id: string;
  kind: Take['kind'];
  prompt: string;
  title: string | null;
  modelId: string;
  modelVariant: string;
  device: string;
  seed: number;
  settings: string;
  audioPath: string;
  sampleRate: number;
  channels: number;
  /** Audio frames per channel (the duration is samples / sampleRate). */
  samples: number;
  /** The encoded codes BLOB (codes.ts), stored in take_codes. */
  codes: Buffer | null;
  /** Codec frames in the codes (0 without codes): the contract's Take.frames. */
  codeFrames: number;
  contextFrames: number;
  parentId: string | null;
  regionStart: number | null;
  regionEnd: number | null;
  edits: string | null;
  music: string | null;
  createdAt: string;
}

export const MAX_TITLE_LENGTH = 200;

const scalarFields = z.object({
  kind: TakeKindSchema,
  prompt: z.string().max(20_000),
  modelId: z.string().min(1).max(200),
  modelVariant: z.string().max(100),
  device: z.string().max(100),
  seed: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
  settings: TakeSettingsSchema,
  contextFrames: z.number().int().min(0),
  parentId: z.string().min(1).max(100).nullable().optional(),
  region: z
    .object({ start: z.number().finite().min(0), end: z.number().finite().min(0) })
    .nullable()
    .optional(),
  edits: EditsSchema.nullable().optional(),
  music: TakeMusicSchema.nullable().optional(),
});

function parseOrThrow<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const where = issue.path.length ? ` (${issue.path.join('.')})` : '';
  throw new LibraryError('invalid', `Invalid ${what}${where}: ${issue.message}.`);
}

export function normalizeTitle(title: string | null | undefined): string | null {
  if (title === undefined || title === null) return null;
  if (typeof title !== 'string') throw new LibraryError('invalid', 'A title must be text.');
  const trimmed = title.normalize('NFC').trim().replace(/\s+/g, ' ');
  if (trimmed.length > MAX_TITLE_LENGTH)
    throw new LibraryError('invalid', `The title is too long: keep it under ${MAX_TITLE_LENGTH} characters.`);
  return trimmed || null;
}

/** Checks a new take completely before anything touches the disk. */
export function prepareTake(input: NewTake, id: string, createdAt: string, audioPath: string): TakeRecord {
  const fields = parseOrThrow(scalarFields, input, 'take');
  try {
    assertAudioData(input.audio);
  } catch (error) {
    throw new LibraryError('invalid', `The take's audio is not usable: ${(error as Error).message}`);
  }
  const samples = frameCount(input.audio);
  if (samples === 0) throw new LibraryError('invalid', 'The take has no audio (zero samples).');
  let codes: Buffer | null = null;
  let codeFrames = 0;
  if (input.codes !== null && input.codes !== undefined) {
    codeFrames = validateCodes(input.codes);
    codes = encodeCodes(input.codes);
  }
  if (codes && fields.contextFrames > codeFrames) {
    throw new LibraryError('invalid', `The take says ${fields.contextFrames} of its frames are context, but it has only ${codeFrames}.`);
  }
  if (fields.region && fields.region.end < fields.region.start) {
    throw new LibraryError('invalid', "The take's region ends before it starts.");
  }
  return {
    id,
    kind: fields.kind,
    prompt: fields.prompt.normalize('NFC'),
    title: normalizeTitle(input.title),
    modelId: fields.modelId,
    modelVariant: fields.modelVariant,
    device: fields.device,
    seed: fields.seed,
    settings: JSON.stringify(fields.settings),
    audioPath,
    sampleRate: input.audio.sampleRate,
    channels: input.audio.channels.length,
    samples,
    codes,
    codeFrames,
    contextFrames: fields.contextFrames,
    parentId: fields.parentId ?? null,
    regionStart: fields.region?.start ?? null,
    regionEnd: fields.region?.end ?? null,
    edits: fields.edits ? JSON.stringify(fields.edits) : null,
    music: fields.music ? JSON.stringify(fields.music) : null,
    createdAt,
  };
}

// ---- writing -----------------------------------------------------------------------------------

/** The prompt's row id, inserting the text the first time it is seen. */
export function promptId(db: Db, text: string, now: string): number {
  db.prepare('INSERT INTO prompts (text, created_at) VALUES (?, ?) ON CONFLICT (text) DO NOTHING').run(text, now);
  return (db.prepare('SELECT id FROM prompts WHERE text = ?').get(text) as { id: number }).id;
}

/**
 * Inserts the take and its search entry. Call inside a transaction: both or neither. Exported for
 * the benchmark, which fills a library with rows without writing 100k audio files.
 */
export function insertTakeRecord(db: Db, r: TakeRecord): void {
  const prompt = promptId(db, r.prompt, r.createdAt);
  const { codes, ...row } = r;
  const { lastInsertRowid } = db
    .prepare(
      `INSERT INTO takes (id, kind, prompt_id, title, model_id, model_variant, device, seed, settings, audio_path,
         sample_rate, channels, samples, code_frames, context_frames, parent_id, region_start, region_end, edits, music, created_at)
       VALUES (@id, @kind, @prompt, @title, @modelId, @modelVariant, @device, @seed, @settings, @audioPath,
         @sampleRate, @channels, @samples, @codeFrames, @contextFrames, @parentId, @regionStart, @regionEnd, @edits, @music, @createdAt)`,
    )
    .run({ ...row, prompt });
  if (codes) db.prepare('INSERT INTO take_codes (take_seq, codes) VALUES (?, ?)').run(lastInsertRowid, codes);
  db.prepare(`INSERT INTO takes_fts (rowid, prompt, title, tags) VALUES (?, ?, ?, '')`).run(lastInsertRowid, r.prompt, r.title ?? '');
}

/** Rewrites the take's search entry from its current prompt, title and tags. */
export function reindexTake(db: Db, id: string): void {
  const row = db.prepare('SELECT seq FROM takes WHERE id = ?').get(id) as { seq: number } | undefined;
  if (!row) return;
  db.prepare('DELETE FROM takes_fts WHERE rowid = ?').run(row.seq);
  db.prepare(
    `INSERT INTO takes_fts (rowid, prompt, title, tags)
     SELECT t.seq, p.text, coalesce(t.title, ''), coalesce((SELECT group_concat(g.tag, ' ') FROM take_tags g WHERE g.take_id = t.id), '')
     FROM takes t JOIN prompts p ON p.id = t.prompt_id WHERE t.seq = ?`,
  ).run(row.seq);
}

export function replaceTags(db: Db, id: string, tags: string[]): void {
  db.prepare('DELETE FROM take_tags WHERE take_id = ?').run(id);
  const insert = db.prepare('INSERT INTO take_tags (take_id, tag) VALUES (?, ?)');
  for (const tag of tags) insert.run(id, tag);
}

// ---- reading -----------------------------------------------------------------------------------

export const TAKE_COLUMNS = `t.seq, t.id, t.kind, p.text AS prompt, t.title, t.model_id, t.model_variant, t.device, t.seed, t.settings,
  t.audio_path, t.sample_rate, t.channels, t.samples, t.code_frames, t.context_frames, t.parent_id, t.region_start, t.region_end,
  t.edits, t.music, t.favourite, t.created_at, t.deleted_at,
  (SELECT json_group_array(g.tag) FROM (SELECT tag FROM take_tags WHERE take_id = t.id ORDER BY tag) g) AS tags`;

export interface TakeRow {
  seq: number;
  id: string;
  kind: Take['kind'];
  prompt: string;
  title: string | null;
  model_id: string;
  model_variant: string;
  device: string;
  seed: number;
  settings: string;
  audio_path: string;
  sample_rate: number;
  channels: number;
  samples: number;
  code_frames: number;
  context_frames: number;
  parent_id: string | null;
  region_start: number | null;
  region_end: number | null;
  edits: string | null;
  music: string | null;
  favourite: number;
  created_at: string;
  deleted_at: string | null;
  tags: string;
}

/**
 * The contract's Take. `frames` counts codec frames (the unit of `contextFrames` and of the codes'
 * second axis; 0 when the take has no codes); the audio length is `durationSeconds`.
 */
export function toTake(row: TakeRow): Take {
  return {
    id: row.id,
    kind: row.kind,
    prompt: row.prompt,
    title: row.title,
    modelId: row.model_id,
    modelVariant: row.model_variant,
    device: row.device,
    seed: row.seed,
    settings: JSON.parse(row.settings) as TakeSettings,
    sampleRate: row.sample_rate,
    channels: row.channels,
    frames: row.code_frames,
    contextFrames: row.context_frames,
    durationSeconds: row.samples / row.sample_rate,
    parentId: row.parent_id,
    region: row.region_start !== null && row.region_end !== null ? { start: row.region_start, end: row.region_end } : null,
    edits: row.edits ? (JSON.parse(row.edits) as Edits) : null,
    favourite: row.favourite === 1,
    tags: JSON.parse(row.tags) as string[],
    createdAt: row.created_at,
    deletedAt: row.deleted_at,
    music: row.music ? (JSON.parse(row.music) as TakeMusic) : null,
  };
}

/** The shortest id prefix accepted in place of a full id (lists and messages show 8 characters). */
export const MIN_ID_PREFIX = 4;
const SHOWN_MATCHES = 5;

/**
 * The full id of the take `ref` names: its whole id, or a prefix of it long enough to pick exactly
 * one take (as git resolves abbreviated commits). An ambiguous prefix names the takes it matches.
 */
export function resolveTakeRef(db: Db, ref: string): string {
  if (typeof ref !== 'string') throw new LibraryError('invalid', 'A take id must be text.');
  if (db.prepare('SELECT 1 FROM takes WHERE id = ?').get(ref)) return ref;
  // Ids are lowercase UUIDs; a pasted id may have been upper-cased or carry spaces.
  const prefix = /^[\s0-9A-Fa-f-]+$/.test(ref) ? ref.trim().toLowerCase() : ref;
  if (prefix.length < MIN_ID_PREFIX) throw takeNotFound(ref);
  // A range on the unique index: every id that starts with the prefix sorts between these two.
  const rows = db
    .prepare(
      `SELECT t.id, p.text AS prompt, t.title FROM takes t JOIN prompts p ON p.id = t.prompt_id
       WHERE t.id >= ? AND t.id < ? ORDER BY t.id LIMIT ${SHOWN_MATCHES + 1}`,
    )
    .all(prefix, `${prefix}\u{10FFFF}`) as { id: string; prompt: string; title: string | null }[];
  if (rows.length === 1) return rows[0].id;
  if (rows.length === 0) throw takeNotFound(ref);
  const count =
    rows.length > SHOWN_MATCHES
      ? (db.prepare('SELECT count(*) AS n FROM takes WHERE id >= ? AND id < ?').get(prefix, `${prefix}\u{10FFFF}`) as { n: number }).n
      : rows.length;
  const describe = (r: (typeof rows)[number]) => {
    const name = r.title ?? r.prompt;
    return `${r.id} (${name.length > 40 ? `${name.slice(0, 39)}…` : name})`;
  };
  const shown = rows.slice(0, SHOWN_MATCHES).map(describe).join(', ');
  const more = count > SHOWN_MATCHES ? ` and ${count - SHOWN_MATCHES} more` : '';
  throw new LibraryError('invalid', `"${ref}" matches ${count} takes: ${shown}${more}. Type more of the id.`);
}

export function selectTakeRow(db: Db, id: string): TakeRow | undefined {
  return db.prepare(`SELECT ${TAKE_COLUMNS} FROM takes t JOIN prompts p ON p.id = t.prompt_id WHERE t.id = ?`).get(id) as
    TakeRow | undefined;
}

export function parseTakeQuery(query: TakeQuery | undefined): z.output<typeof TakeQuerySchema> {
  return parseOrThrow(TakeQuerySchema, query ?? {}, 'take search');
}

/**
 * Newest first, with the total number of matches for paging. "Newest" is the order takes were
 * added (seq), which is the order of createdAt unless the clock went backwards, and which the
 * indexes and the full-text index (keyed by seq) can walk without sorting.
 * Run inside a read transaction.
 */
export function queryTakes(db: Db, query: TakeQuery | undefined): { takes: Take[]; total: number } {
  const q = parseTakeQuery(query);
  const where: string[] = [];
  const params: unknown[] = [];
  const match = toFtsQuery(q.search);
  // With a search, the full-text index drives: it yields matches in rowid (= seq) order, so the
  // newest page is read without collecting and sorting every match. CROSS JOIN pins that order.
  const from = match ? 'takes_fts f CROSS JOIN takes t ON t.seq = f.rowid' : 'takes t';
  const order = match ? 'f.rowid DESC' : 't.seq DESC';
  if (match) {
    where.push('takes_fts MATCH ?');
    params.push(match);
  }
  const literal = literalSearch(q.search);
  if (literal !== null) {
    // No word to index (only symbols or emoji): a plain substring test, which scans, but such
    // searches are rare and the filters below still narrow it. instr() has no wildcards to escape.
    where.push(
      `(instr((SELECT text FROM prompts WHERE id = t.prompt_id), ?) > 0 OR instr(coalesce(t.title, ''), ?) > 0
        OR EXISTS (SELECT 1 FROM take_tags g WHERE g.take_id = t.id AND instr(g.tag, ?) > 0))`,
    );
    params.push(literal, literal, literal);
  }
  where.push(q.trash ? 't.deleted_at IS NOT NULL' : 't.deleted_at IS NULL');
  if (q.favourite !== undefined) where.push(q.favourite ? 't.favourite = 1' : 't.favourite = 0');
  if (q.tag !== undefined) {
    where.push('t.id IN (SELECT take_id FROM take_tags WHERE tag = ?)');
    params.push(normalizeTag(q.tag));
  }
  if (q.modelId !== undefined) {
    where.push('t.model_id = ?');
    params.push(q.modelId);
  }
  const filter = where.join(' AND ');
  const total = (db.prepare(`SELECT count(*) AS n FROM ${from} WHERE ${filter}`).get(...params) as { n: number }).n;
  if (total === 0 || q.offset >= total) return { takes: [], total };
  // Page first (ids only), then the full rows of just that page: the per-row work (prompt join,
  // tags) is done for `limit` rows, not for every match.
  const rows = db
    .prepare(
      `WITH page(seq) AS (SELECT t.seq FROM ${from} WHERE ${filter} ORDER BY ${order} LIMIT ? OFFSET ?)
       SELECT ${TAKE_COLUMNS} FROM page CROSS JOIN takes t ON t.seq = page.seq JOIN prompts p ON p.id = t.prompt_id
       ORDER BY t.seq DESC`,
    )
    .all(...params, q.limit, q.offset) as TakeRow[];
  return { takes: rows.map(toTake), total };
}

/** Root first: the take this one was continued (or edited) from, and so on up. */
export function selectAncestors(db: Db, id: string): Take[] {
  const rows = db
    .prepare(
      `WITH RECURSIVE up(id, depth) AS (
         SELECT parent_id, 1 FROM takes WHERE id = ? AND parent_id IS NOT NULL
         UNION
         SELECT t.parent_id, up.depth + 1 FROM takes t JOIN up ON t.id = up.id WHERE t.parent_id IS NOT NULL
       )
       SELECT ${TAKE_COLUMNS} FROM up JOIN takes t ON t.id = up.id JOIN prompts p ON p.id = t.prompt_id
       ORDER BY up.depth DESC`,
    )
    .all(id) as TakeRow[];
  return rows.map(toTake);
}

/** The whole subtree below the take, in the order the takes were added. */
export function selectDescendants(db: Db, id: string): Take[] {
  const rows = db
    .prepare(
      `WITH RECURSIVE down(id) AS (
         SELECT id FROM takes WHERE parent_id = ?
         UNION
         SELECT t.id FROM takes t JOIN down ON t.parent_id = down.id
       )
       SELECT ${TAKE_COLUMNS} FROM down JOIN takes t ON t.id = down.id JOIN prompts p ON p.id = t.prompt_id
       ORDER BY t.seq`,
    )
    .all(id) as TakeRow[];
  return rows.map(toTake);
}
