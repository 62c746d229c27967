/**
 * `npx tsx bench/library.bench.ts [--takes 100000] [--keep]`: fills a library with 100k takes
 * (rows inserted directly through the library's own insert, with tiny placeholder audio paths:
 * search never touches the files) and times 20 different searches through `Library.listTakes`,
 * each run 5 times. Prints mean and max ms per search and overall; the target is < 50 ms.
 * A benchmark, not a test: nothing fails, it reports.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import type { TakeQuery } from '../src/shared/contract';
import { DATABASE_FILE, Library } from '../src/main/library';
import { openConnection } from '../src/main/library/connection';
import { insertTakeRecord, reindexTake, replaceTags, type TakeRecord } from '../src/main/library/takes';
import { encodeCodes } from '../src/main/library/codes';

const args = process.argv.slice(2);
const TAKES = args.includes('--takes') ? Number(args[args.indexOf('--takes') + 1]) : 100_000;
const RUNS = 5;
const TARGET_MS = 50;

// A deterministic generator (mulberry32) so every run builds the same library.
let state = 0x2545f491;
function random(): number {
  state = (state + 0x6d2b79f5) | 0;
  let t = Math.imul(state ^ (state >>> 15), 1 | state);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)];

const MOODS = [
  'warm',
  'dark',
  'dreamy',
  'uplifting',
  'melancholic',
  'gritty',
  'lush',
  'sparse',
  'driving',
  'mellow',
  'epic',
  'playful',
  'haunting',
  'bright',
  'smoky',
];
const GENRES = [
  'lo-fi',
  'techno',
  'house',
  'jazz',
  'ambient',
  'drum and bass',
  'synthwave',
  'hip hop',
  'cinematic',
  'folk',
  'funk',
  'dub',
  'trap',
  'orchestral',
  'bossa nova',
  'garage',
  'disco',
  'blues',
  'chiptune',
  'reggae',
];
const INSTRUMENTS = [
  'piano',
  'rhodes',
  'strings',
  'analog synth',
  'acoustic guitar',
  'electric bass',
  '808 drums',
  'saxophone',
  'vinyl crackle',
  'choir',
  'flute',
  'marimba',
  'pads',
  'trumpet',
  'cello',
  'harp',
  'organ',
  'kalimba',
  'arpeggiator',
  'breakbeat',
];
const EXTRAS = [
  'with tape saturation',
  'in a small room',
  'late night',
  'for a film trailer',
  'with field recordings',
  'sidechained',
  'half-time',
  'with a catchy hook',
  'minimal',
  'live feel',
  'café ambience',
  'rainy day',
  'retro 80s',
  'festival drop',
];
const TAGS = ['keeper', 'intro', 'outro', 'loop', 'draft', 'client', 'demo', 'beat', 'texture', 'vocal-idea'];
const MODELS = ['musicgen-small', 'musicgen-medium', 'musicgen-melody'];

function prompt(): string {
  const parts = [pick(MOODS), pick(GENRES), pick(INSTRUMENTS), 'and', pick(INSTRUMENTS)];
  if (random() < 0.6) parts.push(pick(EXTRAS));
  parts.push(`${70 + Math.floor(random() * 100)} bpm`);
  return parts.join(' ');
}

function fill(root: string): number {
  Library.open(root).close(); // create and migrate
  const db = openConnection(join(root, DATABASE_FILE));
  const settings = JSON.stringify({
    seconds: 10,
    maxNewTokens: 503,
    guidanceScale: 3,
    sampling: { greedy: false, temperature: 1, topK: 250, topP: 1 },
    variations: 1,
  });
  const codes = encodeCodes(Array.from({ length: 4 }, () => Array.from({ length: 500 }, () => Math.floor(random() * 2048))));
  const start = Date.parse('2023-01-01T00:00:00.000Z');
  const t0 = performance.now();
  const prompts: string[] = [];
  const BATCH = 5_000;
  const ids: string[] = [];
  for (let done = 0; done < TAKES; done += BATCH) {
    db.transaction(() => {
      for (let i = done; i < Math.min(TAKES, done + BATCH); i++) {
        // Variations and continuations reuse prompts, as in real use.
        const text = prompts.length > 0 && random() < 0.3 ? pick(prompts) : prompt();
        if (prompts.length < 20_000) prompts.push(text);
        const id = randomUUID();
        const createdAt = new Date(start + i * 60_000).toISOString();
        const parentId = ids.length > 0 && random() < 0.2 ? ids[ids.length - 1 - Math.floor(random() * Math.min(50, ids.length))] : null;
        const record: TakeRecord = {
          id,
          kind: parentId ? 'continue' : 'generate',
          music: null,
          prompt: text,
          title: random() < 0.1 ? `${pick(MOODS)} ${pick(INSTRUMENTS)} idea` : null,
          modelId: pick(MODELS),
          modelVariant: 'fp16',
          device: 'cpu',
          seed: Math.floor(random() * 0xffffffff),
          settings,
          audioPath: `audio/${createdAt.slice(0, 7)}/${id}.wav`,
          sampleRate: 32000,
          channels: 1,
          samples: 320_000,
          codes,
          codeFrames: 500,
          contextFrames: parentId ? 250 : 0,
          parentId,
          regionStart: parentId ? 5 : null,
          regionEnd: parentId ? 10 : null,
          edits: null,
          createdAt,
        };
        insertTakeRecord(db, record);
        if (random() < 0.15) {
          replaceTags(db, id, [...new Set([pick(TAGS), pick(TAGS)])].sort());
          reindexTake(db, id);
        }
        if (random() < 0.05) db.prepare('UPDATE takes SET favourite = 1 WHERE id = ?').run(id);
        if (random() < 0.02) db.prepare('UPDATE takes SET deleted_at = ? WHERE id = ?').run(createdAt, id);
        ids.push(id);
      }
    })();
  }
  db.pragma('optimize');
  db.close();
  return performance.now() - t0;
}

const SEARCHES: { name: string; query: TakeQuery }[] = [
  { name: 'list newest (no search)', query: {} },
  { name: '"piano"', query: { search: 'piano' } },
  { name: '"lo pia" (prefixes)', query: { search: 'lo pia' } },
  { name: '"p" (1-letter prefix)', query: { search: 'p' } },
  { name: '"warm lo-fi piano"', query: { search: 'warm lo-fi piano' } },
  { name: '"dark techno 808"', query: { search: 'dark techno 808' } },
  { name: '"synth" + favourite', query: { search: 'synth', favourite: true } },
  { name: '"jazz sax" page 3', query: { search: 'jazz sax', offset: 100 } },
  { name: '"ambient pads rainy"', query: { search: 'ambient pads rainy' } },
  { name: '"120 bpm"', query: { search: '120 bpm' } },
  { name: 'tag keeper', query: { tag: 'keeper' } },
  { name: 'tag intro + "house"', query: { search: 'house', tag: 'intro' } },
  { name: 'favourites', query: { favourite: true } },
  { name: 'model medium', query: { modelId: 'musicgen-medium' } },
  { name: 'model melody + "strings"', query: { search: 'strings', modelId: 'musicgen-melody' } },
  { name: 'trash', query: { trash: true } },
  { name: "special chars '\"(piano* -AND)'", query: { search: '"(piano* -AND)' } },
  { name: 'title words "idea"', query: { search: 'idea' } },
  { name: 'no match "zzzz"', query: { search: 'zzzz' } },
  { name: 'deep page (offset 5000)', query: { offset: 5000, limit: 100 } },
];

function main(): void {
  const root = mkdtempSync(join(tmpdir(), 'continuo-library-bench-'));
  try {
    process.stdout.write(`Filling a library with ${TAKES.toLocaleString('en')} takes in ${root}…\n`);
    const fillMs = fill(root);
    process.stdout.write(
      `  inserted in ${(fillMs / 1000).toFixed(1)} s (${Math.round(TAKES / (fillMs / 1000)).toLocaleString('en')} takes/s)\n\n`,
    );

    const library = Library.open(root);
    const all: number[] = [];
    const rows: string[] = [];
    for (const { name, query } of SEARCHES) {
      const times: number[] = [];
      let result = library.listTakes(query);
      for (let r = 0; r < RUNS; r++) {
        const t = performance.now();
        result = library.listTakes(query);
        times.push(performance.now() - t);
      }
      all.push(...times);
      const mean = times.reduce((a, b) => a + b, 0) / times.length;
      const max = Math.max(...times);
      rows.push(
        `${name.padEnd(36)} ${mean.toFixed(2).padStart(8)} ${max.toFixed(2).padStart(8)} ${String(result.total).padStart(8)} ${String(result.takes.length).padStart(5)}${max > TARGET_MS ? '  over target' : ''}`,
      );
    }
    library.close();
    process.stdout.write(
      `${'search'.padEnd(36)} ${'mean ms'.padStart(8)} ${'max ms'.padStart(8)} ${'total'.padStart(8)} ${'rows'.padStart(5)}\n`,
    );
    process.stdout.write(`${rows.join('\n')}\n\n`);
    const mean = all.reduce((a, b) => a + b, 0) / all.length;
    const max = Math.max(...all);
    process.stdout.write(
      `overall: mean ${mean.toFixed(2)} ms, max ${max.toFixed(2)} ms over ${all.length} searches (target < ${TARGET_MS} ms per search): ${max < TARGET_MS ? 'met' : 'NOT met'}\n`,
    );
  } finally {
    if (!args.includes('--keep')) rmSync(root, { recursive: true, force: true });
  }
}

main();
