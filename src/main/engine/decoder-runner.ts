/**
 * One merged-decoder step with the KV cache. The self-attention cache is the previous step's
 * `present.*.decoder.*`; the cross-attention cache is taken from the first step only, because
 * the cached branch of optimum's merged decoder returns empty placeholders for it.
 */
import * as ort from 'onnxruntime-node';
import type { ModelSpec } from './config';
import { float16ToFloat32 } from './float16';

export interface StepOutput {
  /** Logits of the last position, one row of `codebookSize` per decoder row, as float32. */
  logits: Float32Array;
  runMs: number;
}

type FloatType = 'float32' | 'float16';

export class DecoderRunner {
  private readonly pastNames: string[] = [];
  private readonly cacheType: FloatType;
  private readonly stateType: FloatType;
  private cache = new Map<string, ort.Tensor>();
  private feeds: Record<string, ort.Tensor> = {};
  private lastLogits = new Float32Array(0);
  private readonly useCacheFalse = new ort.Tensor('bool', Uint8Array.of(0), [1]);
  private readonly useCacheTrue = new ort.Tensor('bool', Uint8Array.of(1), [1]);

  constructor(
    private readonly session: ort.InferenceSession,
    private readonly spec: ModelSpec,
  ) {
    const meta = new Map(session.inputMetadata.map((m) => [m.name, m]));
    for (let i = 0; i < spec.layers; i++) {
      for (const part of ['decoder.key', 'decoder.value', 'encoder.key', 'encoder.value']) {
        this.pastNames.push(`past_key_values.${i}.${part}`);
      }
    }
    const typeOf = (name: string): FloatType => {
      const m = meta.get(name);
      return m && m.isTensor && m.type === 'float16' ? 'float16' : 'float32';
    };
    this.cacheType = typeOf(this.pastNames[0]);
    this.stateType = typeOf('encoder_hidden_states');
  }

  /** The dtype the decoder wants for `encoder_hidden_states`. */
  get encoderStateType(): FloatType {
    return this.stateType;
  }

  /** Starts a sequence: `samples` counts conditional and unconditional rows (before × codebooks). */
  begin(encoderStates: ort.Tensor, encoderMask: ort.Tensor, samples: number): void {
    this.feeds = { encoder_hidden_states: encoderStates, encoder_attention_mask: encoderMask };
    this.cache.clear();
    const empty = this.cacheType === 'float16' ? new Uint16Array(0) : new Float32Array(0);
    for (const name of this.pastNames) {
      this.cache.set(name, new ort.Tensor(this.cacheType, empty, [samples, this.spec.heads, 0, this.spec.headDim]));
    }
  }

  async step(inputIds: BigInt64Array, rows: number, length: number, first: boolean): Promise<StepOutput> {
    const feeds = this.feeds;
    feeds.input_ids = new ort.Tensor('int64', inputIds, [rows, length]);
    feeds.use_cache_branch = first ? this.useCacheFalse : this.useCacheTrue;
    for (const name of this.pastNames) feeds[name] = this.cache.get(name)!;

    const started = performance.now();
    const out = await this.session.run(feeds);
    const runMs = performance.now() - started;

    for (const name of this.pastNames) {
      if (!first && name.includes('.encoder.')) continue;
      this.cache.set(name, out[name.replace('past_key_values', 'present')]);
    }
    return { logits: this.lastPosition(out.logits, rows, length), runMs };
  }

  /** Drops the cache so its memory can be reclaimed (after a take, or on cancel). */
  end(): void {
    this.cache.clear();
    this.feeds = {};
  }

  private lastPosition(logits: ort.Tensor, rows: number, length: number): Float32Array {
    const vocab = this.spec.codebookSize;
    if (length === 1 && logits.type === 'float32') return logits.data as Float32Array;
    if (this.lastLogits.length !== rows * vocab) this.lastLogits = new Float32Array(rows * vocab);
    const data = logits.data as Float32Array | Uint16Array;
    for (let r = 0; r < rows; r++) {
      const from = (r * length + length - 1) * vocab;
      const row = data.subarray(from, from + vocab);
      if (row instanceof Uint16Array) float16ToFloat32(row, this.lastLogits.subarray(r * vocab, (r + 1) * vocab));
      else this.lastLogits.set(row, r * vocab);
    }
    return this.lastLogits;
  }
}
