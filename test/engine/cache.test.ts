/**
 * Cached decoding (the engine: one new position per step, K/V from the cache) must choose the
 * same tokens as recomputing the whole sequence at every step without any cache.
 */
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MusicgenEngine } from '../../src/main/engine';
import { PromptTokenizer } from '../../src/main/engine/tokenizer';
import { testModel } from '../helpers/models';

const K = 4;
const V = 2048;
const PAD = 2048;

/** Greedy decoding with guidance 1, recomputing the full delayed sequence at every step. */
async function uncachedGreedy(
  dir: string,
  prompt: string,
  steps: number,
  layers: number,
  heads: number,
  headDim: number,
): Promise<number[][]> {
  const tokenizer = PromptTokenizer.load(dir);
  const batch = tokenizer.encodeBatch([prompt]);
  const text = await ort.InferenceSession.create(`${dir}/onnx/text_encoder.onnx`);
  const decoder = await ort.InferenceSession.create(`${dir}/onnx/decoder_model_merged.onnx`);
  const mask = new ort.Tensor('int64', batch.mask, [1, batch.length]);
  const states = (await text.run({ input_ids: new ort.Tensor('int64', batch.ids, [1, batch.length]), attention_mask: mask }))
    .last_hidden_state;
  const seq: number[][] = Array.from({ length: K }, () => [PAD]);
  const empty = new ort.Tensor('float32', new Float32Array(0), [1, heads, 0, headDim]);
  for (let step = 0; step < steps; step++) {
    const length = seq[0].length;
    const ids = new BigInt64Array(K * length);
    seq.forEach((row, k) => row.forEach((t, p) => (ids[k * length + p] = BigInt(p <= k ? PAD : t))));
    const feeds: Record<string, ort.Tensor> = {
      input_ids: new ort.Tensor('int64', ids, [K, length]),
      encoder_hidden_states: states,
      encoder_attention_mask: mask,
      use_cache_branch: new ort.Tensor('bool', Uint8Array.of(0), [1]),
    };
    for (let i = 0; i < layers; i++) {
      for (const part of ['decoder.key', 'decoder.value', 'encoder.key', 'encoder.value']) feeds[`past_key_values.${i}.${part}`] = empty;
    }
    const logits = (await decoder.run(feeds)).logits.data as Float32Array;
    for (let k = 0; k < K; k++) {
      const start = (k * length + length - 1) * V;
      let best = 0;
      for (let v = 1; v < V; v++) if (logits[start + v] > logits[start + best]) best = v;
      seq[k].push(best);
    }
  }
  const frames = steps + 1 - K;
  return seq.map((row, k) => row.slice(1 + k, 1 + k + frames));
}

describe('KV cache', () => {
  let engine: MusicgenEngine;
  let dir: string;
  beforeAll(async () => {
    dir = testModel('tiny');
    engine = await MusicgenEngine.load(dir, { device: 'cpu' });
  });
  afterAll(() => engine?.dispose());

  it('picks the same tokens as full recomputation without a cache', async () => {
    const { layers, heads, headDim } = engine.spec;
    for (const prompt of ['dusty jazz drums with brushes', '']) {
      const expected = await uncachedGreedy(dir, prompt, 40, layers, heads, headDim);
      const result = await engine.generate({ prompts: [prompt], maxNewTokens: 40, guidanceScale: 1, sampling: { greedy: true } });
      expect(result.takes[0].codes).toEqual(expected);
    }
  });
});
