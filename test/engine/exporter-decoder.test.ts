/**
 * The engine on a decoder made the way the Hub's were (test/fixtures/torch-tiny: torch.onnx.export
 * of transformers' BART-style MusicGen decoder, merged as optimum merges it), in fp32 and in the
 * q8 and fp16 variants made from it by the generator's transforms: the split decoder with the
 * two-block cache engages, and greedy decoding picks exactly transformers.js' codes.
 */
import { copyFileSync, cpSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { readModel, quantizeQ8, toFloat16, writeModel } from '../../models/generator';
import { MusicgenEngine } from '../../src/main/engine';
import { tempDir } from '../helpers/models';
import { referenceGenerate } from '../helpers/reference';
import { variantModel } from '../helpers/variant-models';

const FIXTURE = join(__dirname, '../fixtures/torch-tiny/onnx');
const PROMPTS = ['warm lo-fi piano', 'a longer second prompt, so the text mask pads'];
const STEPS = 30;
/** The export's with-past graph was traced for one position: a context goes in position by position. */
const PREFILL_NOTE = /^a context is fed position by position: a multi-position prefill differed from the export's by /;

describe('a torch-exported, optimum-merged decoder', () => {
  let dir: string;
  beforeAll(() => {
    // The generated tiny model (every variant of its text encoder and codec) with the fixture's decoder.
    dir = join(tempDir('continuo-exporter-'), 'model');
    cpSync(variantModel({ preset: 'tiny', variants: ['fp32', 'q8', 'fp16'] }), dir, { recursive: true });
    rmSync(join(dir, 'onnx/decoder_model_merged_quantized.onnx'));
    rmSync(join(dir, 'onnx/decoder_model_merged_fp16.onnx'));
    const merged = join(FIXTURE, 'decoder_model_merged.onnx');
    copyFileSync(merged, join(dir, 'onnx/decoder_model_merged.onnx'));
    writeModel(join(dir, 'onnx/decoder_model_merged_quantized.onnx'), quantizeQ8(readModel(merged)));
    writeModel(join(dir, 'onnx/decoder_model_merged_fp16.onnx'), toFloat16(readModel(merged)));
  });

  it.each(['fp32', 'q8', 'fp16'] as const)('%s: split with the two-block cache, the codes of transformers.js', async (variant) => {
    const engine = await MusicgenEngine.load(dir, { device: 'cpu', variant });
    try {
      expect(engine.decoderMode).toMatchObject({ mode: 'split', cache: 'two-block' });
      expect(engine.decoderMode.note).toMatch(PREFILL_NOTE);
      const result = await engine.generate({ prompts: PROMPTS, maxNewTokens: STEPS, guidanceScale: 3, sampling: { greedy: true } });
      const reference = await referenceGenerate(dir, PROMPTS, STEPS, 3, variant);
      expect(result.takes.map((t) => t.codes)).toEqual(reference.codes);
    } finally {
      await engine.dispose();
    }
  });

  it('continues a context fed position by position with the codes of the export fed it at once', async () => {
    const split = await MusicgenEngine.load(dir, { device: 'cpu' });
    const context = (await split.generate({ prompts: ['p'], maxNewTokens: 20, sampling: { greedy: true } })).takes[0].codes;
    const request = { prompts: ['p'], maxNewTokens: 16, guidanceScale: 3, sampling: { greedy: true }, context };
    const a = await split.generate(request);
    await split.dispose();
    // The export as it is (the unmerged pair, its split refused by the stamp): the context goes
    // through decoder_model.onnx at once.
    const pairDir = join(tempDir('continuo-exporter-pair-'), 'model');
    cpSync(dir, pairDir, { recursive: true });
    rmSync(join(pairDir, 'onnx/decoder_model_merged.onnx'));
    for (const f of ['decoder_model.onnx', 'decoder_with_past_model.onnx']) copyFileSync(join(FIXTURE, f), join(pairDir, 'onnx', f));
    await (await MusicgenEngine.load(pairDir, { device: 'cpu' })).dispose();
    const stamp = join(pairDir, 'onnx/decoder_with_past_model.onnx.continuo-split.json');
    writeFileSync(stamp, JSON.stringify({ ...JSON.parse(readFileSync(stamp, 'utf8')), valid: false, reason: 'forced' }));
    const pair = await MusicgenEngine.load(pairDir, { device: 'cpu' });
    expect(pair.decoderMode).toEqual({ mode: 'pair', cache: 'concat', note: 'forced' });
    const b = await pair.generate(request);
    await pair.dispose();
    expect(a.takes[0].codes[0].slice(0, context[0].length)).toEqual(context[0]);
    expect(b.takes[0].codes).toEqual(a.takes[0].codes);
  });
});
