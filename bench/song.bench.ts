/**
 * `npm run bench:song`: what a song's structure costs. The same length of music is made once as a
 * plain long generation (jobs/generate, windows of 30 s) and once as a song of sections (jobs/song:
 * each section re-reads up to 30 s of context with its own prompt), through the services as the
 * studio runs them; the difference is the price of sections. Target: a song costs at most 1.3× the
 * plain generation of its length. Writes bench/song-results.json.
 *   --models a,b    presets (default tiny; `small` is musicgen-small's dimensions, generated once, ~1.7 GB)
 *   --sections N    sections of 8 bars at 120 bpm, 16 s each (default 4: 64 s)
 *   --runs N        alternating pairs (default 1; the medians are reported)
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureModel, median, option, ROOT } from './bench-setup';
import { createServices, type Services } from '../src/main/services';
import type { Job } from '../src/shared/contract';

const presets = option('--models')?.split(',') ?? ['tiny'];
const sections = Number(option('--sections') ?? 4);
const runs = Number(option('--runs') ?? 1);

async function timed(services: Services, run: () => Promise<Job>): Promise<{ ms: number; job: Job }> {
  const started = performance.now();
  const queued = await run();
  const job = await new Promise<Job>((resolve) => {
    const off = services.events.on('job.updated', (j) => {
      if (j.id === queued.id && ['done', 'failed', 'cancelled'].includes(j.status)) {
        off();
        resolve(j);
      }
    });
  });
  if (job.status !== 'done') throw new Error(`${job.kind} ${job.status}: ${job.error?.message}`);
  return { ms: performance.now() - started, job };
}

const results = [];
for (const preset of presets) {
  const dataDir = mkdtempSync(join(tmpdir(), 'continuo-bench-song-'));
  const services = createServices({ dataDir, session: { model: ensureModel(preset), device: 'cpu' }, calibrateAfterInstall: false });
  try {
    const seconds = sections * 16;
    const plan = {
      prompt: 'warm lo-fi hip hop, dusty drums, rhodes',
      tempoBpm: 120,
      sections: Array.from({ length: sections }, (_, i) => ({
        name: `Part ${i + 1}`,
        prompt: i % 2 ? 'fuller, drums' : 'sparse',
        bars: 8,
      })),
      seed: 1,
    };
    await timed(services, () => services.call('jobs/generate', { prompt: 'warm up', seconds: 1, seed: 1 }));
    const plain: number[] = [];
    const song: number[] = [];
    let steps = { plain: 0, song: 0 };
    for (let run = 0; run < runs; run++) {
      const a = await timed(services, () => services.call('jobs/generate', { prompt: plan.prompt, seconds, seed: 1 }));
      const b = await timed(services, () => services.call('jobs/song', plan));
      plain.push(a.ms);
      song.push(b.ms);
      steps = { plain: a.job.result?.timings.steps ?? 0, song: b.job.result?.timings.steps ?? 0 };
    }
    const row = {
      preset,
      seconds,
      sections,
      runs,
      plainMs: Math.round(median(plain)),
      songMs: Math.round(median(song)),
      ratio: Math.round((median(song) / median(plain)) * 100) / 100,
      steps,
    };
    results.push(row);
    console.log(
      `${preset.padEnd(6)} ${seconds} s: plain ${row.plainMs} ms (${steps.plain} steps), song of ${sections} sections ${row.songMs} ms (${steps.song} steps): ${row.ratio}×`,
    );
  } finally {
    await services.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
// Rows of presets not run this time are kept, so a quick tiny run does not erase a long small one.
const file = join(ROOT, 'bench', 'song-results.json');
const earlier: { preset: string }[] = existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')).results : [];
const merged = [
  ...earlier.filter((row) => !presets.includes(row.preset)),
  ...results.map((row) => ({ ...row, measuredAt: new Date().toISOString() })),
];
writeFileSync(file, `${JSON.stringify({ machine: '2 CPU cores, onnxruntime-node CPU', results: merged }, null, 2)}\n`);
