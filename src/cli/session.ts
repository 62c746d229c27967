/**
 * What `generate` and `continue` share: picking and loading the model, Ctrl-C as cancel, running
 * the engine with a progress line, writing the takes and reporting them.
 */
import { MusicgenEngine, type Codes, type GenerateResult } from '../main/engine';
import { Library } from '../main/library';
import { resolveModel, type InstalledModel } from '../main/models/installed';
import { framesToSeconds } from '../shared/units';
import { pullCommand } from '../shared/cli-command';
import { CliError } from './errors';
import { buildRequest, chooseVariant, type GenerationFlags } from './generation-options';
import { progressPrinter, round, timingsJson, writeTakes } from './output';

export const TEST_MODEL_NOTICE =
  'Using Continuo\'s built-in test model: it has random weights and makes noise, not music. ' +
  `For music, download MusicGen once (CC-BY-NC 4.0, non-commercial): ${pullCommand('musicgen-small')}`;

export interface LoadedModel {
  engine: MusicgenEngine;
  model: InstalledModel;
}

export async function loadModel(flags: GenerationFlags, dataDir: string): Promise<LoadedModel> {
  const model = resolveModel(dataDir, flags.model);
  if (model.isTestModel) process.stderr.write(`note: ${TEST_MODEL_NOTICE}\n`);
  const engine = await MusicgenEngine.load(model.dir, { device: flags.device, variant: chooseVariant(model.dir, flags.variant), threads: flags.threads });
  return { engine, model };
}

/** An AbortSignal that fires on the first Ctrl-C; a second Ctrl-C exits at once. */
export function interruptSignal(): { signal: AbortSignal; dispose: () => void } {
  const controller = new AbortController();
  const onInt = () => {
    if (controller.signal.aborted) process.exit(130);
    process.stderr.write('\nCancelling after the current step…\n');
    controller.abort();
  };
  process.on('SIGINT', onInt);
  return { signal: controller.signal, dispose: () => process.off('SIGINT', onInt) };
}

export async function runGeneration(
  loaded: LoadedModel,
  flags: GenerationFlags,
  options: {
    defaultSeconds: number;
    dataDir: string;
    context?: Codes;
    label: string;
    extra?: Record<string, unknown>;
    /** The library take this continues, and the region it continues from. */
    parent?: { id: string; region: { start: number; end: number } };
  },
): Promise<GenerateResult> {
  const { engine, model } = loaded;
  if (!flags.out && !flags.save) throw new CliError('Nothing would be kept: give --out FILE.wav, or drop --no-save.', 2);
  const request = { ...buildRequest(flags, engine.spec, options.defaultSeconds), context: options.context };
  const interrupt = interruptSignal();
  const progress = progressPrinter(flags.progress ? 'lines' : process.stderr.isTTY ? 'tty' : 'off', options.label);
  let result: GenerateResult;
  try {
    result = await engine.generate(request, { signal: interrupt.signal, onProgress: progress.onProgress });
  } finally {
    progress.done();
    interrupt.dispose();
  }
  for (const warning of result.warnings) process.stderr.write(`warning: ${warning}\n`);
  const paths = flags.out ? writeTakes(result.takes, flags.out, flags.format) : [];
  const takeIds = flags.save ? saveToLibrary(options.dataDir, result, loaded, options) : [];
  report(result, paths, takeIds, loaded, model, flags, options.extra ?? {});
  return result;
}

/** Keeps every take in the library, as the studio does, so it shows up in its history. */
function saveToLibrary(dataDir: string, result: GenerateResult, { engine, model }: LoadedModel, options: { context?: Codes; parent?: { id: string; region: { start: number; end: number } } }): string[] {
  const library = Library.open(dataDir);
  try {
    const r = result.request;
    return result.takes.map(
      (take) =>
        library.saveTake({
          kind: options.context ? 'continue' : 'generate',
          prompt: take.prompt,
          modelId: model.id,
          modelVariant: engine.variant,
          device: engine.device,
          seed: take.seed,
          settings: {
            seconds: framesToSeconds(take.codes[0].length - take.contextFrames, engine.spec),
            maxNewTokens: r.maxNewTokens,
            guidanceScale: r.guidanceScale,
            sampling: r.sampling,
            variations: r.variations,
          },
          audio: take.audio,
          codes: take.codes,
          contextFrames: take.contextFrames,
          parentId: options.parent?.id ?? null,
          region: options.parent?.region ?? null,
        }).id,
    );
  } finally {
    library.close();
  }
}

function report(result: GenerateResult, paths: string[], takeIds: string[], { engine }: LoadedModel, model: InstalledModel, flags: GenerationFlags, extra: Record<string, unknown>): void {
  const spec = engine.spec;
  const takes = result.takes.map((take, i) => ({
    out: paths[i] ?? null,
    takeId: takeIds[i] ?? null,
    prompt: take.prompt,
    seed: take.seed,
    frames: take.codes[0].length,
    contextFrames: take.contextFrames,
    samples: take.audio.channels[0].length,
    seconds: round(framesToSeconds(take.codes[0].length, spec), 3),
    codes: take.codes,
  }));
  if (flags.json) {
    const first = takes[0];
    const json = {
      ...first,
      sampleRate: spec.sampleRate,
      channels: spec.channels,
      codebooks: spec.codebooks,
      device: engine.device,
      deviceReason: engine.deviceReason,
      model: { id: model.id, dir: model.dir, variant: engine.variant, testModel: model.isTestModel },
      settings: {
        maxNewTokens: result.request.maxNewTokens,
        guidanceScale: result.request.guidanceScale,
        ...result.request.sampling,
        seed: result.request.seed,
        variations: result.request.variations,
      },
      ...extra,
      timings: { loadMs: round(engine.loadMs), ...timingsJson(result) },
      warnings: result.warnings,
      ...(takes.length > 1 ? { takes } : {}),
    };
    process.stdout.write(`${JSON.stringify(json)}\n`);
    return;
  }
  process.stdout.write(`Model ${model.id} (${engine.variant}) on ${engine.deviceReason}\n`);
  for (const take of takes) {
    const channels = spec.channels === 2 ? 'stereo' : 'mono';
    const where = [take.out && `wrote ${take.out}`, take.takeId && `saved as take ${take.takeId}`].filter(Boolean).join(', ');
    process.stdout.write(`${take.seconds} s, ${spec.sampleRate / 1000} kHz ${channels}, seed ${take.seed}: ${where}\n`);
  }
}
