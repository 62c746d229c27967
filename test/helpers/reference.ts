/**
 * transformers.js as an independent reference: it runs MusicGen on the same ONNX files with its
 * own tokenizer wrapper, generation loop, guidance and delay-pattern code.
 */
import { AutoTokenizer, MusicgenForConditionalGeneration, PreTrainedModel, env } from '@huggingface/transformers';
import { float16ToFloat32 } from '../../src/main/engine/float16';

env.allowRemoteModels = false;
env.allowLocalModels = true;
env.localModelPath = '/';

export interface ReferenceOutput {
  /** [take][codebook][frame] */
  codes: number[][][];
  /** [take][channel] */
  audio: Float32Array[][];
}

type Model = Awaited<ReturnType<typeof MusicgenForConditionalGeneration.from_pretrained>>;
const cache = new Map<string, Promise<{ tokenizer: Awaited<ReturnType<typeof AutoTokenizer.from_pretrained>>; model: Model }>>();

/** transformers.js' dtype: one for every file ('q8' loads `*_quantized.onnx`, 'fp16' `*_fp16.onnx`), or one per file. */
export type ReferenceDtype = 'fp32' | 'q8' | 'fp16' | Record<string, 'fp32' | 'q8' | 'fp16'>;

function load(dir: string, dtype: ReferenceDtype) {
  const key = `${dir}|${JSON.stringify(dtype)}`;
  let entry = cache.get(key);
  if (!entry) {
    entry = (async () => ({
      tokenizer: await AutoTokenizer.from_pretrained(dir),
      model: await MusicgenForConditionalGeneration.from_pretrained(dir, { dtype, device: 'cpu' }),
    }))();
    cache.set(key, entry);
  }
  return entry;
}

/** Greedy generation with transformers.js; returns its codes (delay removed) and decoded audio. */
export async function referenceGenerate(
  dir: string,
  prompts: string[],
  maxNewTokens: number,
  guidanceScale: number,
  dtype: ReferenceDtype = 'fp32',
): Promise<ReferenceOutput> {
  const { tokenizer, model } = await load(dir, dtype);
  const inputs = tokenizer(prompts, { padding: true });
  const options = { ...inputs, max_new_tokens: maxNewTokens, do_sample: false, guidance_scale: guidanceScale };
  // The base class's generate returns the token ids; MusicGen's override removes the delay pattern
  // with the same helper we call here, then decodes with EnCodec.
  const ids = await PreTrainedModel.prototype.generate.call(model, options);
  const codesTensor = (model as any)._apply_and_filter_by_delay_pattern_mask(ids);
  const [B, K, F] = codesTensor.dims as number[];
  const flat = Array.from(codesTensor.data as BigInt64Array, Number);
  const codes = Array.from({ length: B }, (_, b) => Array.from({ length: K }, (_, k) => flat.slice((b * K + k) * F, (b * K + k + 1) * F)));
  const audioTensor = (await model.generate(options)) as { dims: number[]; data: Float32Array | Uint16Array };
  const [, C, L] = audioTensor.dims as number[];
  // An fp16 codec returns float16 audio (as its bits: Node has no Float16Array).
  const data = audioTensor.data instanceof Uint16Array ? float16ToFloat32(audioTensor.data) : audioTensor.data;
  const audio = Array.from({ length: B }, (_, b) => Array.from({ length: C }, (_, c) => data.slice((b * C + c) * L, (b * C + c + 1) * L)));
  return { codes, audio };
}
