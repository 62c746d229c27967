/**
 * MusicGen on onnxruntime-node: load a model folder once, then generate, continue, encode and
 * decode. Plain Node — the CLI, the tests, the benchmark and the app's main process share it.
 */
import { existsSync, statSync } from 'node:fs';
import * as ort from 'onnxruntime-node';
import { decodeAudio, encodeAudio, checkCodes, type PlanarAudio } from './codec';
import { readModelSpec, type ModelSpec } from './config';
import { openDecoder, type CacheLayout, type DecoderMode, type OpenedDecoder } from './decoder-loader';
import type { StepRunner } from './decoder-runner';
import type { Codes } from './delay-pattern';
import { EngineError, runFailed, throwIfAborted } from './errors';
import { float16ToFloat32, float32ToFloat16 } from './float16';
import { decodeTokens, usesGuidance, type StepProgress } from './generate';
import { checkCodecEncoder, checkModelFiles, type MainFiles } from './model-contract';
import { requireDecoderFiles, requireSessionFile, resolveSessionFile, steppingFile, type ModelVariant } from './model-files';
import { openSession, type Device, type DeviceChoice } from './providers';
import { validateRequest, type GenerateRequest, type ResolvedRequest } from './request';
import { PromptTokenizer } from './tokenizer';
import { AudioStreamer, type AudioChunk, type StreamOptions } from './stream';

export interface EngineOptions {
  device?: DeviceChoice;
  variant?: ModelVariant;
  threads?: number;
}

export interface GeneratedTake {
  prompt: string;
  promptIndex: number;
  variation: number;
  seed: number;
  /** [codebook][frame], the context's frames first when continuing. */
  codes: Codes;
  contextFrames: number;
  audio: PlanarAudio;
}

export interface GenerateTimings {
  textEncoderMs: number;
  decoderMs: number;
  /** Time inside ORT's session.run for the decoder steps; the rest of decoderMs is ours. */
  decoderRunMs: number;
  steps: number;
  stepMs: number[];
  codecMs: number;
  totalMs: number;
  /** Codec time spent decoding preview chunks (inside decoderMs), when streaming. */
  streamMs?: number;
}

export interface GenerateResult {
  takes: GeneratedTake[];
  request: ResolvedRequest;
  warnings: string[];
  timings: GenerateTimings;
}

export interface GenerateHooks {
  onProgress?: (progress: StepProgress) => void;
  /** Streaming preview: the takes' audio in chunks while they are generated (see stream.ts). */
  onAudio?: (chunk: AudioChunk) => void;
  stream?: StreamOptions;
  /** Newly completed frames per take, as they complete (long form streams across windows with it). */
  onCodes?: (added: Codes[]) => Promise<void> | void;
  signal?: AbortSignal;
}

export class MusicgenEngine {
  private codecEncoder?: Promise<ort.InferenceSession>;
  private readonly runner: StepRunner;

  private constructor(
    readonly dir: string,
    readonly spec: ModelSpec,
    readonly variant: ModelVariant,
    readonly device: Device,
    readonly deviceReason: string,
    readonly loadMs: number,
    private readonly tokenizer: PromptTokenizer,
    private readonly textEncoder: ort.InferenceSession,
    private readonly decoder: OpenedDecoder,
    private readonly codecDecoder: ort.InferenceSession,
    private readonly threads: number | undefined,
    /** The ONNX files behind the sessions, to name the one that fails. */
    private readonly files: MainFiles,
  ) {
    this.runner = decoder.runner;
  }

  /**
   * 'split' (fast, one copy of the weights), or the export as it is ('merged' file or unmerged
   * 'pair'); `note` says why whenever the fastest path (split, two-block, prefill at once) is not taken.
   */
  get decoderMode(): { mode: DecoderMode; cache: CacheLayout; note?: string } {
    return { mode: this.decoder.mode, cache: this.decoder.cache, note: this.decoder.note };
  }

  static async load(dir: string, options: EngineOptions = {}): Promise<MusicgenEngine> {
    const started = performance.now();
    if (!existsSync(dir) || !statSync(dir).isDirectory()) {
      throw new EngineError(
        'model-not-found',
        `No model folder at ${dir}. Pass --model DIR, or download one with "continuo models pull".`,
        dir,
      );
    }
    const variant = options.variant ?? 'fp32';
    const spec = readModelSpec(dir);
    const tokenizer = PromptTokenizer.load(dir);
    const files: MainFiles = {
      decoder: requireDecoderFiles(dir, variant),
      textEncoder: requireSessionFile(dir, 'textEncoder', variant).path,
      codecDecoder: requireSessionFile(dir, 'codecDecoder', variant).path,
    };
    // Swapped, foreign or mismatched files fail here, named, before any session is created.
    checkModelFiles(dir, files, spec);
    const settings = { threads: options.threads };
    const decoder = await openDecoder(files.decoder, options.device ?? 'auto', settings, spec);
    const [text, codec] = await Promise.all([
      openSession(files.textEncoder, decoder.device, settings),
      // Run once per preview chunk between decoder steps: its threads must not spin.
      openSession(files.codecDecoder, decoder.device, { ...settings, spinning: false }),
    ]).catch(async (error) => {
      await decoder.release();
      throw error;
    });
    return new MusicgenEngine(
      dir,
      spec,
      variant,
      decoder.device,
      decoder.deviceReason,
      performance.now() - started,
      tokenizer,
      text,
      decoder,
      codec,
      options.threads,
      files,
    );
  }

  async generate(request: GenerateRequest, hooks: GenerateHooks = {}): Promise<GenerateResult> {
    const started = performance.now();
    const { resolved, warnings } = validateRequest(request, this.spec, this.tokenizer);
    const samples = resolved.prompts.length * resolved.variations;
    throwIfAborted(hooks.signal);

    const textStart = performance.now();
    const { states, mask } = await this.encodeText(resolved.prompts, resolved.variations, usesGuidance(resolved.guidanceScale));
    const textEncoderMs = performance.now() - textStart;

    const streamer =
      hooks.onAudio && request.decodeAudio !== false
        ? new AudioStreamer(
            (batch) => decodeAudio(this.codecDecoder, this.spec, batch),
            this.spec.hopLength,
            this.spec.sampleRate,
            resolved.contexts ?? Array.from({ length: samples }, () => Array.from({ length: this.spec.codebooks }, () => [])),
            hooks.onAudio,
            hooks.stream,
          )
        : undefined;
    const onCodes =
      streamer || hooks.onCodes
        ? async (added: Codes[]) => {
            await hooks.onCodes?.(added);
            await streamer?.push(added);
          }
        : undefined;

    await this.runner.begin(states, mask, states.dims[0]);
    let decoded;
    try {
      decoded = await decodeTokens(
        this.runner,
        this.spec,
        {
          samples,
          maxNewTokens: resolved.maxNewTokens,
          guidanceScale: resolved.guidanceScale,
          sampling: resolved.sampling,
          seed: resolved.seed,
          contexts: resolved.contexts,
        },
        { onStep: hooks.onProgress, onCodes, signal: hooks.signal },
      );
    } catch (error) {
      throw runFailed(error, steppingFile(this.files.decoder));
    } finally {
      this.runner.end();
    }
    throwIfAborted(hooks.signal);

    const codecStart = performance.now();
    const audio =
      request.decodeAudio === false
        ? decoded.codes.map(() => ({ sampleRate: this.spec.sampleRate, channels: [] as Float32Array[] }))
        : await decodeAudio(this.codecDecoder, this.spec, decoded.codes).catch((error) => {
            throw runFailed(error, this.files.codecDecoder);
          });
    const codecMs = performance.now() - codecStart;
    throwIfAborted(hooks.signal);
    streamer?.finish(audio);
    const contextFrames = resolved.contexts?.[0][0].length ?? 0;
    const takes = decoded.codes.map((codes, s) => {
      const promptIndex = Math.floor(s / resolved.variations);
      return {
        prompt: resolved.prompts[promptIndex],
        promptIndex,
        variation: s % resolved.variations,
        seed: (resolved.seed + s) >>> 0,
        codes,
        contextFrames,
        audio: audio[s],
      };
    });
    const { stats } = decoded;
    return {
      takes,
      request: resolved,
      warnings,
      timings: {
        textEncoderMs,
        decoderMs: stats.decoderMs,
        decoderRunMs: stats.runMs,
        steps: stats.steps,
        stepMs: stats.stepMs,
        codecMs,
        totalMs: performance.now() - started,
        ...(streamer ? { streamMs: streamer.decodeMs } : {}),
      },
    };
  }

  /** Whether this model ships the codec encoder, needed to continue audio without stored codes. */
  canEncode(): boolean {
    return resolveSessionFile(this.dir, 'codecEncoder', this.variant) !== undefined;
  }

  /** Audio codes of audio at the model's sample rate and channel count. */
  async encode(audio: PlanarAudio): Promise<Codes> {
    const file = requireSessionFile(this.dir, 'codecEncoder', this.variant).path;
    this.codecEncoder ??= Promise.resolve()
      .then(() => checkCodecEncoder(this.dir, file, this.spec))
      .then(() => openSession(file, this.device, { threads: this.threads }));
    let session: ort.InferenceSession;
    try {
      session = await this.codecEncoder;
    } catch (error) {
      this.codecEncoder = undefined;
      throw error;
    }
    try {
      return await encodeAudio(session, this.spec, audio);
    } catch (error) {
      throw runFailed(error, file);
    }
  }

  async decode(batch: Codes[]): Promise<PlanarAudio[]> {
    batch.forEach((codes) => checkCodes(codes, this.spec));
    return decodeAudio(this.codecDecoder, this.spec, batch).catch((error) => {
      throw runFailed(error, this.files.codecDecoder);
    });
  }

  async dispose(): Promise<void> {
    const encoder = await this.codecEncoder?.catch(() => undefined);
    await Promise.all([this.textEncoder.release(), this.decoder.release(), this.codecDecoder.release(), encoder?.release()]);
  }

  /**
   * Text states for every decoder sample: each prompt repeated per variation, and with guidance
   * an all-zero, fully masked copy for the unconditional half (as transformers builds it).
   */
  private async encodeText(prompts: string[], variations: number, guidance: boolean): Promise<{ states: ort.Tensor; mask: ort.Tensor }> {
    const batch = this.tokenizer.encodeBatch(prompts);
    const feeds: Record<string, ort.Tensor> = {
      input_ids: new ort.Tensor('int64', batch.ids, [batch.batch, batch.length]),
    };
    if (this.textEncoder.inputNames.includes('attention_mask')) {
      feeds.attention_mask = new ort.Tensor('int64', batch.mask, [batch.batch, batch.length]);
    }
    const out = (
      await this.textEncoder.run(feeds).catch((error) => {
        throw runFailed(error, this.files.textEncoder);
      })
    ).last_hidden_state;
    const hidden = out.type === 'float16' ? float16ToFloat32(out.data as Uint16Array) : (out.data as Float32Array);
    const [, T, d] = out.dims;
    const samples = prompts.length * variations;
    const total = guidance ? 2 * samples : samples;
    const states = new Float32Array(total * T * d);
    const mask = new BigInt64Array(total * T);
    for (let s = 0; s < samples; s++) {
      const p = Math.floor(s / variations);
      states.set(hidden.subarray(p * T * d, (p + 1) * T * d), s * T * d);
      mask.set(batch.mask.subarray(p * T, (p + 1) * T), s * T);
    }
    const stateTensor =
      this.runner.encoderStateType === 'float16'
        ? new ort.Tensor('float16', float32ToFloat16(states), [total, T, d])
        : new ort.Tensor('float32', states, [total, T, d]);
    return { states: stateTensor, mask: new ort.Tensor('int64', mask, [total, T]) };
  }
}
