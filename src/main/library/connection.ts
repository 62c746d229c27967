/**
 * Opens the SQLite file with the settings every connection needs. WAL lets the studio, the CLI and
 * a second window read while one of them writes; foreign keys keep clips, tags and lineage honest;
 * the busy timeout makes a second writer wait its turn instead of failing at once.
 */
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { LibraryError } from './errors';
import { migrate } from './migrations';

export type Db = Database.Database;

export function openConnection(file: string): Db {
  let db: Db;
  try {
    mkdirSync(dirname(file), { recursive: true });
    // The desktop app runs on Electron's Node ABI and loads its own build of better-sqlite3.
    const nativeBinding = process.env.CONTINUO_SQLITE_BINDING;
    db = new Database(file, nativeBinding ? { nativeBinding } : {});
  } catch (error) {
    throw new LibraryError('io', `Could not open the library at ${file}: ${(error as Error).message}.`, { cause: error });
  }
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('foreign_keys = ON');
    db.pragma('busy_timeout = 5000');
    // In WAL mode NORMAL loses at most the last commits on power loss, never consistency; the
    // audio files are fsynced on their own, and an unreferenced file is found by checkIntegrity.
    db.pragma('synchronous = NORMAL');
    // A 100k-take library is tens of MB; a bigger page cache and memory-mapped reads keep
    // searches from going back to the file system for every page.
    db.pragma('cache_size = -32000');
    db.pragma('mmap_size = 268435456');
  } catch (error) {
    db.close();
    const code = (error as { code?: string }).code;
    const reason = code === 'SQLITE_NOTADB' ? 'it is not a Continuo library (or it is damaged)' : (error as Error).message;
    throw new LibraryError('io', `Could not open the library at ${file}: ${reason}.`, { cause: error });
  }
  return db;
}

/**
 * A connection migrated to exactly `version` (not further). Tests use it to build a database as
 * an older Continuo left it; tools can use it to inspect one.
 */
export function openDatabaseAtVersion(file: string, version: number): Db {
  const db = openConnection(file);
  try {
    migrate(db, version);
  } catch (error) {
    db.close();
    throw error;
  }
  return db;
}
