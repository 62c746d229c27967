/**
 * `npm run bench`: the engine against transformers.js on the same generated models (guidance 3,
 * sampling with top-k 250). Prints a table and writes bench/results.json.
 *   --quick          tiny model only
 *   --models a,b     presets to run (default tiny,small; small is generated once, ~1.7 GB)
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateTestModel } from '../models/generator';
import type { MeasureResult, Scenario } from './measure';

const ROOT = join(import.meta.dirname, '..');
const CACHE = join(ROOT, '.cache', 'bench-models');
const args = process.argv.slice(2);
const modelsArg = args.includes('--models') ? args[args.indexOf('--models') + 1] : undefined;
const presets = modelsArg ? modelsArg.split(',') : args.includes('--quick') ? ['tiny'] : ['tiny', 'small'];

const SCENARIOS: Scenario[] = [
  { name: '10s', maxNewTokens: 500 + 3, variations: 1 },
  { name: '30s', maxNewTokens: 1500 + 3, variations: 1 },
  { name: '10s x4 batched', maxNewTokens: 500 + 3, variations: 4 },
];

function ensureModel(preset: string): string {
  const dir = join(CACHE, preset);
  if (!existsSync(join(dir, 'config.json'))) {
    process.stderr.write(`generating the ${preset} test model in ${dir}…\n`);
    generateTestModel(dir, { preset });
  }
  return dir;
}

function onnxBytes(dir: string): number {
  return readdirSync(join(dir, 'onnx'))
    .filter((f) => f !== 'encodec_encoder.onnx' && !f.includes('.continuo-'))
    .reduce((sum, f) => sum + statSync(join(dir, 'onnx', f)).size, 0);
}

function measureIn(impl: string, dir: string, scenarios: Scenario[]): MeasureResult {
  const out = execFileSync(process.execPath, ['--import', 'tsx', join(ROOT, 'bench', 'measure.ts'), impl, dir, JSON.stringify(scenarios)], {
    encoding: 'utf8',
    maxBuffer: 1 << 24,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return JSON.parse(out.trim().split('\n').at(-1)!) as MeasureResult;
}

/** Each scenario in a fresh process (so each has its own peak RSS); load time from the first. */
function measure(impl: string, dir: string): MeasureResult {
  process.stderr.write(`  ${impl}…\n`);
  const runs = SCENARIOS.map((s) => measureIn(impl, dir, [s]));
  return { impl: runs[0].impl, loadMs: runs[0].loadMs, scenarios: runs.flatMap((r) => r.scenarios), peakRssBytes: Math.max(...runs.map((r) => r.peakRssBytes)) };
}

const f1 = (n: number) => n.toFixed(1);
const rows: string[][] = [['model', 'impl', 'load s', 'ms/step mean', 'p95', 'step/run', '10 s audio', '30 s audio', '4× batched', 'batch4/1', 'RSS 30 s', '/files', 'RSS 4×', '/files']];
const results: Record<string, unknown> = { date: new Date().toISOString(), machine: { cpus: (await import('node:os')).cpus().length, node: process.version }, models: {} };

for (const preset of presets) {
  process.stderr.write(`${preset}:\n`);
  const dir = ensureModel(preset);
  const bytes = onnxBytes(dir);
  const perImpl: Record<string, unknown> = {};
  // A true first load: without the split files and stamp an earlier run left beside the model.
  for (const f of readdirSync(join(dir, 'onnx'))) if (f.includes('.continuo-')) rmSync(join(dir, 'onnx', f));
  const prepared = measureIn('prepare', dir, []);
  perImpl.firstLoad = { loadMs: prepared.loadMs, peakRssBytes: prepared.peakRssBytes };
  process.stderr.write(`  first load (split + one-time check): ${(prepared.loadMs / 1000).toFixed(1)} s\n`);
  for (const impl of ['engine', 'transformers.js']) {
    const r = measure(impl, dir);
    const by = Object.fromEntries(r.scenarios.map((s) => [s.name, s]));
    const s30 = by['30s'];
    const ratio = {
      stepOverRun: s30.stepMeanMs * s30.steps / s30.runMs,
      batch4OverOne: by['10s x4 batched'].totalMs / by['10s'].totalMs,
      rssOverFiles30s: s30.peakRssBytes / bytes,
      rssOverFilesBatch4: by['10s x4 batched'].peakRssBytes / bytes,
    };
    perImpl[impl] = { ...r, ratios: ratio };
    rows.push([
      preset,
      impl,
      f1(r.loadMs / 1000),
      f1(s30.stepMeanMs),
      f1(s30.stepP95Ms),
      ratio.stepOverRun.toFixed(3),
      `${f1(by['10s'].totalMs / 1000)} s`,
      `${f1(s30.totalMs / 1000)} s`,
      `${f1(by['10s x4 batched'].totalMs / 1000)} s`,
      ratio.batch4OverOne.toFixed(2),
      `${(s30.peakRssBytes / 2 ** 30).toFixed(2)} GiB`,
      ratio.rssOverFiles30s.toFixed(2),
      `${(by['10s x4 batched'].peakRssBytes / 2 ** 30).toFixed(2)} GiB`,
      ratio.rssOverFilesBatch4.toFixed(2),
    ]);
  }
  const e = perImpl.engine as MeasureResult & { ratios: Record<string, number> };
  const t = perImpl['transformers.js'] as MeasureResult;
  const thirty = (m: MeasureResult) => m.scenarios.find((s) => s.name === '30s')!.totalMs;
  (results.models as Record<string, unknown>)[preset] = { modelBytes: bytes, ...perImpl, throughputVsTransformersJs30s: thirty(t) / thirty(e) };
}

const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
for (const r of rows) console.log(r.map((cell, c) => cell.padEnd(widths[c])).join('  '));
for (const [preset, m] of Object.entries(results.models as Record<string, { throughputVsTransformersJs30s: number }>)) {
  console.log(`${preset}: engine 30 s throughput = ${m.throughputVsTransformersJs30s.toFixed(2)}× transformers.js`);
}
writeFileSync(join(ROOT, 'bench', 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
console.log('wrote bench/results.json');
