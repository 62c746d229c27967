/**
 * What `generate` and `continue` share: the cheap checks first (where the takes will be written,
 * the model's config, the request, the library), then loading the model, Ctrl-C as cancel,
 * running the engine with a progress line, and keeping the takes: written to --out and saved in
 * the library, and when either fails, kept somewhere else and the error says where.
 */
import { existsSync, mkdirSync, rmdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeWav } from '../main/audio';
import { writeFileAtomic } from '../main/atomic-file';
import {
  EngineError,
  MusicgenEngine,
  type Codes,
  type GenerateRequest,
  type GenerateResult,
  type GeneratedTake,
  type ModelSpec,
} from '../main/engine';
import { readModelSpec } from '../main/engine/config';
import { Library } from '../main/library';
import { AUDIO_DIR } from '../main/library/audio-store';
import { modelDirFor, modelVariants, resolveModel, type InstalledModel } from '../main/models/installed';
import type { ModelVariant } from '../main/engine';
import { modelsDir } from '../main/paths';
import { framesToSeconds } from '../shared/units';
import { pullCommand } from '../shared/cli-command';
import { CliError, errnoCode, explainWriteFailure } from './errors';
import { buildRequest, type GenerationFlags } from './generation-options';
import { prepareOutputs, progressPrinter, round, timingsJson, writeTakes, type OutputFile } from './output';
import { userPath } from './user-path';

export const TEST_MODEL_NOTICE =
  "Using Continuo's built-in test model: it has random weights and makes noise, not music. " +
  `For music, download MusicGen once (CC-BY-NC 4.0, non-commercial): ${pullCommand('musicgen-small')}`;

/** Everything checked before the model is loaded. Close it when done (it may hold the library). */
export interface Prepared {
  dataDir: string;
  model: InstalledModel;
  /** The variant to run, and its folder (a catalog model may keep each variant in its own). */
  variant: ModelVariant;
  modelDir: string;
  spec: ModelSpec;
  request: Omit<GenerateRequest, 'context'>;
  outputs: OutputFile[];
  /** Open when the takes are to be saved (not --no-save). */
  library?: Library;
  close(): void;
}

export interface LoadedModel {
  engine: MusicgenEngine;
  model: InstalledModel;
}

/**
 * The checks that cost nothing next to loading a model and generating: where the takes go, which
 * model and whether its config is sound, the request against it, and the library (opened now, so
 * a damaged one is reported before minutes of generation rather than after).
 */
export function prepareGeneration(flags: GenerationFlags, dataDir: string, defaultSeconds: number): Prepared {
  if (!flags.out && !flags.save) throw new CliError('Nothing would be kept: give --out FILE.wav, or drop --no-save.', 2);
  const prompts = flags.prompt ?? [''];
  const outputs = flags.out ? prepareOutputs(userPath(flags.out), prompts.length * flags.variations) : [];
  const model = findModel(dataDir, flags.model);
  const variant = flags.variant ?? modelVariants(model)[0] ?? 'fp32';
  const modelDir = modelDirFor(model, variant);
  const spec = readSpec(modelDir);
  const request = buildRequest(flags, spec, defaultSeconds);
  const library = flags.save ? openLibrary(dataDir) : undefined;
  if (model.isTestModel) process.stderr.write(`note: ${TEST_MODEL_NOTICE}\n`);
  return { dataDir, model, variant, modelDir, spec, request, outputs, library, close: () => library?.close() };
}

/** --model as an installed id, else as a folder relative to where the user typed the command. */
function findModel(dataDir: string, requested: string | undefined): InstalledModel {
  const asId = requested !== undefined && !/[\\/]/.test(requested) && existsSync(join(modelsDir(dataDir), requested));
  try {
    return resolveModel(dataDir, requested === undefined || asId ? requested : userPath(requested));
  } catch (error) {
    const code = errnoCode(error);
    if (!code) throw error;
    // Only the built-in test model is written here: a fresh data folder on a full or read-only disk.
    throw new CliError(
      `Could not write the built-in test model into ${modelsDir(dataDir)}: ${explainWriteFailure(code, (error as Error).message)}.`,
    );
  }
}

function readSpec(dir: string): ModelSpec {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    throw new EngineError(
      'model-not-found',
      `No model folder at ${dir}. Pass --model DIR, or download one with: ${pullCommand('musicgen-small')}`,
      dir,
    );
  }
  return readModelSpec(dir);
}

function openLibrary(dataDir: string): Library {
  const advice =
    'Nothing was generated. Repair the library or move it aside, choose another data folder with --data-dir, or add --no-save to keep only --out.';
  let library: Library;
  try {
    library = Library.open(dataDir);
  } catch (error) {
    const code = errnoCode(error);
    if (code === 'ENOSPC' || code === 'EDQUOT')
      throw new CliError(`Could not open the library in ${dataDir}: ${explainWriteFailure(code, '')}. Nothing was generated.`);
    throw new CliError(`${(error as Error).message.replace(/\.$/, '')}. ${advice}`);
  }
  const audio = join(dataDir, AUDIO_DIR);
  try {
    mkdirSync(audio, { recursive: true });
  } catch (error) {
    library.close();
    throw new CliError(
      `The library's audio folder ${audio} cannot be created: ${explainWriteFailure(errnoCode(error), (error as Error).message)}. Nothing was generated.`,
    );
  }
  return library;
}

export async function loadEngine(prepared: Prepared, flags: GenerationFlags): Promise<LoadedModel> {
  const { model, modelDir, variant } = prepared;
  const engine = await MusicgenEngine.load(modelDir, { device: flags.device, variant, threads: flags.threads });
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

interface RunOptions {
  context?: Codes;
  label: string;
  extra?: Record<string, unknown>;
  /** The library take this continues, and the region it continues from. */
  parent?: { id: string; region: { start: number; end: number } };
}

export async function runGeneration(
  prepared: Prepared,
  loaded: LoadedModel,
  flags: GenerationFlags,
  options: RunOptions,
): Promise<GenerateResult> {
  const { engine, model } = loaded;
  const request = { ...prepared.request, context: options.context };
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
  const kept = keepTakes(result, prepared, loaded, flags, options);
  report(result, kept.paths, kept.takeIds, loaded, model, flags, options.extra ?? {});
  if (kept.failure) throw new CliError(kept.failure);
  return result;
}

/**
 * Writes --out and saves to the library, each regardless of the other failing. When a take ends
 * up in neither, it is written to a recovery folder; the failure message says where it is.
 */
function keepTakes(
  result: GenerateResult,
  prepared: Prepared,
  loaded: LoadedModel,
  flags: GenerationFlags,
  options: RunOptions,
): { paths: string[]; takeIds: string[]; failure?: string } {
  const problems: string[] = [];
  const paths: string[] = [];
  prepared.outputs.forEach((output, i) => {
    try {
      paths[i] = writeTakes([result.takes[i]], [output], flags.format)[0];
    } catch (error) {
      problems.push((error as Error).message);
    }
  });
  const takeIds: string[] = [];
  if (prepared.library) {
    try {
      for (const take of result.takes) takeIds.push(saveTake(prepared.library, take, result, loaded, options));
    } catch (error) {
      const code = errnoCode(error);
      const more =
        (code === 'ENOSPC' || code === 'EDQUOT') && !/--data-dir/.test((error as Error).message)
          ? ` (or choose another data folder with --data-dir)`
          : '';
      problems.push(`Could not save the take in the library: ${(error as Error).message.replace(/\.$/, '')}${more}.`);
    }
  }
  if (problems.length === 0) return { paths, takeIds };

  const where: string[] = [];
  const written = paths.filter(Boolean);
  if (written.length) where.push(`The audio is in ${written.join(', ')}.`);
  if (takeIds.length)
    where.push(`Saved in the library as take${takeIds.length > 1 ? 's' : ''} ${takeIds.map((id) => id.slice(0, 8)).join(', ')}.`);
  const unkept = result.takes.filter((_, i) => !paths[i] && !takeIds[i]);
  if (unkept.length) where.push(recover(unkept, prepared, loaded));
  return { paths, takeIds, failure: [...problems, ...where].join(' ') };
}

/** Writes takes that could not be kept where asked: the data folder's recovered/, else the temp folder. */
function recover(takes: GeneratedTake[], prepared: Prepared, { engine, model }: LoadedModel): string {
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  let lastError: unknown;
  for (const folder of [join(prepared.dataDir, 'recovered'), join(tmpdir(), 'continuo-recovered')]) {
    try {
      mkdirSync(folder, { recursive: true });
      const files = takes.map((take) => {
        const base = join(folder, `${stamp}-seed${take.seed}`);
        writeFileAtomic(`${base}.wav`, encodeWav(take.audio, 'float32'));
        const codes = {
          codes: take.codes,
          prompt: take.prompt,
          seed: take.seed,
          contextFrames: take.contextFrames,
          model: model.id,
          variant: engine.variant,
        };
        writeFileAtomic(`${base}.json`, Buffer.from(`${JSON.stringify(codes)}\n`));
        return `${base}.wav`;
      });
      return `The audio was kept in ${files.join(', ')} (and its codes beside it, for "continuo continue --codes").`;
    } catch (error) {
      lastError = error;
      try {
        rmdirSync(folder); // only succeeds while it is still empty
      } catch {
        // it holds earlier recoveries, or was never made
      }
    }
  }
  return `The audio could not be kept anywhere either (${(lastError as Error).message}).`;
}

/** Keeps a take in the library, as the studio does, so it shows up in its history. */
function saveTake(
  library: Library,
  take: GeneratedTake,
  result: GenerateResult,
  { engine, model }: LoadedModel,
  options: RunOptions,
): string {
  const r = result.request;
  return library.saveTake({
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
  }).id;
}

function report(
  result: GenerateResult,
  paths: string[],
  takeIds: string[],
  { engine }: LoadedModel,
  model: InstalledModel,
  flags: GenerationFlags,
  extra: Record<string, unknown>,
): void {
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
      model: { id: model.id, dir: engine.dir, variant: engine.variant, testModel: model.isTestModel },
      // Which decoder path ran (split two-block, split, merged, pair) and, when not the fastest, why.
      decoder: engine.decoderMode,
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
  process.stdout.write(`Model ${model.id} (${engine.variant}) on ${engine.deviceReason}; ${describeDecoder(engine.decoderMode)}\n`);
  for (const take of takes) {
    const channels = spec.channels === 2 ? 'stereo' : 'mono';
    const where = [take.out && `wrote ${take.out}`, take.takeId && `saved as take ${take.takeId}`].filter(Boolean).join(', ') || 'not kept';
    process.stdout.write(`${take.seconds} s, ${spec.sampleRate / 1000} kHz ${channels}, seed ${take.seed}: ${where}\n`);
  }
}

/** One phrase for the decoder path, so a slower path never goes unmentioned. */
function describeDecoder({ mode, cache, note }: MusicgenEngine['decoderMode']): string {
  const path =
    mode === 'split' ? `decoder split${cache === 'two-block' ? ' with the two-block cache' : ''}` : `decoder ${mode} (as exported)`;
  return note ? `${path}: ${note}` : path;
}
