/**
 * `npm run bench`: the engine against transformers.js on the same generated model files (guidance
 * 3, sampling with top-k 250), for every precision variant and for a torch-exported decoder.
 * Prints a table and writes bench/results.json.
 *   --quick              tiny model only
 *   --models a,b         presets to run (default tiny,small; small is generated once, ~1.7 GB fp32)
 *   --variants a,b       precision variants (default fp32,q8,fp16)
 *   --no-torch           skip the torch-exported fp32 decoder (needs Debian's python3-torch)
 *   --scenarios a,b      10s,30s,batch4 (default all)
 *   --impls a,b          engine,transformers.js (default both)
 *   --merge              keep the other models' entries already in bench/results.json
 */
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { resolveSessionFile, type ModelVariant } from '../src/main/engine/model-files';
import { CACHE, ensureModel, flag, option, ROOT } from './bench-setup';
import type { MeasureResult, Scenario, ScenarioResult } from './measure';

const presets = option('--models')?.split(',') ?? (flag('--quick') ? ['tiny'] : ['tiny', 'small']);
const variants = (option('--variants')?.split(',') ?? ['fp32', 'q8', 'fp16']) as ('fp32' | 'q8' | 'fp16')[];
const withTorch = !flag('--no-torch');

const ALL_SCENARIOS: Record<string, Scenario> = {
  '10s': { name: '10s', maxNewTokens: 500 + 3, variations: 1 },
  '30s': { name: '30s', maxNewTokens: 1500 + 3, variations: 1 },
  batch4: { name: '10s x4 batched', maxNewTokens: 500 + 3, variations: 4 },
};
const IMPLS = option('--impls')?.split(',') ?? ['engine', 'transformers.js'];
const SCENARIOS = (option('--scenarios')?.split(',') ?? Object.keys(ALL_SCENARIOS)).map((s) => ALL_SCENARIOS[s]);

interface Configuration {
  label: string;
  dir: string;
  variant: 'fp32' | 'q8' | 'fp16';
  exporter: 'generator' | 'torch';
}

/** The preset's fp32 folder with its decoder replaced by one torch.onnx.export wrote (models/torch-export). */
function ensureTorchModel(preset: string): string | undefined {
  const dir = join(CACHE, `${preset}-torch`);
  if (existsSync(join(dir, 'onnx', 'decoder_model_merged.onnx'))) return dir;
  try {
    execFileSync('/usr/bin/python3', ['-c', 'import torch, onnx'], { stdio: 'ignore' });
  } catch {
    process.stderr.write(
      'skipping the torch-exported decoder: needs python3-torch and python3-onnx (apt-get install python3-torch python3-onnx)\n',
    );
    return undefined;
  }
  const base = ensureModel(preset, 'fp32');
  process.stderr.write(`exporting a ${preset} decoder with torch.onnx.export into ${dir}…\n`);
  rmSync(dir, { recursive: true, force: true });
  cpSync(base, dir, { recursive: true, filter: (src) => !src.includes('decoder_model') });
  const out = join(dir, '.torch-export');
  execFileSync(
    '/usr/bin/python3',
    [join(ROOT, 'models', 'torch-export', 'export_decoder.py'), '--config', join(dir, 'config.json'), '--out', out],
    {
      stdio: ['ignore', 'inherit', 'inherit'],
    },
  );
  cpSync(join(out, 'onnx', 'decoder_model_merged.onnx'), join(dir, 'onnx', 'decoder_model_merged.onnx'));
  rmSync(out, { recursive: true, force: true });
  return dir;
}

/** What one generation reads: the variant's text encoder, decoder and codec decoder, with any external data. */
function modelBytes(dir: string, variant: ModelVariant): number {
  const files = (['textEncoder', 'decoder', 'codecDecoder'] as const).map((s) => resolveSessionFile(dir, s, variant)?.path);
  const decoderPair = readdirSync(join(dir, 'onnx')).filter((f) => f.startsWith('decoder_') && !f.includes('.continuo-'));
  const paths = new Set([...files.filter((f): f is string => !!f), ...(files[1] ? [] : decoderPair.map((f) => join(dir, 'onnx', f)))]);
  for (const p of [...paths]) if (existsSync(`${p}_data`)) paths.add(`${p}_data`);
  return [...paths].reduce((sum, p) => sum + statSync(p).size, 0);
}

function measureIn(impl: string, config: Configuration, scenarios: Scenario[]): MeasureResult {
  const out = execFileSync(
    process.execPath,
    ['--import', 'tsx', join(ROOT, 'bench', 'measure.ts'), impl, config.dir, config.variant, JSON.stringify(scenarios)],
    { encoding: 'utf8', maxBuffer: 1 << 24, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  return JSON.parse(out.trim().split('\n').at(-1)!) as MeasureResult;
}

/** Each scenario in a fresh process (so each has its own peak RSS); load time from the first. */
function measure(impl: string, config: Configuration): MeasureResult {
  process.stderr.write(`  ${impl}…\n`);
  const runs = SCENARIOS.map((s) => measureIn(impl, config, [s]));
  return {
    impl: runs[0].impl,
    loadMs: runs[0].loadMs,
    decoderMode: runs[0].decoderMode,
    scenarios: runs.flatMap((r) => r.scenarios),
    peakRssBytes: Math.max(...runs.map((r) => r.peakRssBytes)),
  };
}

const configurations: Configuration[] = presets.flatMap((preset) => {
  const list: Configuration[] = variants.map((variant) => ({
    label: `${preset} ${variant}`,
    dir: ensureModel(preset, variant),
    variant,
    exporter: 'generator',
  }));
  const torch = withTorch && preset !== 'tiny' ? ensureTorchModel(preset) : undefined;
  if (torch) list.push({ label: `${preset} fp32 torch-exported`, dir: torch, variant: 'fp32', exporter: 'torch' });
  return list;
});

const f1 = (n: number) => n.toFixed(1);
const gib = (n: number) => `${(n / 2 ** 30).toFixed(2)} GiB`;
const rows: string[][] = [
  [
    'model',
    'impl',
    'decoder path',
    'load s',
    'ms/step',
    'last/first',
    '10 s audio',
    '30 s audio',
    '4× batched',
    'batch4/1',
    'peak RSS',
    '/files',
  ],
];
const results: Record<string, unknown> = {
  date: new Date().toISOString(),
  machine: { cpus: (await import('node:os')).cpus().length, node: process.version },
  models: {},
};

for (const config of configurations) {
  process.stderr.write(`${config.label}:\n`);
  const bytes = modelBytes(config.dir, config.variant);
  const perImpl: Record<string, unknown> = { variant: config.variant, exporter: config.exporter, modelBytes: bytes };
  // A true first load: without the split files and stamp an earlier run left beside the model.
  for (const f of readdirSync(join(config.dir, 'onnx'))) if (f.includes('.continuo-')) rmSync(join(config.dir, 'onnx', f));
  const prepared = measureIn('prepare', config, []);
  perImpl.firstLoad = { loadMs: prepared.loadMs, peakRssBytes: prepared.peakRssBytes, decoderMode: prepared.decoderMode };
  process.stderr.write(
    `  first load (split + one-time check): ${(prepared.loadMs / 1000).toFixed(1)} s, ${JSON.stringify(prepared.decoderMode)}\n`,
  );
  for (const impl of IMPLS) {
    const r = measure(impl, config);
    const by: Record<string, ScenarioResult | undefined> = Object.fromEntries(r.scenarios.map((s) => [s.name, s]));
    const [s10, s30, batch] = [by['10s'], by['30s'], by['10s x4 batched']];
    const longest = s30 ?? s10 ?? batch!;
    const ratios = {
      lastOverFirstStep: longest.lastStepsMs / longest.firstStepsMs,
      batch4OverOne: batch && s10 ? batch.totalMs / s10.totalMs : null,
      rssOverFiles: r.peakRssBytes / bytes,
    };
    perImpl[impl] = { ...r, ratios };
    const path = r.decoderMode ? `${r.decoderMode.mode}/${r.decoderMode.cache}` : 'merged (as exported)';
    rows.push([
      config.label,
      impl,
      path,
      f1(r.loadMs / 1000),
      f1(longest.stepMeanMs),
      ratios.lastOverFirstStep.toFixed(2),
      s10 ? `${f1(s10.totalMs / 1000)} s` : '–',
      s30 ? `${f1(s30.totalMs / 1000)} s` : '–',
      batch ? `${f1(batch.totalMs / 1000)} s` : '–',
      ratios.batch4OverOne?.toFixed(2) ?? '–',
      gib(r.peakRssBytes),
      ratios.rssOverFiles.toFixed(2),
    ]);
  }
  const total = (m: MeasureResult, name: string) => m.scenarios.find((s) => s.name === name)?.totalMs;
  const e = perImpl.engine as MeasureResult;
  const t = perImpl['transformers.js'] as MeasureResult;
  const name = ['30s', '10s'].find((n) => e && t && total(e, n) && total(t, n));
  if (name) perImpl.throughputVsTransformersJs = { scenario: name, ratio: total(t, name)! / total(e, name)! };
  (results.models as Record<string, unknown>)[config.label] = perImpl;
}

const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
for (const r of rows) console.log(r.map((cell, c) => cell.padEnd(widths[c])).join('  '));
for (const [label, m] of Object.entries(
  results.models as Record<string, { throughputVsTransformersJs: { scenario: string; ratio: number } }>,
)) {
  console.log(
    `${label}: engine ${m.throughputVsTransformersJs.scenario} throughput = ${m.throughputVsTransformersJs.ratio.toFixed(2)}× transformers.js`,
  );
}
const RESULTS = join(ROOT, 'bench', 'results.json');
if (flag('--merge') && existsSync(RESULTS)) {
  const earlier = JSON.parse(readFileSync(RESULTS, 'utf8')) as { models?: Record<string, unknown> };
  results.models = { ...earlier.models, ...(results.models as Record<string, unknown>) };
}
writeFileSync(RESULTS, `${JSON.stringify(results, null, 2)}\n`);
console.log('wrote bench/results.json');
