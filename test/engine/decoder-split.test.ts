/**
 * The merged decoder is split in two on first load (see onnx-split); the split is probed against
 * the merged file once and remembered. Where it cannot be split, the merged file is used.
 */
import { cpSync, existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import onnxProto from 'onnx-proto';
import { describe, expect, it } from 'vitest';
import { MusicgenEngine } from '../../src/main/engine';
import { tempDir, testModel } from '../helpers/models';

describe('decoder split', () => {
  const source = testModel('tiny');
  const work = tempDir();
  let n = 0;
  const copy = () => {
    const dir = join(work, `m${n++}`);
    cpSync(source, dir, { recursive: true });
    return dir;
  };
  /** Changes the verdict stamped beside the decoder (writing a fresh stamp if there is none). */
  const editStamp = (dir: string, fields: object) => {
    const merged = join(dir, 'onnx/decoder_model_merged.onnx');
    const path = `${merged}.continuo-split.json`;
    const { size, mtimeMs } = statSync(merged);
    const stamp = existsSync(path)
      ? JSON.parse(readFileSync(path, 'utf8'))
      : { version: 4, sources: [{ file: 'decoder_model_merged.onnx', size, mtimeMs }], derived: {} };
    writeFileSync(path, JSON.stringify({ ...stamp, ...fields }));
  };

  it('splits on first load into two small files that reference the merged weights', async () => {
    const dir = copy();
    const engine = await MusicgenEngine.load(dir, { device: 'cpu' });
    expect(engine.decoderMode).toMatchObject({ mode: 'split', cache: 'two-block' });
    const merged = statSync(join(dir, 'onnx/decoder_model_merged.onnx')).size;
    expect(statSync(join(dir, 'onnx/decoder_model_merged.continuo-with-past.onnx')).size).toBeLessThan(merged / 10);
    expect(statSync(join(dir, 'onnx/decoder_model_merged.continuo-cross.onnx')).size).toBeLessThan(merged / 10);
    const stamp = JSON.parse(readFileSync(join(dir, 'onnx/decoder_model_merged.onnx.continuo-split.json'), 'utf8'));
    expect(stamp).toMatchObject({ valid: true, multiTokenPrefill: true, cache: 'two-block' });
    expect(stamp.maxDifference).toBeLessThan(1e-3);
    const a = await engine.generate({ prompts: ['p'], maxNewTokens: 12, sampling: { greedy: true } });
    await engine.dispose();

    // The second load trusts the stamp and gives the same tokens.
    const again = await MusicgenEngine.load(dir, { device: 'cpu' });
    expect(again.decoderMode.mode).toBe('split');
    const b = await again.generate({ prompts: ['p'], maxNewTokens: 12, sampling: { greedy: true } });
    expect(b.takes[0].codes).toEqual(a.takes[0].codes);
    await again.dispose();
  });

  it('the two-block cache picks the same tokens as the merged decoder across many folds', async () => {
    const twoBlock = await MusicgenEngine.load(copy(), { device: 'cpu' });
    expect(twoBlock.decoderMode.cache).toBe('two-block');
    const dir = copy();
    editStamp(dir, { valid: false, multiTokenPrefill: false, maxDifference: 1, reason: 'forced' });
    const reference = await MusicgenEngine.load(dir, { device: 'cpu' });
    expect(reference.decoderMode.mode).toBe('merged');
    // 200 steps fold the recent block three times; two prompts and guidance cover the batch rows.
    const request = { prompts: ['p', 'a longer second prompt'], maxNewTokens: 200, guidanceScale: 3, sampling: { greedy: true } };
    const [a, b] = [await twoBlock.generate(request), await reference.generate(request)];
    expect(a.takes.map((t) => t.codes)).toEqual(b.takes.map((t) => t.codes));
    await Promise.all([twoBlock.dispose(), reference.dispose()]);
  });

  it("uses the export's own cache layout when the two-block rewrite does not fit it", async () => {
    const dir = copy();
    await (await MusicgenEngine.load(dir, { device: 'cpu' })).dispose();
    // A stamp that says the two-block file was rejected before: the plain cached branch is used.
    editStamp(dir, { valid: true, multiTokenPrefill: true, maxDifference: 0, cache: 'concat', reason: 'no fit' });
    const engine = await MusicgenEngine.load(dir, { device: 'cpu' });
    expect(engine.decoderMode).toEqual({ mode: 'split', cache: 'concat', note: 'no fit' });
    const result = await engine.generate({ prompts: ['p'], maxNewTokens: 8, sampling: { greedy: true } });
    expect(result.takes[0].codes[0]).toHaveLength(5);
    await engine.dispose();
  });

  it('uses the merged decoder when the stamp says the split did not match', async () => {
    const dir = copy();
    editStamp(dir, { valid: false, multiTokenPrefill: false, maxDifference: 1, reason: 'probe mismatch' });
    const engine = await MusicgenEngine.load(dir, { device: 'cpu' });
    expect(engine.decoderMode).toEqual({ mode: 'merged', cache: 'concat', note: 'probe mismatch' });
    const result = await engine.generate({ prompts: ['p'], maxNewTokens: 8, sampling: { greedy: true } });
    expect(result.takes[0].codes[0]).toHaveLength(5);
    await engine.dispose();
  });

  it('runs the merged decoder when the split computes something else, saying by how much', async () => {
    // The first-step branch scales its logits: no split of this file computes what it computes.
    const dir = copy();
    const path = join(dir, 'onnx/decoder_model_merged.onnx');
    const { onnx } = onnxProto;
    const model = onnx.ModelProto.decode(readFileSync(path));
    const first = model.graph!.node!.find((n) => n.opType === 'If')!.attribute!.find((a) => a.name === 'else_branch')!.g!;
    const logits = first.node!.find((n) => n.output![0] === first.output![0].name)!;
    logits.output = ['unscaled_logits'];
    first.initializer = [
      ...(first.initializer ?? []),
      { name: 'scale', dataType: onnx.TensorProto.DataType.FLOAT, dims: [], floatData: [1.5] },
    ];
    first.node!.push({ opType: 'Mul', input: ['unscaled_logits', 'scale'], output: [first.output![0].name!] });
    writeFileSync(path, onnx.ModelProto.encode(model).finish());
    const engine = await MusicgenEngine.load(dir, { device: 'cpu' });
    const { mode, cache, note } = engine.decoderMode;
    expect({ mode, cache }).toEqual({ mode: 'merged', cache: 'concat' });
    expect(note).toMatch(
      /^two-block cache refused: the split decoder differed from the export by [\d.]+ on single positions \(tolerance [\d.e-]+\); split refused: the split decoder differed from the export by [\d.]+ on single positions/,
    );
    await engine.dispose();
    // The verdict is remembered, with its reason.
    const again = await MusicgenEngine.load(dir, { device: 'cpu' });
    expect(again.decoderMode.note).toBe(note);
    await again.dispose();
  });

  it('refuses a decoder file that is another graph, naming it, instead of running it as is', async () => {
    const dir = copy();
    cpSync(join(dir, 'onnx/text_encoder.onnx'), join(dir, 'onnx/decoder_model_merged.onnx'));
    await expect(MusicgenEngine.load(dir, { device: 'cpu' })).rejects.toThrow(
      `${join(dir, 'onnx/decoder_model_merged.onnx')} declares inputs [input_ids, attention_mask] and outputs [last_hidden_state], but a merged MusicGen decoder takes`,
    );
  });
});
