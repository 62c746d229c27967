/**
 * One benchmark process: loads one model with one implementation (the engine or transformers.js)
 * and runs the scenarios, printing a JSON line. The bench gives each scenario its own process, so
 * a scenario's peak RSS is the process's.
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
  /** The process's peak RSS when the scenario ended. */
  peakRssBytes: number;
}

export interface MeasureResult {
  impl: 'engine' | 'transformers.js';
  loadMs: number;
  scenarios: ScenarioResult[];
  peakRssBytes: number;
}

const PROMPT = 'warm lo-fi piano with vinyl crackle, 80 bpm';
const GUIDANCE = 3;

const peakRss = () => process.resourceUsage().maxRSS * 1024;

function stats(stepMs: number[]): { mean: number; p95: number } {
  const sorted = [...stepMs].sort((a, b) => a - b);
  const mean = stepMs.reduce((a, b) => a + b, 0) / Math.max(1, stepMs.length);
  return { mean, p95: sorted[Math.min(sorted.length - 1, Math.floor(0.95 * sorted.length))] ?? 0 };
}

async function withEngine(dir: string, scenarios: Scenario[]): Promise<MeasureResult> {
  const engine = await MusicgenEngine.load(dir, { device: 'cpu' });
  const results: ScenarioResult[] = [];
  for (const s of scenarios) {
    const started = performance.now();
    const r = await engine.generate({ prompts: [PROMPT], variations: s.variations, maxNewTokens: s.maxNewTokens, guidanceScale: GUIDANCE, seed: 1 });
    const { mean, p95 } = stats(r.timings.stepMs);
    results.push({ name: s.name, totalMs: performance.now() - started, steps: r.timings.steps, stepMeanMs: mean, stepP95Ms: p95, runMs: r.timings.decoderRunMs, peakRssBytes: peakRss() });
  }
  await engine.dispose();
  return { impl: 'engine', loadMs: engine.loadMs, scenarios: results, peakRssBytes: peakRss() };
}

async function withTransformers(dir: string, scenarios: Scenario[]): Promise<MeasureResult> {
  env.allowRemoteModels = false;
  env.localModelPath = '/';
  const loadStart = performance.now();
  const tokenizer = await AutoTokenizer.from_pretrained(dir);
  const model = await MusicgenForConditionalGeneration.from_pretrained(dir, { dtype: 'fp32', device: 'cpu' });
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
    const { mean, p95 } = stats(stepMs);
    results.push({ name: s.name, totalMs, steps: stepStarts.length, stepMeanMs: mean, stepP95Ms: p95, runMs, peakRssBytes: peakRss() });
  }
  return { impl: 'transformers.js', loadMs, scenarios: results, peakRssBytes: peakRss() };
}

/** First load of a model folder: splits the merged decoder and checks the split once. */
async function prepare(dir: string): Promise<MeasureResult> {
  const engine = await MusicgenEngine.load(dir, { device: 'cpu' });
  await engine.dispose();
  return { impl: 'engine', loadMs: engine.loadMs, scenarios: [], peakRssBytes: peakRss() };
}

const [impl, dir, scenarioJson] = process.argv.slice(2);
const scenarios = JSON.parse(scenarioJson) as Scenario[];
const result = impl === 'prepare' ? await prepare(dir) : impl === 'engine' ? await withEngine(dir, scenarios) : await withTransformers(dir, scenarios);
process.stdout.write(`${JSON.stringify(result)}\n`);
