import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { exportedFile } from '../../src/main/exported-files';
import { tempDir } from '../helpers/models';

describe('exported files: what drag-out, "Show in folder" and downloads may hand out', () => {
  const dataDir = tempDir('continuo-exported-');
  const exports = join(dataDir, 'exports');
  mkdirSync(join(exports, 'project-1'), { recursive: true });
  writeFileSync(join(exports, 'project-1', 'mix.wav'), 'RIFF');
  writeFileSync(join(dataDir, 'library.db'), 'secret');
  symlinkSync(join(dataDir, 'library.db'), join(exports, 'sneaky.wav'));

  it('accepts a file under exports/', () => {
    expect(exportedFile(dataDir, join(exports, 'project-1', 'mix.wav'))).toMatch(/project-1[/\\]mix\.wav$/);
  });

  it('refuses anything else: outside, .. tricks, symlinks out, folders, relative paths, non-strings', () => {
    for (const path of [
      join(dataDir, 'library.db'),
      join(exports, '..', 'library.db'),
      join(exports, 'sneaky.wav'),
      join(exports, 'project-1'),
      exports,
      'exports/project-1/mix.wav',
      '/etc/passwd',
      join(exports, 'missing.wav'),
      `${join(exports, 'project-1', 'mix.wav')}\0`,
      42,
      null,
    ]) {
      expect(exportedFile(dataDir, path)).toBeNull();
    }
  });
});
