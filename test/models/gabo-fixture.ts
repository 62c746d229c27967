/** A stand-in of gabotechs/music_gen's medium folders, built from the tiny test model. */
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { generateTestModel } from '../../models/generator';

export const GABO = 'gabotechs/music_gen';

/** medium/ (config, tokenizer), medium_fp32/ (merged + pair, .onnx_data, build_delay_pattern_mask), medium_fp16/ (pair only); no encodec_encoder.onnx. */
export function makeGaboRepo(dir: string): void {
  const tiny = join(dir, '..', 'tiny-src');
  generateTestModel(tiny, { preset: 'tiny' });
  mkdirSync(join(dir, 'medium'), { recursive: true });
  for (const f of ['config.json', 'generation_config.json', 'tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json'])
    copyFileSync(join(tiny, f), join(dir, 'medium', f));
  writeFileSync(join(dir, 'medium', 'spiece.model'), randomBytes(1000));
  writeFileSync(join(dir, 'medium', 'preprocessor_config.json'), '{}\n');
  const fp32 = join(dir, 'medium_fp32');
  mkdirSync(fp32);
  copyFileSync(join(tiny, 'onnx/text_encoder.onnx'), join(fp32, 'text_encoder.onnx'));
  copyFileSync(join(tiny, 'onnx/decoder_model_merged.onnx'), join(fp32, 'decoder_model_merged.onnx'));
  writeFileSync(join(fp32, 'decoder_model_merged.onnx_data'), randomBytes(200_000));
  writeFileSync(join(fp32, 'decoder_model.onnx'), randomBytes(5000));
  writeFileSync(join(fp32, 'decoder_model.onnx_data'), randomBytes(90_000));
  writeFileSync(join(fp32, 'decoder_with_past_model.onnx'), randomBytes(5000));
  writeFileSync(join(fp32, 'decoder_with_past_model.onnx_data'), randomBytes(80_000));
  copyFileSync(join(tiny, 'onnx/encodec_decode.onnx'), join(fp32, 'encodec_decode.onnx'));
  writeFileSync(join(fp32, 'build_delay_pattern_mask.onnx'), randomBytes(3000));
  const fp16 = join(dir, 'medium_fp16');
  mkdirSync(fp16);
  writeFileSync(join(fp16, 'text_encoder.onnx'), randomBytes(4000));
  writeFileSync(join(fp16, 'decoder_model.onnx'), randomBytes(6000));
  writeFileSync(join(fp16, 'decoder_model.onnx_data'), randomBytes(70_000));
  writeFileSync(join(fp16, 'decoder_with_past_model.onnx'), randomBytes(6000));
  writeFileSync(join(fp16, 'decoder_with_past_model.onnx_data'), randomBytes(60_000));
  writeFileSync(join(fp16, 'encodec_decode.onnx'), randomBytes(3000));
  writeFileSync(join(fp16, 'build_delay_pattern_mask.onnx'), randomBytes(3000));
}
