/**
 * A fingerprint of a folder tree (path, kind, size, mtime and content hash of every entry), used
 * to prove that the test suite leaves the user's real data folder exactly as it found it.
 */
import { createHash } from 'node:crypto';
import { existsSync, lstatSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join, relative } from 'node:path';

export type FolderSnapshot = Map<string, string>;

export function snapshotFolder(root: string): FolderSnapshot {
  const entries: FolderSnapshot = new Map();
  if (!existsSync(root)) return entries;
  const walk = (path: string): void => {
    const stat = lstatSync(path);
    const key = relative(root, path) || '.';
    if (stat.isDirectory()) {
      entries.set(key, `dir ${stat.mode}`);
      for (const name of readdirSync(path).sort()) walk(join(path, name));
    } else if (stat.isSymbolicLink()) {
      entries.set(key, `link ${readlinkSync(path)}`);
    } else if (stat.isFile()) {
      const hash = createHash('sha256').update(readFileSync(path)).digest('hex');
      entries.set(key, `file ${stat.size} ${stat.mtimeMs} ${hash}`);
    } else {
      entries.set(key, `other ${stat.mode}`);
    }
  };
  walk(root);
  return entries;
}

/** Human-readable differences between two snapshots; empty when the folder is unchanged. */
export function diffSnapshots(before: FolderSnapshot, after: FolderSnapshot): string[] {
  const changes: string[] = [];
  for (const [path, was] of before) {
    const now = after.get(path);
    if (now === undefined) changes.push(`removed ${path}`);
    else if (now !== was) changes.push(`changed ${path}`);
  }
  for (const path of after.keys()) if (!before.has(path)) changes.push(`added ${path}`);
  return changes;
}
