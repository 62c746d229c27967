/**
 * One benchmark process: loads one model variant with one implementation (the engine or
 * transformers.js) and runs the scenarios, printing a JSON line. The bench gives each scenario its
 * own process, so a scenario's peak RSS is the process's.
 *   measure.ts <engine|transformers.js|prepare> <model dir> <fp32|q8|fp16> <scenarios JSON>
 */
import { AutoTokenizer, MusicgenForConditionalGeneration, env } from '@huggingface/transformers';
import { MusicgenEngine } from '../src/main/engine';

export interface Scenario {
  name: string;
  maxNewTokens: number;
  variations: number;
}

export interface ScenarioResult {
  name: string;
  totalMs: number;
  steps: number;
  stepMeanMs: number;
  stepP95Ms: number;
  runMs: number;
  /** Mean of the first and of the last 100 steps: how the step time grows with the context. */
  firstStepsMs: number;
  lastStepsMs: number;
  /** The process's peak RSS when the scenario ended. */
  peakRssBytes: number;
}

export interface MeasureResult {
  impl: 'engine' | 'transformers.js';
  loadMs: number;
  /** The engine's decoder path (mode, cache layout and why), so a silent fallback shows. */
  decoderMode?: { mode: string; cache: string; note?: string };
  scenarios: ScenarioResult[];
  peakRssBytes: number;
}

const PROMPT = 'warm lo-fi piano with vinyl crackle, 80 bpm';
const GUIDANCE = 3;

const peakRss = () => process.resourceUsage().maxRSS * 1024;

const average = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);

function stats(stepMs: number[]): { stepMeanMs: number; stepP95Ms: number; firstStepsMs: number; lastStepsMs: number } {
  const sorted = [...stepMs].sort((a, b) => a - b);
  return {
    stepMeanMs: average(stepMs),
    stepP95Ms: sorted[Math.min(sorted.length - 1, Math.floor(0.95 * sorted.length))] ?? 0,
    // Skip the prefill: it is not a step of the loop.
    firstStepsMs: average(stepMs.slice(1, 101)),
    lastStepsMs: average(stepMs.slice(-100)),
  };
}

type Variant = 'fp32' | 'q8' | 'fp16';

async function withEngine(dir: string, variant: Variant, scenarios: Scenario[]): Promise<MeasureResult> {
  const engine = await MusicgenEngine.load(dir, { device: 'cpu', variant });
  const results: ScenarioResult[] = [];
  for (const s of scenarios) {
    const started = performance.now();
    const r = await engine.generate({
      prompts: [PROMPT],
      variations: s.variations,
      maxNewTokens: s.maxNewTokens,
      guidanceScale: GUIDANCE,
      seed: 1,
    });
    const totalMs = performance.now() - started;
    results.push({
      name: s.name,
      totalMs,
      steps: r.timings.steps,
      ...stats(r.timings.stepMs),
      runMs: r.timings.decoderRunMs,
      peakRssBytes: peakRss(),
    });
  }
  const decoderMode = engine.decoderMode;
  await engine.dispose();
  return { impl: 'engine', loadMs: engine.loadMs, decoderMode, scenarios: results, peakRssBytes: peakRss() };
}

async function withTransformers(dir: string, variant: Variant, scenarios: Scenario[]): Promise<MeasureResult> {
  env.allowRemoteModels = false;
  env.localModelPath = '/';
  const loadStart = performance.now();
  const tokenizer = await AutoTokenizer.from_pretrained(dir);
  const model = await MusicgenForConditionalGeneration.from_pretrained(dir, { dtype: variant, device: 'cpu' });
  const loadMs = performance.now() - loadStart;
  // Time each decoder call: ORT's own run time, and the interval between calls (a whole step).
  const session = (model as any).sessions.decoder_model_merged;
  const originalRun = session.run.bind(session);
  let runMs = 0;
  let stepStarts: number[] = [];
  session.run = async (...args: unknown[]) => {
    stepStarts.push(performance.now());
    const t = performance.now();
    const out = await originalRun(...args);
    runMs += performance.now() - t;
    return out;
  };
  const results: ScenarioResult[] = [];
  for (const s of scenarios) {
    runMs = 0;
    stepStarts = [];
    const started = performance.now();
    const inputs = tokenizer(new Array(s.variations).fill(PROMPT), { padding: true });
    await model.generate({ ...inputs, max_new_tokens: s.maxNewTokens, do_sample: true, top_k: 250, guidance_scale: GUIDANCE });
    const totalMs = performance.now() - started;
    const stepMs = stepStarts.slice(1).map((t, i) => t - stepStarts[i]);
    results.push({ name: s.name, totalMs, steps: stepStarts.length, ...stats([0, ...stepMs]), runMs, peakRssBytes: peakRss() });
  }
  return { impl: 'transformers.js', loadMs, scenarios: results, peakRssBytes: peakRss() };
}

/** First load of a model folder: splits the decoder and checks the split once. */
async function prepare(dir: string, variant: Variant): Promise<MeasureResult> {
  const engine = await MusicgenEngine.load(dir, { device: 'cpu', variant });
  const decoderMode = engine.decoderMode;
  await engine.dispose();
  return { impl: 'engine', loadMs: engine.loadMs, decoderMode, scenarios: [], peakRssBytes: peakRss() };
}

const [impl, dir, variant, scenarioJson] = process.argv.slice(2) as [string, string, Variant, string];
const scenarios = JSON.parse(scenarioJson) as Scenario[];
const result =
  impl === 'prepare'
    ? await prepare(dir, variant)
    : impl === 'engine'
      ? await withEngine(dir, variant, scenarios)
      : await withTransformers(dir, variant, scenarios);
process.stdout.write(`${JSON.stringify(result)}\n`);
