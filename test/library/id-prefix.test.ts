/** A take can be named by the start of its id (as `library list` and messages shorten it), like git. */
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { createServices } from '../../src/main/services';
import { newTake, openLibrary, tempRoot } from './helpers';

const A1 = 'abcd1234-0000-4000-8000-000000000001';
const A2 = 'abcd1234-0000-4000-8000-000000000002';
const B = 'abcd9999-0000-4000-8000-000000000003';

/** Three takes whose ids are chosen, so that two share their first eight characters. */
function seeded() {
  const root = tempRoot();
  const library = openLibrary(root);
  const made = [
    library.saveTake(newTake({ prompt: 'first' })),
    library.saveTake(newTake({ prompt: 'second' })),
    library.saveTake(newTake({ prompt: 'third' })),
  ];
  const db = new Database(join(root, 'library.sqlite'));
  const rename = db.prepare('UPDATE takes SET id = ? WHERE id = ?');
  [A1, A2, B].forEach((id, i) => rename.run(id, made[i].id));
  db.close();
  return { root, library };
}

describe('take ids by prefix', () => {
  it('resolves a unique prefix to the full id wherever an id is accepted', () => {
    const { library } = seeded();
    expect(library.resolveTakeId('abcd9999')).toBe(B);
    expect(library.resolveTakeId(B)).toBe(B);
    expect(library.resolveTakeId('ABCD9999')).toBe(B);
    expect(library.getTake('abcd9999').id).toBe(B);
    expect(library.getTake('abcd1234-0000-4000-8000-000000000002').prompt).toBe('second');
    expect(library.getCodes('abcd9999')).toEqual(library.getCodes(B));
    expect(library.audioPath('abcd9999')).toBe(library.audioPath(B));
    expect(library.readAudio('abcd9999').channels[0]).toEqual(library.readAudio(B).channels[0]);
    expect(library.updateTake('abcd9999', { title: 'Named' })).toMatchObject({ id: B, title: 'Named' });
    expect(library.trashTake('abcd9999').id).toBe(B);
    expect(library.restoreTake('abcd9999').deletedAt).toBeNull();
    const child = library.saveTake(newTake({ prompt: 'fourth', parentId: 'abcd9999' }));
    expect(child.parentId).toBe(B);
    expect(library.lineage('abcd9999').descendants.map((t) => t.id)).toEqual([child.id]);
    const project = library.createProject('P');
    const withClip = library.addTrack(project.id);
    expect(library.addClip(withClip.tracks[0].id, { takeId: 'abcd9999' }).tracks[0].clips[0].takeId).toBe(B);
  });

  it('names the matches of an ambiguous prefix, and refuses prefixes too short to mean anything', () => {
    const { library } = seeded();
    expect(() => library.getTake('abcd1234')).toThrow(
      expect.objectContaining({
        code: 'invalid',
        message: expect.stringMatching(
          /"abcd1234" matches 2 takes: abcd1234-0000-4000-8000-000000000001 \(first\), abcd1234-0000-4000-8000-000000000002 \(second\)\. Type more of the id\./,
        ),
      }),
    );
    expect(() => library.getTake('abc')).toThrow(expect.objectContaining({ code: 'not-found' }));
    expect(() => library.getTake('ffff0000')).toThrow(
      expect.objectContaining({ code: 'not-found', message: expect.stringMatching(/not in the library/) }),
    );
    expect(() => library.saveTake(newTake({ parentId: 'ffff0000' }))).toThrow(/which this take comes from, is not in the library/);
  });

  it('works through the services, which report the full id', async () => {
    const { root, library } = seeded();
    library.close();
    const services = createServices({ dataDir: root });
    try {
      const removed: string[] = [];
      services.events.on('take.removed', ({ id }) => removed.push(id));
      expect((await services.call('takes/get', { id: 'abcd9999' })).id).toBe(B);
      expect((await services.call('takes/delete', { id: 'abcd9999' })).id).toBe(B);
      expect(removed).toEqual([B]);
      expect((await services.call('takes/restore', { id: 'abcd9999' })).id).toBe(B);
      expect((await services.call('takes/lineage', { id: 'abcd9999' })).ancestors).toEqual([]);
      await expect(services.call('takes/get', { id: 'abcd1234' })).rejects.toMatchObject({
        code: 'invalid-params',
        message: expect.stringMatching(/matches 2 takes/),
      });
    } finally {
      await services.close();
    }
  });
});
