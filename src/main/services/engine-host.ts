/**
 * Where the engine runs. The services talk to an EngineHost so that the same code can drive the
 * engine in this process (CLI, tests) or in a worker (the app, where a decoder step must not
 * block IPC). Everything crossing it is plain data, transferable to another thread or process.
 */
import {
  MusicgenEngine,
  generateLongForm,
  type AudioChunk,
  type Codes,
  type DeviceChoice,
  type GenerateTimings,
  type LongFormProgress,
  type LongFormRequest,
  type ModelVariant,
  type PlanarAudio,
} from '../engine';
import type { InstalledModel } from '../models/installed';
import { maxNewTokensForFrames } from '../../shared/units';

export interface EngineInfo {
  modelId: string;
  dir: string;
  variant: string;
  device: string;
  deviceReason: string;
  isTestModel: boolean;
  sampleRate: number;
  channels: number;
  codebooks: number;
  hopLength: number;
  windowSeconds: number;
  canEncode: boolean;
  /** Which decoder path runs and, when not the fastest, why (MusicgenEngine.decoderMode). */
  decoderMode: { mode: string; cache: string; note?: string };
}

export interface LoadOptions {
  variant: ModelVariant;
  device: DeviceChoice;
  threads?: number;
}

export interface HostTake {
  codes: Codes;
  seed: number;
  contextFrames: number;
  audio: PlanarAudio;
}

export interface HostResult {
  takes: HostTake[];
  warnings: string[];
  maxNewTokens: number;
  guidanceScale: number;
  sampling: { greedy: boolean; temperature: number; topK: number; topP: number };
  seed: number;
  timings: GenerateTimings;
}

/** What a generation reports while it runs. */
export interface GenerateHostHooks {
  signal?: AbortSignal;
  onProgress?: (p: LongFormProgress) => void;
  /** Streaming preview: chunks of the takes' audio while they are generated. */
  onAudio?: (chunk: AudioChunk) => void;
}

export interface EngineHost {
  load(model: InstalledModel, options: LoadOptions): Promise<EngineInfo>;
  current(): EngineInfo | null;
  generate(request: LongFormRequest, hooks: GenerateHostHooks): Promise<HostResult>;
  encode(audio: PlanarAudio): Promise<Codes>;
  decode(codes: Codes[]): Promise<PlanarAudio[]>;
  /** Frees the loaded model (it loads again on the next job). */
  unload(): Promise<void>;
  /** Ends the host for good (app exit). */
  shutdown(): Promise<void>;
}

/** The model's generation window in codec frames (30 s for MusicGen). */
export function windowFramesOf(info: EngineInfo): number {
  return Math.round((info.windowSeconds * info.sampleRate) / info.hopLength);
}

export function describeEngine(engine: MusicgenEngine, model: InstalledModel, canEncode: boolean): EngineInfo {
  const { spec } = engine;
  return {
    modelId: model.id,
    dir: model.dir,
    variant: engine.variant,
    device: engine.device,
    deviceReason: engine.deviceReason,
    isTestModel: model.isTestModel,
    sampleRate: spec.sampleRate,
    channels: spec.channels,
    codebooks: spec.codebooks,
    hopLength: spec.hopLength,
    windowSeconds: (Math.min(1500, spec.maxPositions - spec.codebooks) * spec.hopLength) / spec.sampleRate,
    canEncode,
    decoderMode: engine.decoderMode,
  };
}

export async function runOnEngine(engine: MusicgenEngine, request: LongFormRequest, hooks: GenerateHostHooks): Promise<HostResult> {
  const result = await generateLongForm(engine, request, hooks);
  return {
    takes: result.takes.map((t) => ({ codes: t.codes, seed: t.seed, contextFrames: t.contextFrames, audio: t.audio })),
    warnings: result.warnings,
    // The whole take's steps, not the last window's: what transformers would have needed for it.
    maxNewTokens: maxNewTokensForFrames(request.newFrames, engine.spec.codebooks),
    guidanceScale: result.request.guidanceScale,
    sampling: result.request.sampling,
    seed: result.request.seed,
    timings: result.timings,
  };
}

/** The engine in this process: fine for the CLI and tests; the app uses a worker instead. */
export class InProcessEngineHost implements EngineHost {
  private engine?: MusicgenEngine;
  private info: EngineInfo | null = null;
  private key = '';

  async load(model: InstalledModel, options: LoadOptions): Promise<EngineInfo> {
    const key = JSON.stringify([model.dir, options.variant, options.device, options.threads]);
    if (this.engine && key === this.key) return this.info!;
    await this.unload();
    this.engine = await MusicgenEngine.load(model.dir, options);
    this.key = key;
    this.info = describeEngine(this.engine, model, this.engine.canEncode());
    return this.info;
  }

  current(): EngineInfo | null {
    return this.info;
  }

  generate(request: LongFormRequest, hooks: GenerateHostHooks): Promise<HostResult> {
    return runOnEngine(this.loaded(), request, hooks);
  }

  encode(audio: PlanarAudio): Promise<Codes> {
    return this.loaded().encode(audio);
  }

  decode(codes: Codes[]): Promise<PlanarAudio[]> {
    return this.loaded().decode(codes);
  }

  shutdown(): Promise<void> {
    return this.unload();
  }

  async unload(): Promise<void> {
    const engine = this.engine;
    this.engine = undefined;
    this.info = null;
    this.key = '';
    await engine?.dispose();
  }

  private loaded(): MusicgenEngine {
    if (!this.engine) throw new Error('No model is loaded.');
    return this.engine;
  }
}
