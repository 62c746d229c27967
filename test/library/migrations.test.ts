import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { encodeWav } from '../../src/main/audio';
import { LATEST_VERSION, Library, MIGRATIONS, openDatabaseAtVersion } from '../../src/main/library';
import { migrate } from '../../src/main/library/migrations';
import { encodeCodes } from '../../src/main/library/codes';
import { writeFileAtomic } from '../../src/main/atomic-file';
import { SETTINGS, openLibrary, tempRoot, testAudio } from './helpers';

describe('migrations', () => {
  it('are numbered 1..n in order', () => {
    expect(MIGRATIONS.map((m) => m.version)).toEqual(Array.from({ length: MIGRATIONS.length }, (_, i) => i + 1));
    expect(LATEST_VERSION).toBe(MIGRATIONS.length);
  });

  it('bring a schema-1 library forward: rows survive, are searchable and get defaults', () => {
    const root = tempRoot();
    const db = openDatabaseAtVersion(join(root, 'library.sqlite'), 1);
    expect(db.pragma('user_version', { simple: true })).toBe(1);
    expect(
      db
        .prepare(`SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name`)
        .all()
        .map((r) => (r as { name: string }).name),
    ).toEqual(['prompts', 'takes']);

    // Insert takes the way the first version did.
    const audio = testAudio(640, 32000, 1);
    mkdirSync(join(root, 'audio', '2023-11'), { recursive: true });
    const insertPrompt = db.prepare('INSERT INTO prompts (text, created_at) VALUES (?, ?)');
    const insertTake = db.prepare(
      `INSERT INTO takes (id, kind, prompt_id, model_id, model_variant, device, seed, settings, audio_path, sample_rate, channels, samples, codes, code_frames, context_frames, parent_id, created_at)
       VALUES (?, ?, ?, 'musicgen-small', 'fp32', 'cpu', ?, ?, ?, 32000, 1, 640, ?, ?, ?, ?, ?)`,
    );
    const piano = insertPrompt.run('old lo-fi piano', '2023-11-02T10:00:00.000Z').lastInsertRowid;
    const synth = insertPrompt.run('retro synthwave', '2023-11-02T11:00:00.000Z').lastInsertRowid;
    const rows = [
      {
        id: 'old-1',
        kind: 'generate',
        prompt: piano,
        seed: 1,
        codes: [[1, 2, 3]],
        context: 0,
        parent: null,
        at: '2023-11-02T10:00:00.000Z',
      },
      {
        id: 'old-2',
        kind: 'continue',
        prompt: piano,
        seed: 2,
        codes: [[3, 4, 5]],
        context: 1,
        parent: 'old-1',
        at: '2023-11-02T10:05:00.000Z',
      },
      { id: 'old-3', kind: 'generate', prompt: synth, seed: 3, codes: null, context: 0, parent: null, at: '2023-11-02T11:00:00.000Z' },
    ];
    for (const r of rows) {
      const path = `audio/2023-11/${r.id}.wav`;
      writeFileAtomic(join(root, path), encodeWav(audio, 'float32'));
      insertTake.run(
        r.id,
        r.kind,
        r.prompt,
        r.seed,
        JSON.stringify(SETTINGS),
        path,
        r.codes ? encodeCodes(r.codes) : null,
        r.codes?.[0].length ?? 0,
        r.context,
        r.parent,
        r.at,
      );
    }
    db.close();

    const library = openLibrary(root);
    const all = library.listTakes({});
    expect(all.total).toBe(3);
    expect(all.takes.map((t) => t.id)).toEqual(['old-3', 'old-2', 'old-1']);
    expect(library.getTake('old-2')).toMatchObject({
      prompt: 'old lo-fi piano',
      kind: 'continue',
      parentId: 'old-1',
      title: null,
      favourite: false,
      tags: [],
      deletedAt: null,
      edits: null,
      region: null,
      frames: 3,
      contextFrames: 1,
      settings: SETTINGS,
    });
    expect(library.getCodes('old-2')).toEqual([[3, 4, 5]]);
    expect(library.readAudio('old-1').channels[0]).toEqual(audio.channels[0]);
    expect(library.listTakes({ search: 'lo pia' }).takes.map((t) => t.id)).toEqual(['old-2', 'old-1']);
    expect(library.listTakes({ search: 'synth' }).takes.map((t) => t.id)).toEqual(['old-3']);
    expect(library.lineage('old-2').ancestors.map((t) => t.id)).toEqual(['old-1']);

    // New features work on old rows.
    library.updateTake('old-3', { tags: ['eighties'], favourite: true });
    expect(library.listTakes({ search: 'eight', favourite: true }).takes.map((t) => t.id)).toEqual(['old-3']);
    expect(library.checkIntegrity({ graceMs: 0 })).toEqual({ orphanFiles: [], missingAudio: [], repaired: 0 });
    library.close();

    const check = new Database(join(root, 'library.sqlite'), { readonly: true });
    expect(check.pragma('user_version', { simple: true })).toBe(LATEST_VERSION);
    expect(check.pragma('integrity_check', { simple: true })).toBe('ok');
    expect(check.pragma('foreign_key_check')).toEqual([]);
    // Migration 7 moved the codes out of the takes row.
    const columns = (check.pragma('table_info(takes)') as { name: string }[]).map((c) => c.name);
    expect(columns).not.toContain('codes');
    expect(columns).toEqual(expect.arrayContaining(['title', 'favourite', 'deleted_at']));
    expect(check.prepare('SELECT count(*) AS n FROM take_codes').get()).toEqual({ n: 2 });
    check.close();
  });

  it('can stop at any version and continue later', () => {
    const root = tempRoot();
    for (let v = 1; v <= LATEST_VERSION; v++) {
      const db = openDatabaseAtVersion(join(root, 'library.sqlite'), v);
      expect(db.pragma('user_version', { simple: true })).toBe(v);
      db.close();
    }
  });

  it('applies each migration once when two connections open an old library', () => {
    const root = tempRoot();
    const file = join(root, 'library.sqlite');
    openDatabaseAtVersion(file, 2).close();
    const a = openDatabaseAtVersion(file, 2);
    const b = openDatabaseAtVersion(file, 2);
    expect(migrate(a)).toEqual(MIGRATIONS.slice(2).map((m) => m.version));
    expect(migrate(b)).toEqual([]);
    a.close();
    b.close();
  });

  it('refuses a library from a newer Continuo', () => {
    const root = tempRoot();
    const db = new Database(join(root, 'library.sqlite'));
    db.pragma(`user_version = ${LATEST_VERSION + 1}`);
    db.close();
    expect(() => Library.open(root)).toThrow(/newer version of Continuo/);
  });
});
