/**
 * The bodies of generate and continue jobs: pick the model, run the engine, save every take.
 * Continuation takes its context from the parent's stored codes when they fit this model, and
 * re-encodes the parent's audio otherwise (edited or imported takes, another model).
 */
import type { z } from 'zod';
import type { ContinueParamsSchema, GenerateParamsSchema, Progress, Take, TakeSettings } from '../../shared/contract';
import { ApiError } from '../../shared/contract';
import { framesToSeconds, secondsToFrames } from '../../shared/units';
import { join } from 'node:path';
import { onnxFile, type ModelVariant } from '../engine/model-files';
import { resample, toChannels, trim } from '../audio';
import { defaultWindowPlan, throwIfAborted, type AudioChunk, type Codes, type LongFormProgress } from '../engine';
import type { Library, NewTake } from '../library';
import { windowFramesOf, type EngineHost, type EngineInfo, type HostResult } from './engine-host';
import { jobResult } from './job-result';
import { saveTakes, type JobResult } from './keep-takes';
import { promptWithMusic } from '../../shared/musical-time';
import { lengthInFrames, measuredTakeMusic } from './music';

type GenerateParams = z.output<typeof GenerateParamsSchema>;
type ContinueParams = z.output<typeof ContinueParamsSchema>;

export interface GenerationDeps {
  library: Library;
  host: EngineHost;
  ensureEngine: (modelId?: string) => Promise<EngineInfo>;
  created: (take: Take) => void;
  /** The data folder: takes the library cannot save are kept in its recovered/ (keep-takes.ts). */
  dataDir: string;
  /** Adds to the running job's result: the engine's report, and what could not be saved. */
  record?: (result: Partial<JobResult>) => void;
}

/** Streaming preview of a job's takes; chunks after a cancel are dropped. */
export type Preview = (chunk: AudioChunk) => void;

export function previewHook(signal: AbortSignal, preview: Preview | undefined, offsetSamples = 0): Preview | undefined {
  if (!preview) return undefined;
  return (chunk) => {
    if (!signal.aborted) preview(offsetSamples ? { ...chunk, startSample: chunk.startSample + offsetSamples } : chunk);
  };
}

export function toProgress(p: LongFormProgress): Progress {
  return { step: p.step, total: p.total, etaMs: p.etaMs, elapsedMs: p.elapsedMs, window: p.window, windows: p.windows };
}

function settingsOf(params: GenerateParams | ContinueParams, result: HostResult): TakeSettings {
  return {
    seconds: params.seconds,
    maxNewTokens: result.maxNewTokens,
    guidanceScale: result.guidanceScale,
    sampling: result.sampling,
    variations: params.variations,
  };
}

/** The engine for a job, and how long loading it took (about 0 when it was loaded already). */
export async function loadEngineFor(deps: GenerationDeps, modelId?: string): Promise<{ info: EngineInfo; loadMs: number }> {
  const started = performance.now();
  const info = await deps.ensureEngine(modelId);
  return { info, loadMs: performance.now() - started };
}

export async function runGenerate(
  deps: GenerationDeps,
  params: GenerateParams,
  signal: AbortSignal,
  report: (p: Progress) => void,
  preview?: Preview,
): Promise<string[]> {
  const { info, loadMs } = await loadEngineFor(deps, params.modelId);
  throwIfAborted(signal);
  const length = lengthInFrames(params, params, info);
  const result = await deps.host.generate(
    {
      prompts: [promptWithMusic(params.prompt, params)],
      variations: params.variations,
      newFrames: length.frames,
      guidanceScale: params.guidanceScale,
      sampling: params.sampling,
      seed: params.seed,
    },
    { signal, onProgress: (p) => report(toProgress(p)), onAudio: previewHook(signal, preview) },
  );
  throwIfAborted(signal);
  deps.record?.(jobResult(info, result, loadMs));
  const takes = result.takes.map((take): NewTake => ({
    kind: 'generate',
    prompt: params.prompt,
    modelId: info.modelId,
    modelVariant: info.variant,
    device: info.device,
    seed: take.seed,
    settings: settingsOf({ ...params, seconds: length.seconds }, result),
    audio: take.audio,
    codes: take.codes,
    contextFrames: 0,
    music: measuredTakeMusic(take.audio, params),
  }));
  return saveTakes(deps, takes);
}

/**
 * Frames [from, to) of the parent as audio codes for this engine's model: the stored codes when
 * they are this model's (a generated take, or codes imported as a take), else re-encoded from the
 * audio (always for edited audio).
 */
async function contextCodes(deps: GenerationDeps, parent: Take, info: EngineInfo, from: number, to: number): Promise<Codes> {
  const stored = parent.modelId === info.modelId ? deps.library.getCodes(parent.id) : null;
  const usable = stored && stored.length === info.codebooks ? stored : null;
  if (info.canEncode && (parent.kind === 'edit' || !usable)) {
    let audio = trim(deps.library.readAudio(parent.id), from, to);
    if (audio.sampleRate !== info.sampleRate) audio = await resample(audio, info.sampleRate);
    if (audio.channels.length !== info.channels) audio = toChannels(audio, info.channels);
    return deps.host.encode(audio);
  }
  if (!usable) {
    throw new ApiError(
      'model-unavailable',
      `Cannot continue "${parent.title ?? parent.prompt}" with ${info.modelId}: ${parent.kind === 'import' || parent.kind === 'edit' ? `its audio (${parent.kind === 'import' ? 'imported' : 'edited'}) must be encoded` : `it was made with ${parent.modelId}`}, and this model has no audio encoder to read its audio: ${join(info.dir, onnxFile('codecEncoder', info.variant as ModelVariant))} is missing (its repo does not publish encodec_encoder.onnx). ${parent.kind === 'import' || parent.kind === 'edit' ? 'Continue it with a model that has the encoder (musicgen-small)' : `Switch to ${parent.modelId} to continue it`}; takes this model made continue from their stored codes.`,
    );
  }
  return usable.map((row) => row.slice(secondsToFrames(from, info), secondsToFrames(to, info)));
}

export async function runContinue(
  deps: GenerationDeps,
  params: ContinueParams,
  signal: AbortSignal,
  report: (p: Progress) => void,
  preview?: Preview,
): Promise<string[]> {
  const parent = deps.library.getTake(params.takeId);
  const { info, loadMs } = await loadEngineFor(deps, params.modelId);
  const duration = parent.durationSeconds;
  const region = params.region ?? { start: params.extend ? Math.max(0, duration - info.windowSeconds / 2) : 0, end: duration };
  const start = Math.max(0, Math.min(region.start, duration));
  const end = Math.min(region.end, duration);
  if (secondsToFrames(end, info) - secondsToFrames(start, info) < 1) {
    throw new ApiError('invalid-params', 'The selected region is shorter than one codec frame (20 ms); select a longer region.');
  }
  const context = await contextCodes(deps, parent, info, start, end);
  const prefix = params.extend ? await contextCodes(deps, parent, info, 0, start) : undefined;
  throwIfAborted(signal);
  const prompt = params.prompt ?? parent.prompt;
  // A continuation keeps the parent's tempo and key (in the prompt the model sees, and on the take).
  const requested = {
    tempoBpm: params.tempoBpm ?? parent.music?.tempoBpm,
    key: params.key ?? parent.music?.key,
    timeSignature: params.timeSignature ?? parent.music?.timeSignature,
  };
  // An extended take's audio starts with the parent's beginning: the preview is placed after it.
  const length = lengthInFrames(params, requested, info);
  const newFrames = length.frames;
  const usedContext = defaultWindowPlan(newFrames, context[0].length, windowFramesOf(info)).contextFrames;
  const offsetFrames = prefix && prefix[0].length > 0 ? prefix[0].length + context[0].length - usedContext : 0;
  const result = await deps.host.generate(
    {
      prompts: [promptWithMusic(prompt, requested)],
      variations: params.variations,
      newFrames,
      guidanceScale: params.guidanceScale,
      sampling: params.sampling,
      seed: params.seed,
      context,
    },
    { signal, onProgress: (p) => report(toProgress(p)), onAudio: previewHook(signal, preview, offsetFrames * info.hopLength) },
  );
  throwIfAborted(signal);
  deps.record?.(jobResult(info, result, loadMs));
  const takes: NewTake[] = [];
  for (const take of result.takes) {
    // The region as the user chose it when the whole context was used (end − frames would store
    // 0.6000000000000001 for 0.6, or a frame-rounded time); else where the kept context starts, in ms.
    const usedStart =
      take.contextFrames === context[0].length ? start : Math.round((end - framesToSeconds(take.contextFrames, info)) * 1000) / 1000;
    let codes = take.codes;
    let audio = take.audio;
    let contextFrames = take.contextFrames;
    if (prefix && prefix[0].length > 0) {
      const usedPrefix = prefix.map((row, k) => row.concat(context[k].slice(0, context[0].length - take.contextFrames)));
      codes = usedPrefix.map((row, k) => row.concat(take.codes[k]));
      contextFrames += usedPrefix[0].length;
      [audio] = await deps.host.decode([codes]);
    }
    takes.push({
      kind: 'continue',
      prompt,
      modelId: info.modelId,
      modelVariant: info.variant,
      device: info.device,
      seed: take.seed,
      settings: settingsOf({ ...params, seconds: length.seconds }, result),
      audio,
      codes,
      contextFrames,
      parentId: parent.id,
      region: { start: usedStart, end },
      music: measuredTakeMusic(audio, requested),
    });
  }
  return saveTakes(deps, takes);
}
