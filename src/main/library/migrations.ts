/**
 * The schema as an ordered list of migrations, applied one at a time, each in its own transaction
 * together with the bump of `PRAGMA user_version`. A library written by any earlier version of the
 * app is brought forward step by step, so there is exactly one path to every schema: the one a new
 * database takes too. Released migrations are never edited; changes go into a new one.
 */
import type BetterSqlite3 from 'better-sqlite3';
import { LibraryError } from './errors';

type Database = BetterSqlite3.Database;

export interface Migration {
  version: number;
  /** What it adds, for the record (and for error messages). */
  description: string;
  up(db: Database): void;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'prompts and takes',
    up(db) {
      db.exec(`
        -- The same prompt text is stored once: variations and continuations share it.
        CREATE TABLE prompts (
          id         INTEGER PRIMARY KEY,
          text       TEXT NOT NULL UNIQUE,
          created_at TEXT NOT NULL
        );
        CREATE TABLE takes (
          -- An explicit INTEGER PRIMARY KEY: a rowid that VACUUM never renumbers, so the
          -- full-text index (keyed by rowid) stays attached to the right take.
          seq            INTEGER PRIMARY KEY,
          id             TEXT NOT NULL UNIQUE,
          kind           TEXT NOT NULL CHECK (kind IN ('generate', 'continue', 'edit', 'import')),
          prompt_id      INTEGER NOT NULL REFERENCES prompts(id),
          model_id       TEXT NOT NULL,
          model_variant  TEXT NOT NULL,
          device         TEXT NOT NULL,
          seed           INTEGER NOT NULL,
          settings       TEXT NOT NULL CHECK (json_valid(settings)),
          -- Relative to the data folder (forward slashes), so the folder can be moved.
          audio_path     TEXT NOT NULL UNIQUE,
          sample_rate    INTEGER NOT NULL CHECK (sample_rate > 0),
          channels       INTEGER NOT NULL CHECK (channels > 0),
          samples        INTEGER NOT NULL CHECK (samples >= 0),
          -- [codebook][frame] as Uint16 LE with a codebook-count header (see codes.ts);
          -- moved to take_codes by migration 7.
          codes          BLOB,
          code_frames    INTEGER NOT NULL DEFAULT 0,
          context_frames INTEGER NOT NULL DEFAULT 0,
          parent_id      TEXT REFERENCES takes(id) ON DELETE SET NULL,
          region_start   REAL,
          region_end     REAL,
          edits          TEXT CHECK (edits IS NULL OR json_valid(edits)),
          created_at     TEXT NOT NULL
        );
        CREATE INDEX takes_by_parent ON takes(parent_id);
        CREATE INDEX takes_by_prompt ON takes(prompt_id);
      `);
    },
  },
  {
    version: 2,
    description: 'titles, favourites, tags and the trash',
    up(db) {
      db.exec(`
        ALTER TABLE takes ADD COLUMN title TEXT;
        ALTER TABLE takes ADD COLUMN favourite INTEGER NOT NULL DEFAULT 0 CHECK (favourite IN (0, 1));
        -- NULL: in the library; an ISO time: in the trash since then (undoable until emptied).
        ALTER TABLE takes ADD COLUMN deleted_at TEXT;
        CREATE TABLE take_tags (
          take_id TEXT NOT NULL REFERENCES takes(id) ON DELETE CASCADE,
          tag     TEXT NOT NULL,
          PRIMARY KEY (take_id, tag)
        ) WITHOUT ROWID;
        CREATE INDEX take_tags_by_tag ON take_tags(tag, take_id);
        -- Lists are newest first by seq (insertion order). These indexes answer the common
        -- views (everything, trash, favourites, one model) and their counts without reading rows.
        CREATE INDEX takes_live ON takes(seq) WHERE deleted_at IS NULL;
        CREATE INDEX takes_trashed ON takes(seq) WHERE deleted_at IS NOT NULL;
        CREATE INDEX takes_favourites ON takes(seq) WHERE favourite = 1 AND deleted_at IS NULL;
        CREATE INDEX takes_by_model ON takes(model_id, deleted_at, seq);
      `);
    },
  },
  {
    version: 3,
    description: 'full-text search over prompts, titles and tags',
    up(db) {
      // A regular (content-storing) FTS5 table: the indexed text is assembled from three tables,
      // and keeping a copy makes deletes and re-indexing one plain statement each.
      db.exec(`
        CREATE VIRTUAL TABLE takes_fts USING fts5(
          prompt, title, tags,
          tokenize = 'unicode61 remove_diacritics 2',
          prefix = '1 2 3'
        );
        INSERT INTO takes_fts(rowid, prompt, title, tags)
          SELECT t.seq, p.text, coalesce(t.title, ''),
                 coalesce((SELECT group_concat(g.tag, ' ') FROM take_tags g WHERE g.take_id = t.id), '')
          FROM takes t JOIN prompts p ON p.id = t.prompt_id;
      `);
    },
  },
  {
    version: 4,
    description: 'projects, tracks and clips',
    up(db) {
      db.exec(`
        CREATE TABLE projects (
          id         TEXT PRIMARY KEY,
          name       TEXT NOT NULL,
          created_at TEXT NOT NULL,
          updated_at TEXT NOT NULL
        );
        CREATE TABLE tracks (
          id         TEXT PRIMARY KEY,
          project_id TEXT NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
          name       TEXT NOT NULL,
          position   INTEGER NOT NULL,
          gain_db    REAL NOT NULL DEFAULT 0,
          muted      INTEGER NOT NULL DEFAULT 0 CHECK (muted IN (0, 1)),
          created_at TEXT NOT NULL
        );
        CREATE INDEX tracks_by_project ON tracks(project_id, position);
        CREATE TABLE clips (
          id               TEXT PRIMARY KEY,
          track_id         TEXT NOT NULL REFERENCES tracks(id) ON DELETE CASCADE,
          -- Emptying the trash removes a take for good; clips that used it go with it.
          take_id          TEXT NOT NULL REFERENCES takes(id) ON DELETE CASCADE,
          start_seconds    REAL NOT NULL,
          offset_seconds   REAL NOT NULL,
          duration_seconds REAL NOT NULL,
          gain_db          REAL NOT NULL DEFAULT 0,
          fade_in_seconds  REAL NOT NULL DEFAULT 0,
          fade_out_seconds REAL NOT NULL DEFAULT 0,
          created_at       TEXT NOT NULL
        );
        CREATE INDEX clips_by_track ON clips(track_id, start_seconds);
        CREATE INDEX clips_by_take ON clips(take_id);
      `);
    },
  },
  {
    version: 5,
    description: 'jobs',
    up(db) {
      db.exec(`
        CREATE TABLE jobs (
          id          TEXT PRIMARY KEY,
          kind        TEXT NOT NULL,
          status      TEXT NOT NULL CHECK (status IN ('queued', 'running', 'done', 'failed', 'cancelled')),
          request     TEXT NOT NULL CHECK (json_valid(request)),
          error       TEXT,
          take_ids    TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(take_ids)),
          created_at  TEXT NOT NULL,
          started_at  TEXT,
          finished_at TEXT
        );
        CREATE INDEX jobs_unfinished ON jobs(status) WHERE status IN ('queued', 'running');
      `);
    },
  },
  {
    version: 6,
    description: 'settings',
    up(db) {
      db.exec(`
        CREATE TABLE settings (
          key        TEXT PRIMARY KEY,
          value      TEXT NOT NULL CHECK (json_valid(value)),
          updated_at TEXT NOT NULL
        );
      `);
    },
  },
  {
    version: 7,
    description: 'audio codes out of the takes row',
    up(db) {
      // Schema 1 kept each take's codes (kilobytes) inline. SQLite stores a row's columns in
      // order and spills long rows to overflow pages, so every list, filter and count had to read
      // through the codes to reach the columns after them (trash, favourite, ...): at 100k takes
      // a plain search took over 50 ms. Codes are only read to continue or edit one take, so they
      // move to their own table and the takes row stays a few hundred bytes.
      db.exec(`
        CREATE TABLE take_codes (
          take_seq INTEGER PRIMARY KEY REFERENCES takes(seq) ON DELETE CASCADE,
          codes    BLOB NOT NULL
        );
        INSERT INTO take_codes (take_seq, codes) SELECT seq, codes FROM takes WHERE codes IS NOT NULL;
        ALTER TABLE takes DROP COLUMN codes;
      `);
    },
  },
  {
    version: 8,
    description: 'track solo',
    up(db) {
      db.exec(`ALTER TABLE tracks ADD COLUMN solo INTEGER NOT NULL DEFAULT 0 CHECK (solo IN (0, 1));`);
    },
  },
  {
    version: 9,
    description: 'project tempo',
    up(db) {
      db.exec(`ALTER TABLE projects ADD COLUMN tempo_bpm REAL CHECK (tempo_bpm IS NULL OR (tempo_bpm >= 20 AND tempo_bpm <= 400));`);
    },
  },
  {
    version: 10,
    description: 'musical time: project key and signature, take music (sections, loop, measured tempo/key)',
    up(db) {
      db.exec(`
        ALTER TABLE projects ADD COLUMN music_key TEXT;
        ALTER TABLE projects ADD COLUMN time_signature TEXT NOT NULL DEFAULT '4/4';
        ALTER TABLE takes ADD COLUMN music TEXT CHECK (music IS NULL OR json_valid(music));
      `);
    },
  },
];

export const LATEST_VERSION = MIGRATIONS[MIGRATIONS.length - 1].version;

export function schemaVersion(db: Database): number {
  return db.pragma('user_version', { simple: true }) as number;
}

/**
 * Applies every migration above the database's version, up to `target`. Each one commits on its
 * own, so a crash mid-way leaves a database at a known version that the next start continues from.
 * Each step takes the write lock first (IMMEDIATE) and re-reads the version under it, so the studio
 * and the CLI opening an old library at the same moment apply every migration exactly once.
 */
export function migrate(db: Database, target: number = LATEST_VERSION): number[] {
  const tooNew = (version: number) =>
    new LibraryError(
      'invalid',
      `This library was created by a newer version of Continuo (schema ${version}; this version knows up to ${LATEST_VERSION}). Update Continuo to open it.`,
    );
  if (schemaVersion(db) > LATEST_VERSION) throw tooNew(schemaVersion(db));
  if (!Number.isInteger(target) || target < 0 || target > LATEST_VERSION) {
    throw new LibraryError('invalid', `There is no library schema version ${target} (the latest is ${LATEST_VERSION}).`);
  }
  const applied: number[] = [];
  for (const migration of MIGRATIONS) {
    if (migration.version > target) break;
    db.transaction(() => {
      const current = schemaVersion(db);
      if (current > LATEST_VERSION) throw tooNew(current);
      if (current >= migration.version) return; // applied already (perhaps by another process)
      migration.up(db);
      db.pragma(`user_version = ${migration.version}`);
      applied.push(migration.version);
    }).immediate();
  }
  return applied;
}
