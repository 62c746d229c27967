import { randomUUID } from 'node:crypto';
import { existsSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { audioRelativePath, writeAudio } from '../../src/main/library/audio-store';
import { newTake, openLibrary, tempRoot, testAudio } from './helpers';

/** Makes a file look old enough that no concurrent writer can still be about to insert its row. */
function age(path: string): void {
  const past = new Date(Date.now() - 10 * 60_000);
  utimesSync(path, past, past);
}

describe('crash safety and integrity', () => {
  it('removes the audio file when the row insert fails, leaving no row', () => {
    const root = tempRoot();
    let written = '';
    const library = openLibrary(root, {
      hooks: {
        afterAudioWritten: (path) => {
          written = path;
          expect(existsSync(path)).toBe(true);
          throw Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' });
        },
      },
    });
    expect(() => library.saveTake(newTake())).toThrow(
      expect.objectContaining({ code: 'io', message: expect.stringMatching(/disk is full/) }),
    );
    expect(written).not.toBe('');
    expect(existsSync(written)).toBe(false);
    expect(library.listTakes({})).toEqual({ takes: [], total: 0 });
    expect(library.checkIntegrity({ graceMs: 0 })).toEqual({ orphanFiles: [], missingAudio: [], repaired: 0 });
  });

  it('finds the file a crash left between file write and row insert, and moves it to orphans/', () => {
    const root = tempRoot();
    const library = openLibrary(root);
    const kept = library.saveTake(newTake());

    // The first half of saveTake, as a process killed right after the rename would leave it.
    const id = randomUUID();
    const relative = audioRelativePath(id, new Date().toISOString());
    const path = writeAudio(root, relative, testAudio());
    // And a temp file from a write that died before its rename.
    const tmp = join(root, 'audio', relative.split('/')[1], `.${id}.wav.123.456.tmp`);
    writeFileSync(tmp, 'half-written');

    expect(() => library.getTake(id)).toThrow(expect.objectContaining({ code: 'not-found' }));
    expect(library.listTakes({}).takes.map((t) => t.id)).toEqual([kept.id]);

    // Just written: another process may be about to insert its row, so it is left alone.
    expect(library.checkIntegrity().orphanFiles).toEqual([]);

    age(path);
    age(tmp);
    const report = library.checkIntegrity();
    const month = relative.split('/')[1];
    expect(report).toEqual({ orphanFiles: [`audio/${month}/.${id}.wav.123.456.tmp`, relative].sort(), missingAudio: [], repaired: 0 });
    expect(existsSync(path)).toBe(true);

    const repaired = library.checkIntegrity({ repair: true });
    expect(repaired.repaired).toBe(2);
    expect(existsSync(path)).toBe(false);
    expect(existsSync(join(root, 'audio', 'orphans', month, `${id}.wav`))).toBe(true);
    expect(readdirSync(join(root, 'audio', 'orphans', month)).sort()).toEqual([`.${id}.wav.123.456.tmp`, `${id}.wav`].sort());
    // The take that has its row is untouched, and the orphans folder is not scanned again.
    expect(existsSync(library.audioPath(kept.id))).toBe(true);
    expect(library.checkIntegrity({ repair: true, graceMs: 0 })).toEqual({ orphanFiles: [], missingAudio: [], repaired: 0 });
  });

  it('reports takes whose audio file is missing', () => {
    const library = openLibrary();
    const a = library.saveTake(newTake());
    const b = library.saveTake(newTake());
    rmSync(library.audioPath(b.id));
    const report = library.checkIntegrity({ repair: true, graceMs: 0 });
    expect(report).toEqual({ orphanFiles: [], missingAudio: [b.id], repaired: 0 });
    expect(library.getTake(b.id).id).toBe(b.id);
    expect(() => library.readAudio(b.id)).toThrow(
      expect.objectContaining({ code: 'io', message: expect.stringMatching(/file is missing/) }),
    );
    expect(library.readAudio(a.id).channels).toHaveLength(2);
  });
});
