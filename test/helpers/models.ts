/** Generated random-weight models for tests, one temp folder per preset per test file. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { generateTestModel } from '../../models/generator';

const made = new Map<string, string>();
let root: string | undefined;

export function testModel(preset: 'tiny' | 'tiny-stereo' = 'tiny'): string {
  const known = made.get(preset);
  if (known) return known;
  if (!root) {
    root = mkdtempSync(join(tmpdir(), 'continuo-models-'));
    const dir = root;
    afterAll(() => rmSync(dir, { recursive: true, force: true }));
  }
  const dir = join(root, preset);
  generateTestModel(dir, { preset });
  made.set(preset, dir);
  return dir;
}

export function tempDir(prefix = 'continuo-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}
