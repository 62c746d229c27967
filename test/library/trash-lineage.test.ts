import { existsSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { newTake, openLibrary, steppingClock, tempRoot } from './helpers';

describe('trash', () => {
  it('trashes, restores and keeps trashed takes gettable', () => {
    const clock = steppingClock();
    const library = openLibrary(undefined, { now: clock });
    const take = library.saveTake(newTake());
    const trashed = library.trashTake(take.id);
    expect(trashed.deletedAt).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(library.getTake(take.id).deletedAt).toBe(trashed.deletedAt);
    // Trashing twice keeps the first time.
    expect(library.trashTake(take.id).deletedAt).toBe(trashed.deletedAt);
    expect(existsSync(library.audioPath(take.id))).toBe(true);

    expect(library.restoreTake(take.id).deletedAt).toBeNull();
    expect(library.listTakes({}).total).toBe(1);
    expect(() => library.trashTake('missing')).toThrow(expect.objectContaining({ code: 'not-found' }));
    expect(() => library.restoreTake('missing')).toThrow(expect.objectContaining({ code: 'not-found' }));
  });

  it('empties the trash: rows, tags, search entries and files go; children live on without a parent', () => {
    const root = tempRoot();
    const library = openLibrary(root, { now: steppingClock() });
    const parent = library.saveTake(newTake({ prompt: 'only in the parent' }));
    const child = library.saveTake(
      newTake({ kind: 'continue', prompt: 'shared prompt', parentId: parent.id, contextFrames: 2, region: { start: 0, end: 0.01 } }),
    );
    const keep = library.saveTake(newTake({ prompt: 'shared prompt' }));
    library.updateTake(parent.id, { tags: ['gone'] });
    const parentFile = library.audioPath(parent.id);

    library.trashTake(parent.id);
    expect(library.emptyTrash()).toEqual([parent.id]);
    expect(library.emptyTrash()).toEqual([]);

    expect(existsSync(parentFile)).toBe(false);
    expect(() => library.getTake(parent.id)).toThrow(/not in the library \(it may have been removed from the trash\)/);
    const orphaned = library.getTake(child.id);
    expect(orphaned.parentId).toBeNull();
    expect(orphaned.region).toEqual({ start: 0, end: 0.01 });
    expect(existsSync(library.audioPath(child.id))).toBe(true);
    expect(library.lineage(child.id).ancestors).toEqual([]);
    expect(library.listTakes({ search: 'parent' }).total).toBe(0);
    expect(library.listTakes({}).takes.map((t) => t.id)).toEqual([keep.id, child.id]);
    expect(library.tagCounts()).toEqual([]);

    library.close();
    const db = new Database(join(root, 'library.sqlite'), { readonly: true });
    expect(db.prepare('SELECT text FROM prompts').all()).toEqual([{ text: 'shared prompt' }]);
    expect(db.prepare('SELECT count(*) AS n FROM take_tags').get()).toEqual({ n: 0 });
    expect(db.prepare('SELECT count(*) AS n FROM takes_fts').get()).toEqual({ n: 2 });
    expect(db.prepare('SELECT count(*) AS n FROM take_codes').get()).toEqual({ n: 2 });
    db.close();
  });
});

describe('lineage', () => {
  it('walks a 3-deep continuation chain: ancestors root first, descendants in creation order', () => {
    const library = openLibrary(undefined, { now: steppingClock() });
    const root = library.saveTake(newTake({ prompt: 'root' }));
    const child = library.saveTake(newTake({ kind: 'continue', prompt: 'child', parentId: root.id, contextFrames: 1 }));
    const grandchild = library.saveTake(newTake({ kind: 'continue', prompt: 'grandchild', parentId: child.id, contextFrames: 1 }));
    const sibling = library.saveTake(newTake({ kind: 'edit', prompt: 'sibling', parentId: root.id, codes: null }));
    const great = library.saveTake(newTake({ kind: 'continue', prompt: 'great-grandchild', parentId: grandchild.id, contextFrames: 1 }));
    library.saveTake(newTake({ prompt: 'unrelated' }));

    const ofGrandchild = library.lineage(grandchild.id);
    expect(ofGrandchild.ancestors.map((t) => t.prompt)).toEqual(['root', 'child']);
    expect(ofGrandchild.descendants.map((t) => t.prompt)).toEqual(['great-grandchild']);

    const ofRoot = library.lineage(root.id);
    expect(ofRoot.ancestors).toEqual([]);
    expect(ofRoot.descendants.map((t) => t.id)).toEqual([child.id, grandchild.id, sibling.id, great.id]);

    expect(library.lineage(great.id).ancestors.map((t) => t.id)).toEqual([root.id, child.id, grandchild.id]);
    expect(library.lineage(great.id).descendants).toEqual([]);

    // Trashed takes stay in the chain (marked by deletedAt) until the trash is emptied.
    library.trashTake(child.id);
    expect(library.lineage(grandchild.id).ancestors.map((t) => [t.prompt, t.deletedAt !== null])).toEqual([
      ['root', false],
      ['child', true],
    ]);
    expect(() => library.lineage('missing')).toThrow(expect.objectContaining({ code: 'not-found' }));
  });
});
