import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { decodeWav } from '../../src/main/audio';
import { LibraryError } from '../../src/main/library';
import { decodeCodes, encodeCodes } from '../../src/main/library/codes';
import { newTake, openLibrary, steppingClock, tempRoot, testAudio } from './helpers';

describe('codes BLOB', () => {
  it('stores a codebook count and Uint16 little-endian values, and reads them back', () => {
    const codes = [
      [0, 1, 65535],
      [256, 2048, 7],
    ];
    const blob = encodeCodes(codes);
    expect(blob.length).toBe(2 + 6 * 2);
    expect(blob.readUInt16LE(0)).toBe(2);
    expect(blob.readUInt16LE(2)).toBe(0);
    expect(blob.readUInt16LE(6)).toBe(65535);
    expect(blob.readUInt16LE(8)).toBe(256);
    expect(decodeCodes(blob)).toEqual(codes);
    // Works on a view that does not start at byte 0 (SQLite hands back pooled Buffers).
    const offset = Buffer.concat([Buffer.from([9]), blob]).subarray(1);
    expect(decodeCodes(offset)).toEqual(codes);
    expect(decodeCodes(encodeCodes([]))).toEqual([]);
    expect(decodeCodes(encodeCodes([[], []]))).toEqual([[], []]);
  });

  it('rejects ragged rows and values that are not token ids', () => {
    expect(() => encodeCodes([[1, 2], [3]])).toThrow(/same length/);
    expect(() => encodeCodes([[1, -1]])).toThrow(LibraryError);
    expect(() => encodeCodes([[1, 70000]])).toThrow(/not a token id/);
    expect(() => encodeCodes([[1.5]])).toThrow(LibraryError);
  });
});

describe('saveTake / getTake', () => {
  it('round-trips every field, the codes and the audio samples', () => {
    const root = tempRoot();
    const library = openLibrary(root, { now: () => new Date('2024-05-17T12:34:56.789Z') });
    const audio = testAudio(500, 32000, 2);
    const codes = [
      [1, 2, 3, 4, 5],
      [6, 7, 8, 9, 10],
    ];
    const saved = library.saveTake(
      newTake({
        audio,
        codes,
        title: '  My  take ',
        seed: 4_000_000_000,
        contextFrames: 2,
        region: { start: 0.5, end: 1.5 },
        edits: { gainDb: -3 },
      }),
    );

    expect(saved.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(saved).toMatchObject({
      kind: 'generate',
      prompt: 'warm lo-fi piano',
      title: 'My take',
      modelId: 'musicgen-small',
      modelVariant: 'fp32',
      device: 'cpu',
      seed: 4_000_000_000,
      sampleRate: 32000,
      channels: 2,
      frames: 5,
      contextFrames: 2,
      parentId: null,
      region: { start: 0.5, end: 1.5 },
      edits: { gainDb: -3 },
      favourite: false,
      tags: [],
      createdAt: '2024-05-17T12:34:56.789Z',
      deletedAt: null,
    });
    expect(saved.durationSeconds).toBeCloseTo(500 / 32000, 12);
    expect(saved.settings).toEqual(newTake().settings);
    expect(library.getTake(saved.id)).toEqual(saved);

    expect(library.getCodes(saved.id)).toEqual(codes);
    const path = library.audioPath(saved.id);
    expect(path).toBe(join(root, 'audio', '2024-05', `${saved.id}.wav`));
    const fromFile = decodeWav(readFileSync(path));
    expect(fromFile.sampleRate).toBe(32000);
    const back = library.readAudio(saved.id);
    expect(back.channels).toHaveLength(2);
    for (let c = 0; c < 2; c++) expect(Array.from(back.channels[c])).toEqual(Array.from(audio.channels[c]));

    // The row as stored: relative path, BLOB bytes, ISO time.
    library.close();
    const db = new Database(join(root, 'library.sqlite'), { readonly: true });
    const row = db
      .prepare('SELECT t.*, c.codes FROM takes t JOIN take_codes c ON c.take_seq = t.seq WHERE t.id = ?')
      .get(saved.id) as Record<string, unknown>;
    db.close();
    expect(row.audio_path).toBe(`audio/2024-05/${saved.id}.wav`);
    expect(Buffer.isBuffer(row.codes)).toBe(true);
    expect((row.codes as Buffer).length).toBe(2 + 10 * 2);
    expect((row.codes as Buffer).readUInt16LE(0)).toBe(2);
    expect(row.created_at).toBe('2024-05-17T12:34:56.789Z');
  });

  it('stores takes without codes (imports, edits)', () => {
    const library = openLibrary();
    const take = library.saveTake(newTake({ kind: 'import', codes: null }));
    expect(take.frames).toBe(0);
    expect(library.getCodes(take.id)).toBeNull();
  });

  it('deduplicates prompts', () => {
    const root = tempRoot();
    const library = openLibrary(root);
    library.saveTake(newTake({ prompt: 'dub techno' }));
    library.saveTake(newTake({ prompt: 'dub techno' }));
    library.saveTake(newTake({ prompt: 'ambient drone' }));
    const db = new Database(join(root, 'library.sqlite'), { readonly: true });
    const prompts = db.prepare('SELECT text FROM prompts ORDER BY text').all();
    db.close();
    expect(prompts).toEqual([{ text: 'ambient drone' }, { text: 'dub techno' }]);
  });

  it('throws readable errors for unknown takes and invalid input, writing nothing', () => {
    const root = tempRoot();
    const library = openLibrary(root);
    let error: unknown;
    try {
      library.getTake('abcdef12-0000-0000-0000-000000000000');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(LibraryError);
    expect((error as LibraryError).code).toBe('not-found');
    expect((error as Error).message).toBe('Take abcdef12… is not in the library (it may have been removed from the trash).');
    expect(() => library.getCodes('nope')).toThrow(LibraryError);
    expect(() => library.readAudio('nope')).toThrow(/not in the library/);

    expect(() => library.saveTake(newTake({ seed: 1.5 }))).toThrow(expect.objectContaining({ code: 'invalid' }));
    expect(() => library.saveTake(newTake({ audio: { sampleRate: 32000, channels: [] } }))).toThrow(
      expect.objectContaining({ code: 'invalid' }),
    );
    expect(() => library.saveTake(newTake({ codes: [[1], [2, 3]] }))).toThrow(/same length/);
    expect(() => library.saveTake(newTake({ contextFrames: 10 }))).toThrow(/context/);
    expect(() => library.saveTake(newTake({ parentId: 'missing-parent' }))).toThrow(expect.objectContaining({ code: 'not-found' }));
    expect(library.listTakes({}).total).toBe(0);
    expect(existsSync(join(root, 'audio'))).toBe(false);
  });
});

describe('updateTake and tags', () => {
  it('updates title, favourite and tags (normalized), leaving unnamed fields alone', () => {
    const library = openLibrary();
    const take = library.saveTake(newTake());
    const updated = library.updateTake(take.id, {
      title: 'Night drive',
      favourite: true,
      tags: [' Lo-Fi ', 'lo-fi', 'CHILL', '', 'late  night'],
    });
    expect(updated).toMatchObject({ title: 'Night drive', favourite: true, tags: ['chill', 'late night', 'lo-fi'] });

    expect(library.updateTake(take.id, { favourite: false })).toMatchObject({
      title: 'Night drive',
      favourite: false,
      tags: ['chill', 'late night', 'lo-fi'],
    });
    expect(library.updateTake(take.id, { tags: ['keys'] }).tags).toEqual(['keys']);
    expect(library.updateTake(take.id, { title: '   ' }).title).toBeNull();
    expect(library.getTake(take.id)).toMatchObject({ title: null, tags: ['keys'] });

    expect(() => library.updateTake(take.id, { tags: ['x'.repeat(51)] })).toThrow(expect.objectContaining({ code: 'invalid' }));
    expect(() => library.updateTake(take.id, { tags: Array.from({ length: 31 }, (_, i) => `t${i}`) })).toThrow(/at most 30/);
    expect(() => library.updateTake('missing', { favourite: true })).toThrow(expect.objectContaining({ code: 'not-found' }));
  });

  it('counts tags over takes outside the trash', () => {
    const library = openLibrary(undefined, { now: steppingClock() });
    const a = library.saveTake(newTake());
    const b = library.saveTake(newTake());
    const c = library.saveTake(newTake());
    library.updateTake(a.id, { tags: ['piano', 'chill'] });
    library.updateTake(b.id, { tags: ['piano'] });
    library.updateTake(c.id, { tags: ['piano', 'drums'] });
    library.trashTake(c.id);
    expect(library.tagCounts()).toEqual([
      { tag: 'piano', count: 2 },
      { tag: 'chill', count: 1 },
    ]);
  });
});
