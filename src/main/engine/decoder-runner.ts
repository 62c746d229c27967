/**
 * One decoder step with the KV cache, for the two ways the decoder can be loaded:
 *
 * - `MergedDecoderRunner`: optimum's merged file (or the unmerged pair) as is. The self-attention
 *   cache is the previous step's `present.*.decoder.*`; the cross-attention cache is taken from the
 *   first step only, because the cached branch returns empty placeholders for it (transformers.js
 *   does the same).
 * - `SplitDecoderRunner`: the merged file split in two (see onnx-split): a small model computes
 *   the cross-attention K/V once, and the cached branch runs every step, the first one included.
 *   With the two-block graph, the self-attention cache is an old block the graph only reads and a
 *   recent block it returns grown by one step; every `foldEvery` steps the runner appends the
 *   recent block to the old one, so a step copies a few dozen positions instead of all of them.
 */
import * as ort from 'onnxruntime-node';
import type { ModelSpec } from './config';
import { float16ToFloat32 } from './float16';
import { recentName } from './onnx-split/two-block-cache';

export interface StepOutput {
  /** Logits of the last position, one row of `codebookSize` per decoder row, as float32. */
  logits: Float32Array;
  runMs: number;
}

export type FloatType = 'float32' | 'float16';

export interface StepRunner {
  /** The dtype the decoder wants for `encoder_hidden_states`. */
  readonly encoderStateType: FloatType;
  /** Starts a sequence: `samples` counts conditional and unconditional rows (before × codebooks). */
  begin(encoderStates: ort.Tensor, encoderMask: ort.Tensor, samples: number): Promise<void>;
  step(inputIds: BigInt64Array, rows: number, length: number, first: boolean): Promise<StepOutput>;
  /** Drops the cache so its memory can be reclaimed (after a take, or on cancel). */
  end(): void;
}

export function pastNames(layers: number): string[] {
  const names: string[] = [];
  for (let i = 0; i < layers; i++) {
    for (const part of ['decoder.key', 'decoder.value', 'encoder.key', 'encoder.value']) names.push(`past_key_values.${i}.${part}`);
  }
  return names;
}

export const presentName = (past: string) => past.replace('past_key_values', 'present');

export function floatTypeOf(session: ort.InferenceSession, name: string): FloatType {
  const m = session.inputMetadata.find((x) => x.name === name);
  return m && m.isTensor && m.type === 'float16' ? 'float16' : 'float32';
}

function emptyCache(type: FloatType, samples: number, spec: ModelSpec): ort.Tensor {
  return new ort.Tensor(type, type === 'float16' ? new Uint16Array(0) : new Float32Array(0), [samples, spec.heads, 0, spec.headDim]);
}

/** `a` followed by `b` along the sequence axis of [samples, heads, sequence, headDim] caches. */
export function appendPositions(a: ort.Tensor, b: ort.Tensor): ort.Tensor {
  const [samples, heads, lengthA, headDim] = a.dims;
  const lengthB = b.dims[2];
  if (lengthA === 0) return b;
  const x = a.data as Float32Array | Uint16Array;
  const y = b.data as Float32Array | Uint16Array;
  const out = x instanceof Uint16Array ? new Uint16Array(x.length + y.length) : new Float32Array(x.length + y.length);
  const sliceA = lengthA * headDim;
  const sliceB = lengthB * headDim;
  for (let row = 0; row < samples * heads; row++) {
    const at = row * (sliceA + sliceB);
    out.set(x.subarray(row * sliceA, (row + 1) * sliceA), at);
    out.set(y.subarray(row * sliceB, (row + 1) * sliceB), at + sliceA);
  }
  return new ort.Tensor(a.type as FloatType, out, [samples, heads, lengthA + lengthB, headDim]);
}

/** Copies out the logits of each row's last position (a view when there is only one). */
class LastLogits {
  private buffer = new Float32Array(0);

  constructor(private readonly vocab: number) {}

  of(logits: ort.Tensor, rows: number, length: number): Float32Array {
    if (length === 1 && logits.type === 'float32') return logits.data as Float32Array;
    const vocab = this.vocab;
    if (this.buffer.length !== rows * vocab) this.buffer = new Float32Array(rows * vocab);
    const data = logits.data as Float32Array | Uint16Array;
    for (let r = 0; r < rows; r++) {
      const from = (r * length + length - 1) * vocab;
      const row = data.subarray(from, from + vocab);
      if (row instanceof Uint16Array) float16ToFloat32(row, this.buffer.subarray(r * vocab, (r + 1) * vocab));
      else this.buffer.set(row, r * vocab);
    }
    return this.buffer;
  }
}

async function timed(
  session: ort.InferenceSession,
  feeds: Record<string, ort.Tensor>,
): Promise<{ out: ort.InferenceSession.ReturnType; runMs: number }> {
  const started = performance.now();
  const out = await session.run(feeds);
  return { out, runMs: performance.now() - started };
}

/** What both runners keep between steps: the KV cache, the constant feeds, the logits buffer. */
abstract class CachingRunner {
  protected readonly names: string[];
  protected readonly cacheType: FloatType;
  protected readonly cache = new Map<string, ort.Tensor>();
  protected feeds: Record<string, ort.Tensor> = {};
  protected readonly last: LastLogits;

  constructor(
    protected readonly spec: ModelSpec,
    cacheSession: ort.InferenceSession,
    readonly encoderStateType: FloatType,
  ) {
    this.names = pastNames(spec.layers);
    this.cacheType = floatTypeOf(cacheSession, this.names[0]);
    this.last = new LastLogits(spec.codebookSize);
  }

  end(): void {
    this.cache.clear();
    this.feeds = {};
  }
}

/**
 * Runs the decoder as exported: the merged file (both steps through its `If`), or the unmerged
 * pair (`first` for the first step, without a past; `cached` for the others, which returns the
 * self-attention presents only). Each session gets the inputs it declares.
 */
export class MergedDecoderRunner extends CachingRunner implements StepRunner {
  private readonly useCache = [new ort.Tensor('bool', Uint8Array.of(0), [1]), new ort.Tensor('bool', Uint8Array.of(1), [1])];

  constructor(
    private readonly first: ort.InferenceSession,
    spec: ModelSpec,
    private readonly cached: ort.InferenceSession = first,
  ) {
    super(spec, cached, floatTypeOf(first, 'encoder_hidden_states'));
  }

  async begin(encoderStates: ort.Tensor, encoderMask: ort.Tensor, samples: number): Promise<void> {
    this.feeds = { encoder_hidden_states: encoderStates, encoder_attention_mask: encoderMask };
    for (const name of this.names) this.cache.set(name, emptyCache(this.cacheType, samples, this.spec));
  }

  async step(inputIds: BigInt64Array, rows: number, length: number, first: boolean): Promise<StepOutput> {
    const session = first ? this.first : this.cached;
    const available: Record<string, ort.Tensor> = {
      ...this.feeds,
      input_ids: new ort.Tensor('int64', inputIds, [rows, length]),
      use_cache_branch: this.useCache[first ? 0 : 1],
    };
    for (const name of this.names) available[name] = this.cache.get(name)!;
    const feeds: Record<string, ort.Tensor> = {};
    for (const name of session.inputNames) feeds[name] = available[name];
    const { out, runMs } = await timed(session, feeds);
    for (const name of this.names) {
      // The cached branch returns empty placeholders (or nothing) for the cross-attention K/V.
      if (!first && name.includes('.encoder.')) continue;
      this.cache.set(name, out[presentName(name)]);
    }
    return { logits: this.last.of(out.logits, rows, length), runMs };
  }
}

/**
 * Feeds `length` positions one at a time through `step` (for graphs that take one position per
 * run, or to compare with a decoder run that way); returns the last position's logits.
 */
export async function stepByPosition(
  step: StepRunner['step'],
  inputIds: BigInt64Array,
  rows: number,
  length: number,
  first: boolean,
): Promise<StepOutput> {
  let runMs = 0;
  let logits: Float32Array = new Float32Array(0);
  for (let p = 0; p < length; p++) {
    const column = new BigInt64Array(rows);
    for (let r = 0; r < rows; r++) column[r] = inputIds[r * length + p];
    const out = await step(column, rows, 1, first && p === 0);
    runMs += out.runMs;
    logits = out.logits;
  }
  return { logits, runMs };
}

export interface SplitOptions {
  /**
   * Whether the cached branch handles several new positions at once; some exports traced it for
   * one position only, and then a context is fed position by position.
   */
  multiTokenPrefill: boolean;
  /** With the two-block graph: how many positions the recent block holds before it is folded. */
  foldEvery?: number;
}

export class SplitDecoderRunner extends CachingRunner implements StepRunner {
  /** With the two-block graph: the recent block of each self-attention cache, by past name. */
  private readonly recent: Map<string, ort.Tensor> | undefined;
  private readonly selfNames: string[];
  private readonly foldEvery: number;
  private crossPending = false;

  constructor(
    private readonly decoder: ort.InferenceSession,
    private readonly cross: ort.InferenceSession,
    spec: ModelSpec,
    private readonly options: SplitOptions,
  ) {
    super(spec, decoder, floatTypeOf(cross, 'encoder_hidden_states'));
    this.selfNames = this.names.filter((n) => !n.includes('.encoder.'));
    this.recent = decoder.inputNames.includes(recentName(this.selfNames[0])) ? new Map() : undefined;
    this.foldEvery = options.foldEvery ?? 64;
  }

  /** Whether this runner uses the two-block cache. */
  get twoBlock(): boolean {
    return this.recent !== undefined;
  }

  end(): void {
    super.end();
    this.recent?.clear();
  }

  async begin(encoderStates: ort.Tensor, encoderMask: ort.Tensor, samples: number): Promise<void> {
    this.feeds = { encoder_hidden_states: encoderStates, encoder_attention_mask: encoderMask };
    for (const name of this.names) if (!name.includes('.encoder.')) this.cache.set(name, emptyCache(this.cacheType, samples, this.spec));
    for (const name of this.selfNames) this.recent?.set(recentName(name), emptyCache(this.cacheType, samples, this.spec));
    this.crossPending = true;
  }

  /**
   * The cross-attention K/V, computed with the first step's feeds. The graph pruned from the
   * uncached branch may read any input of that branch besides the text states (exports take the
   * batch size from the Shape of the embedded `input_ids`), so it gets what the merged decoder's
   * first step gets: the first step's `input_ids` too.
   */
  private async computeCross(inputIds: ort.Tensor): Promise<number> {
    const crossFeeds: Record<string, ort.Tensor> = {};
    for (const name of this.cross.inputNames) {
      const value = name === 'input_ids' ? inputIds : this.feeds[name];
      if (!value) throw new Error(`the cross-attention graph reads ${name}, which the merged decoder's first step does not feed`);
      crossFeeds[name] = value;
    }
    const { out, runMs } = await timed(this.cross, crossFeeds);
    for (const name of this.names) if (name.includes('.encoder.')) this.cache.set(name, out[presentName(name)]);
    this.crossPending = false;
    return runMs;
  }

  async step(inputIds: BigInt64Array, rows: number, length: number, first: boolean): Promise<StepOutput> {
    if (length > 1 && !this.options.multiTokenPrefill) return stepByPosition((...a) => this.step(...a), inputIds, rows, length, first);
    const ids = new ort.Tensor('int64', inputIds, [rows, length]);
    const crossMs = this.crossPending ? await this.computeCross(ids) : 0;
    const feeds: Record<string, ort.Tensor> = {};
    for (const name of this.decoder.inputNames) {
      if (name === 'input_ids') feeds[name] = ids;
      else if (this.cache.has(name)) feeds[name] = this.cache.get(name)!;
      else if (this.recent?.has(name)) feeds[name] = this.recent.get(name)!;
      else if (this.feeds[name]) feeds[name] = this.feeds[name];
    }
    const { out, runMs } = await timed(this.decoder, feeds);
    if (this.recent) this.keepRecent(out);
    else for (const name of this.selfNames) this.cache.set(name, out[presentName(name)]);
    return { logits: this.last.of(out.logits, rows, length), runMs: runMs + crossMs };
  }

  private keepRecent(out: ort.InferenceSession.ReturnType): void {
    const recent = this.recent!;
    const fold = out[presentName(this.selfNames[0])].dims[2] >= this.foldEvery;
    for (const name of this.selfNames) {
      const grown = out[presentName(name)];
      if (fold) {
        this.cache.set(name, appendPositions(this.cache.get(name)!, grown));
        recent.set(recentName(name), emptyCache(this.cacheType, grown.dims[0], this.spec));
      } else {
        recent.set(recentName(name), grown);
      }
    }
  }
}
