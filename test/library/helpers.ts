/** Shared fixtures for the library tests: a temp data folder per test and small takes. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';
import { Library, type LibraryOptions } from '../../src/main/library';

export { SETTINGS, newTake, testAudio } from './fixtures';

const roots: string[] = [];
const open: Library[] = [];

afterEach(() => {
  for (const library of open.splice(0)) library.close();
  for (const root of roots.splice(0)) rmSync(root, { recursive: true, force: true });
});

export function tempRoot(): string {
  const root = mkdtempSync(join(tmpdir(), 'continuo-library-'));
  roots.push(root);
  return root;
}

/** Opens a library that the test's cleanup closes. */
export function openLibrary(root = tempRoot(), options?: LibraryOptions): Library {
  const library = Library.open(root, options);
  open.push(library);
  return library;
}

/** A clock that advances one second per call, so creation order is unambiguous. */
export function steppingClock(start = '2024-05-01T10:00:00.000Z'): () => Date {
  let t = Date.parse(start);
  return () => new Date((t += 1000));
}
