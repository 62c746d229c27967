import { describe, expect, it } from 'vitest';
import type { Library } from '../../src/main/library';
import { searchTerms, toFtsQuery } from '../../src/main/library/search';
import { newTake, openLibrary, steppingClock } from './helpers';

describe('toFtsQuery', () => {
  it('quotes each word as a prefix term and drops FTS5 syntax', () => {
    expect(toFtsQuery('lo pia')).toBe('"lo"* "pia"*');
    expect(toFtsQuery('lo-fi')).toBe('"lo"* "fi"*');
    expect(toFtsQuery('"piano*" AND (drums) -bass NEAR/2 prompt:x')).toBe('"piano"* "AND"* "drums"* "bass"* "NEAR"* "2"* "prompt"* "x"*');
    expect(toFtsQuery('café 808')).toBe('"café"* "808"*');
    expect(toFtsQuery('')).toBeNull();
    expect(toFtsQuery('  "*()-^:  ')).toBeNull();
    expect(toFtsQuery(undefined)).toBeNull();
  });

  it('bounds the number of terms', () => {
    expect(searchTerms(Array.from({ length: 100 }, (_, i) => `w${i}`).join(' '))).toHaveLength(16);
  });
});

function seed(library: Library) {
  const piano = library.saveTake(newTake({ prompt: 'warm lo-fi piano with vinyl crackle' }));
  const techno = library.saveTake(newTake({ prompt: 'dark techno, 130 bpm', modelId: 'musicgen-medium' }));
  const strings = library.saveTake(newTake({ prompt: 'cinematic strings (slow build)' }));
  const jazz = library.saveTake(newTake({ prompt: 'smoky jazz piano trio' }));
  const café = library.saveTake(newTake({ prompt: 'Café accordion, "Paris" mood' }));
  library.updateTake(techno.id, { title: 'Warehouse', tags: ['club', 'dark'] });
  library.updateTake(strings.id, { tags: ['film-score'], favourite: true });
  library.updateTake(jazz.id, { favourite: true, tags: ['club'] });
  return { piano, techno, strings, jazz, café };
}

const ids = (r: { takes: { id: string }[] }) => r.takes.map((t) => t.id);

describe('listTakes', () => {
  it('lists newest first with totals', () => {
    const library = openLibrary(undefined, { now: steppingClock() });
    const t = seed(library);
    const all = library.listTakes({});
    expect(all.total).toBe(5);
    expect(ids(all)).toEqual([t.café.id, t.jazz.id, t.strings.id, t.techno.id, t.piano.id]);
  });

  it('finds by word prefixes, all words required', () => {
    const library = openLibrary(undefined, { now: steppingClock() });
    const t = seed(library);
    expect(ids(library.listTakes({ search: 'lo pia' }))).toEqual([t.piano.id]);
    expect(ids(library.listTakes({ search: 'piano' }))).toEqual([t.jazz.id, t.piano.id]);
    expect(ids(library.listTakes({ search: 'PIA' }))).toEqual([t.jazz.id, t.piano.id]);
    expect(ids(library.listTakes({ search: 'piano jazz' }))).toEqual([t.jazz.id]);
    expect(ids(library.listTakes({ search: 'piano techno' }))).toEqual([]);
    expect(ids(library.listTakes({ search: '130' }))).toEqual([t.techno.id]);
  });

  it('searches titles and tags too', () => {
    const library = openLibrary(undefined, { now: steppingClock() });
    const t = seed(library);
    expect(ids(library.listTakes({ search: 'wareh' }))).toEqual([t.techno.id]);
    expect(ids(library.listTakes({ search: 'club' }))).toEqual([t.jazz.id, t.techno.id]);
    expect(ids(library.listTakes({ search: 'film score' }))).toEqual([t.strings.id]);
    // The index follows updates: a removed tag no longer matches, a new title does.
    library.updateTake(t.jazz.id, { tags: [], title: 'Late set' });
    expect(ids(library.listTakes({ search: 'club' }))).toEqual([t.techno.id]);
    expect(ids(library.listTakes({ search: 'late' }))).toEqual([t.jazz.id]);
  });

  it('never throws on characters FTS5 treats specially', () => {
    const library = openLibrary(undefined, { now: steppingClock() });
    const t = seed(library);
    const awkward = [
      '"',
      '""',
      '"paris',
      '*',
      'pia*',
      '-',
      '-techno',
      '(',
      '(slow',
      'slow)',
      'AND',
      'OR',
      'NOT',
      'NEAR',
      'piano AND',
      'a:b',
      '^',
      '+',
      "'",
      '\\',
      '{',
      '}',
      '[',
      '%',
      '_',
      'dark OR',
      'techno NOT jazz',
      '\u0000',
      '🎹',
    ];
    for (const search of awkward) expect(() => library.listTakes({ search }), search).not.toThrow();
    expect(ids(library.listTakes({ search: '"paris"' }))).toEqual([t.café.id]);
    expect(ids(library.listTakes({ search: '(slow' }))).toEqual([t.strings.id]);
    expect(ids(library.listTakes({ search: 'pia*' }))).toEqual([t.jazz.id, t.piano.id]);
    expect(ids(library.listTakes({ search: '-techno' }))).toEqual([t.techno.id]);
    // AND is a plain word, required like any other, and no take has a word starting with "and".
    expect(library.listTakes({ search: 'piano AND' }).total).toBe(0);
    expect(ids(library.listTakes({ search: 'cafe' }))).toEqual([t.café.id]);
    // Empty or blank: no filter.
    expect(library.listTakes({ search: '' }).total).toBe(5);
    expect(library.listTakes({ search: '   ' }).total).toBe(5);
  });

  it('matches text without a searchable word literally, instead of returning every take', () => {
    const library = openLibrary(undefined, { now: steppingClock() });
    const t = seed(library);
    const keys = library.saveTake(newTake({ prompt: 'toy piano 🎹 lullaby' }));
    // Nothing in the library contains these: nothing is found (it used to list all six takes).
    for (const search of ['"*()', '🎸', '^', '\u0000', '+', '{}'])
      expect(library.listTakes({ search }), JSON.stringify(search)).toEqual({ takes: [], total: 0 });
    // The emoji, the quote and the hyphen are found where they are typed: prompt, title or tag.
    expect(ids(library.listTakes({ search: '🎹' }))).toEqual([keys.id]);
    expect(ids(library.listTakes({ search: ' 🎹 ' }))).toEqual([keys.id]);
    expect(ids(library.listTakes({ search: '"' }))).toEqual([t.café.id]);
    expect(ids(library.listTakes({ search: '-' }))).toEqual([t.strings.id, t.piano.id]); // tag film-score, prompt lo-fi
    expect(ids(library.listTakes({ search: '(' }))).toEqual([t.strings.id]);
    library.updateTake(t.jazz.id, { title: 'Set #2' });
    expect(ids(library.listTakes({ search: '#' }))).toEqual([t.jazz.id]);
    // Filters and paging still apply.
    expect(library.listTakes({ search: '-', favourite: true }).total).toBe(1);
    expect(library.listTakes({ search: '-', limit: 1 })).toMatchObject({ total: 2, takes: [{ id: t.strings.id }] });
    library.trashTake(t.piano.id);
    expect(ids(library.listTakes({ search: '-' }))).toEqual([t.strings.id]);
    expect(ids(library.listTakes({ search: '-', trash: true }))).toEqual([t.piano.id]);
  });

  it('filters by favourite, tag and model, combined with search', () => {
    const library = openLibrary(undefined, { now: steppingClock() });
    const t = seed(library);
    expect(ids(library.listTakes({ favourite: true }))).toEqual([t.jazz.id, t.strings.id]);
    expect(library.listTakes({ favourite: false }).total).toBe(3);
    expect(ids(library.listTakes({ tag: 'club' }))).toEqual([t.jazz.id, t.techno.id]);
    expect(ids(library.listTakes({ tag: ' CLUB ' }))).toEqual([t.jazz.id, t.techno.id]);
    expect(ids(library.listTakes({ tag: 'club', favourite: true }))).toEqual([t.jazz.id]);
    expect(ids(library.listTakes({ modelId: 'musicgen-medium' }))).toEqual([t.techno.id]);
    expect(ids(library.listTakes({ search: 'piano', favourite: true }))).toEqual([t.jazz.id]);
    expect(library.listTakes({ tag: 'nothing' })).toEqual({ takes: [], total: 0 });
  });

  it('pages with limit/offset and reports the total of all matches', () => {
    const library = openLibrary(undefined, { now: steppingClock() });
    const made = Array.from({ length: 23 }, (_, i) =>
      library.saveTake(newTake({ prompt: i % 2 ? `odd groove ${i}` : `even groove ${i}` })),
    );
    const newest = [...made].reverse().map((t) => t.id);
    const page1 = library.listTakes({ limit: 10, offset: 0 });
    const page3 = library.listTakes({ limit: 10, offset: 20 });
    expect(page1.total).toBe(23);
    expect(ids(page1)).toEqual(newest.slice(0, 10));
    expect(ids(page3)).toEqual(newest.slice(20));
    expect(library.listTakes({ limit: 10, offset: 30 })).toEqual({ takes: [], total: 23 });

    const odd = library.listTakes({ search: 'odd', limit: 5, offset: 5 });
    expect(odd.total).toBe(11);
    expect(odd.takes.map((t) => t.prompt)).toEqual(['odd groove 11', 'odd groove 9', 'odd groove 7', 'odd groove 5', 'odd groove 3']);
    expect(() => library.listTakes({ limit: 0 })).toThrow(expect.objectContaining({ code: 'invalid' }));
    expect(() => library.listTakes({ limit: 501 })).toThrow(expect.objectContaining({ code: 'invalid' }));
  });

  it('excludes the trash unless asked for it', () => {
    const library = openLibrary(undefined, { now: steppingClock() });
    const t = seed(library);
    library.trashTake(t.piano.id);
    expect(ids(library.listTakes({ search: 'piano' }))).toEqual([t.jazz.id]);
    expect(ids(library.listTakes({ trash: true }))).toEqual([t.piano.id]);
    expect(ids(library.listTakes({ trash: true, search: 'piano' }))).toEqual([t.piano.id]);
    expect(library.listTakes({}).total).toBe(4);
  });
});
