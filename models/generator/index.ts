/**
 * Writes a random-weight MusicGen model folder in the file layout and ONNX I/O contract of the
 * Hub export `Xenova/musicgen-small`, so the engine and transformers.js can both run it.
 */
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildCodecDecoder, buildCodecEncoder } from './codec';
import { configJson, generationConfigJson } from './configs';
import { buildDecoder } from './decoder';
import { PRESETS } from './presets';
import { buildTextEncoder } from './text-encoder';
import { buildVocab, tokenizerConfigJson, tokenizerJson } from './tokenizer';
import { writeModel } from './write-model';

export { PRESETS, presetNames } from './presets';
export { GENERATOR_VERSION, TEST_MODEL_MARKER } from './configs';

export interface GenerateOptions {
  preset: string;
  seed?: number;
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
    writeModel(join(tmp, 'onnx/text_encoder.onnx'), buildTextEncoder(preset, vocab.length, seed));
    writeModel(join(tmp, 'onnx/decoder_model_merged.onnx'), buildDecoder(preset, seed));
    writeModel(join(tmp, 'onnx/encodec_decode.onnx'), buildCodecDecoder(preset, seed));
    writeModel(join(tmp, 'onnx/encodec_encoder.onnx'), buildCodecEncoder(preset, seed));
    rmSync(dir, { recursive: true, force: true });
    renameSync(tmp, dir);
  } catch (error) {
    rmSync(tmp, { recursive: true, force: true });
    throw error;
  }
}
