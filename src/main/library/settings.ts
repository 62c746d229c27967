/** App settings as a small JSON key/value table, so they live (and back up) with the library. */
import type { Db } from './connection';
import { LibraryError } from './errors';

export function readSetting<T>(db: Db, key: string): T | undefined {
  const row = db.prepare('SELECT value FROM settings WHERE key = ?').get(key) as { value: string } | undefined;
  return row ? (JSON.parse(row.value) as T) : undefined;
}

export function writeSetting(db: Db, key: string, value: unknown, now: string): void {
  if (typeof key !== 'string' || !key) throw new LibraryError('invalid', 'A setting needs a name.');
  if (value === undefined) {
    db.prepare('DELETE FROM settings WHERE key = ?').run(key);
    return;
  }
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch (error) {
    throw new LibraryError('invalid', `The setting "${key}" cannot be stored: ${(error as Error).message}.`);
  }
  if (text === undefined) throw new LibraryError('invalid', `The setting "${key}" cannot be stored as JSON.`);
  db.prepare(
    `INSERT INTO settings (key, value, updated_at) VALUES (?, ?, ?)
     ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
  ).run(key, text, now);
}
