/**
 * Writes a random-weight MusicGen model folder in the file layout and ONNX I/O contract of the
 * Hub export `Xenova/musicgen-small`, so the engine and transformers.js can both run it.
 *
 * Besides fp32 it writes the Hub's other layouts on request: the q8 (`*_quantized`) and fp16
 * (`*_fp16`) variants (text encoder, decoder and codec decoder, made from the fp32 graphs by the
 * transforms in quantize.ts and half.ts), the decoder's weights in ONNX external data
 * (`*.onnx_data`), and the unmerged `decoder_model` + `decoder_with_past_model` pair.
 */
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildCodecDecoder, buildCodecEncoder } from './codec';
import { configJson, generationConfigJson } from './configs';
import { buildDecoder } from './decoder';
import { toFloat16 } from './half';
import { modelOf, type ModelDoc } from './model-doc';
import { PRESETS } from './presets';
import { quantizeQ8, type Q8Options } from './quantize';
import { buildTextEncoder } from './text-encoder';
import { buildVocab, tokenizerConfigJson, tokenizerJson } from './tokenizer';
import { unmergeDecoder } from './unmerge';
import { writeModel } from './write-model';

export { PRESETS, presetNames } from './presets';
export { GENERATOR_VERSION, TEST_MODEL_MARKER } from './configs';
export { readModel, type ModelDoc } from './model-doc';
export { quantizeQ8, type Q8Options } from './quantize';
export { toFloat16 } from './half';
export { unmergeDecoder } from './unmerge';
export { writeModel } from './write-model';

export type GeneratedVariant = 'fp32' | 'q8' | 'fp16';
const SUFFIX: Record<GeneratedVariant, string> = { fp32: '', q8: '_quantized', fp16: '_fp16' };

export interface GenerateOptions {
  preset: string;
  seed?: number;
  /** Precision variants to write (default fp32 only); `encodec_encoder.onnx` is always fp32. */
  variants?: GeneratedVariant[];
  /** How the q8 variant quantizes (default: int8 per tensor, embeddings gathered then dequantized). */
  q8?: Q8Options;
  /** The decoder as optimum's merged file (default), the unmerged pair, or both. */
  decoderLayout?: 'merged' | 'pair' | 'both';
  /** Store the decoders' weights as ONNX external data, `<file>.onnx_data`. */
  externalData?: boolean;
}

/** A model in the given variant. */
export function variantOf(doc: ModelDoc, variant: GeneratedVariant, q8?: Q8Options): ModelDoc {
  if (variant === 'q8') return quantizeQ8(doc, q8);
  if (variant === 'fp16') return toFloat16(doc);
  return doc;
}

/** Writes a decoder in the requested layout(s), with its weights inline or as external data. */
export function writeDecoder(
  folder: string,
  merged: ModelDoc,
  suffix: string,
  options: Pick<GenerateOptions, 'decoderLayout' | 'externalData'>,
): void {
  const write = (name: string, doc: ModelDoc) => {
    const file = `${name}${suffix}.onnx`;
    writeModel(join(folder, file), doc, options.externalData ? { externalData: `${file}_data` } : {});
  };
  const layout = options.decoderLayout ?? 'merged';
  if (layout !== 'pair') write('decoder_model_merged', merged);
  if (layout !== 'merged') {
    const { noPast, withPast } = unmergeDecoder(merged);
    write('decoder_model', noPast);
    write('decoder_with_past_model', withPast);
  }
}

/** Generates the model into `dir` (replacing it), writing to a sibling temp folder first. */
export function generateTestModel(dir: string, options: GenerateOptions): void {
  const preset = PRESETS[options.preset];
  if (!preset) throw new Error(`Unknown test-model preset "${options.preset}" (known: ${Object.keys(PRESETS).join(', ')}).`);
  const seed = options.seed ?? 1234;
  const tmp = `${dir}.partial-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(join(tmp, 'onnx'), { recursive: true });
  try {
    const vocab = buildVocab();
    const json = (name: string, value: object) => writeFileSync(join(tmp, name), `${JSON.stringify(value, null, 2)}\n`);
    json('config.json', configJson(preset, vocab.length, seed));
    json('generation_config.json', generationConfigJson(preset));
    json('tokenizer.json', tokenizerJson(vocab));
    json('tokenizer_config.json', tokenizerConfigJson(preset.text.maxPositions));
    json('special_tokens_map.json', { eos_token: '</s>', pad_token: '<pad>', unk_token: '<unk>' });
    const onnx = join(tmp, 'onnx');
    for (const variant of options.variants ?? ['fp32']) {
      const suffix = SUFFIX[variant];
      const made = (doc: ModelDoc) => variantOf(doc, variant, options.q8);
      writeModel(join(onnx, `text_encoder${suffix}.onnx`), made(modelOf(buildTextEncoder(preset, vocab.length, seed))));
      writeDecoder(onnx, made(modelOf(buildDecoder(preset, seed))), suffix, options);
      writeModel(join(onnx, `encodec_decode${suffix}.onnx`), made(modelOf(buildCodecDecoder(preset, seed))));
    }
    writeModel(join(onnx, 'encodec_encoder.onnx'), modelOf(buildCodecEncoder(preset, seed)));
    rmSync(dir, { recursive: true, force: true });
    renameSync(tmp, dir);
  } catch (error) {
    rmSync(tmp, { recursive: true, force: true });
    throw error;
  }
}
