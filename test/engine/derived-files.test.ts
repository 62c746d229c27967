/**
 * The decoder files Continuo derives beside a model (`*.continuo-*`, see onnx-split) are a cache:
 * a corrupt, foreign or stale one is discarded and rebuilt at load instead of failing, and the
 * stamp that vouches for them covers every file they read, external-data files included.
 */
import { cpSync, readFileSync, statSync, truncateSync, utimesSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import onnxProto from 'onnx-proto';
import { beforeAll, describe, expect, it } from 'vitest';
import { MusicgenEngine, type Codes } from '../../src/main/engine';
import { checkDerivedFiles } from '../../src/main/engine/derived-files';
import { tempDir, testModel } from '../helpers/models';

const { onnx } = onnxProto;
const MERGED = 'onnx/decoder_model_merged.onnx';
const derived = (kind: 'with-past' | 'two-block' | 'cross') => `onnx/decoder_model_merged.continuo-${kind}.onnx`;
const sha = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');
const request = { prompts: ['p'], maxNewTokens: 12, sampling: { greedy: true } };

describe('derived decoder files', () => {
  const source = testModel('tiny');
  const work = tempDir();
  let n = 0;
  /** A copy of the model that has been loaded once, so its derived files and stamp exist. */
  let loaded: string;
  let reference: Codes;
  let hashes: Record<string, string>;

  const copy = (from = source) => {
    const dir = join(work, `m${n++}`);
    cpSync(from, dir, { recursive: true, preserveTimestamps: true });
    return dir;
  };

  async function generate(dir: string) {
    const engine = await MusicgenEngine.load(dir, { device: 'cpu' });
    try {
      return { mode: engine.decoderMode, codes: (await engine.generate(request)).takes[0].codes };
    } finally {
      await engine.dispose();
    }
  }

  beforeAll(async () => {
    loaded = copy();
    const first = await generate(loaded);
    expect(first.mode).toMatchObject({ mode: 'split', cache: 'two-block' });
    reference = first.codes;
    hashes = Object.fromEntries((['with-past', 'two-block', 'cross'] as const).map((k) => [k, sha(join(loaded, derived(k)))]));
  });

  it('a truncated derived file is rebuilt at load instead of failing', async () => {
    const dir = copy(loaded);
    truncateSync(join(dir, derived('two-block')), 100);
    const again = await generate(dir);
    expect(again.mode).toMatchObject({ mode: 'split', cache: 'two-block' });
    expect(again.codes).toEqual(reference);
    expect(sha(join(dir, derived('two-block')))).toBe(hashes['two-block']);
  });

  it('another valid ONNX graph in place of a derived file is rebuilt at load', async () => {
    const dir = copy(loaded);
    cpSync(join(dir, 'onnx/text_encoder.onnx'), join(dir, derived('cross')));
    const again = await generate(dir);
    expect(again.mode).toMatchObject({ mode: 'split', cache: 'two-block' });
    expect(again.codes).toEqual(reference);
    expect(sha(join(dir, derived('cross')))).toBe(hashes.cross);
  });

  it('a derived file with the wrong inputs and outputs is rebuilt even when the stamp vouches for it', async () => {
    const dir = copy(loaded);
    cpSync(join(dir, 'onnx/encodec_decode.onnx'), join(dir, derived('two-block')));
    // Record the foreign file in the stamp, as if it had been written by the split: only the
    // check of its declared inputs and outputs after opening can tell.
    const stampPath = join(dir, `${MERGED}.continuo-split.json`);
    const stamp = JSON.parse(readFileSync(stampPath, 'utf8'));
    stamp.derived['decoder_model_merged.continuo-two-block.onnx'] = sha(join(dir, derived('two-block')));
    writeFileSync(stampPath, JSON.stringify(stamp));
    const again = await generate(dir);
    expect(again.mode).toMatchObject({ mode: 'split', cache: 'two-block' });
    expect(again.codes).toEqual(reference);
    expect(sha(join(dir, derived('two-block')))).toBe(hashes['two-block']);
  });

  it('checkDerivedFiles reports intact derived files and removes a bad one with its stamp', () => {
    const dir = copy(loaded);
    expect(checkDerivedFiles(join(dir, MERGED)).map((r) => [r.path, r.state])).toEqual(
      (['with-past', 'two-block', 'cross'] as const).map((k) => [join(dir, derived(k)), 'ok']),
    );
    const bytes = readFileSync(join(dir, derived('cross')));
    bytes[bytes.length >> 1] ^= 0x55;
    writeFileSync(join(dir, derived('cross')), bytes);
    const report = checkDerivedFiles(join(dir, MERGED));
    expect(report.find((r) => r.path.endsWith('continuo-cross.onnx'))).toEqual({
      path: join(dir, derived('cross')),
      state: 'removed',
      problem: 'contents changed since the decoder was split',
    });
    expect(report.every((r) => r.state === 'removed')).toBe(true);
    expect(checkDerivedFiles(join(dir, MERGED))).toEqual([]);
  });

  describe('with the weights in an external-data file', () => {
    let dir: string;

    beforeAll(() => {
      // The merged decoder with every large initializer moved to decoder_model_merged.onnx_data.
      dir = copy();
      const path = join(dir, MERGED);
      const model = onnx.ModelProto.decode(readFileSync(path));
      const chunks: Buffer[] = [];
      let offset = 0;
      for (const t of model.graph!.initializer!) {
        if (!t.rawData || t.rawData.length < 1024) continue;
        chunks.push(Buffer.from(t.rawData));
        t.externalData = [
          { key: 'location', value: 'decoder_model_merged.onnx_data' },
          { key: 'offset', value: String(offset) },
          { key: 'length', value: String(t.rawData.length) },
        ];
        t.dataLocation = onnx.TensorProto.DataLocation.EXTERNAL;
        offset += t.rawData.length;
        t.rawData = new Uint8Array(0);
      }
      expect(offset).toBeGreaterThan(100_000);
      writeFileSync(`${path}_data`, Buffer.concat(chunks));
      writeFileSync(path, onnx.ModelProto.encode(model).finish());
    });

    it('splits it, and a changed external-data file makes the split be checked again', async () => {
      const first = await generate(dir);
      expect(first.mode).toMatchObject({ mode: 'split', cache: 'two-block' });
      expect(first.codes).toEqual(reference);
      // A verdict that keeps the merged decoder, stamped against the files as they are now.
      const stampPath = join(dir, `${MERGED}.continuo-split.json`);
      writeFileSync(stampPath, JSON.stringify({ ...JSON.parse(readFileSync(stampPath, 'utf8')), valid: false, reason: 'forced' }));
      expect((await generate(dir)).mode).toMatchObject({ mode: 'merged', note: 'forced' });
      // The weights file is replaced (same bytes, new time), the .onnx file is not: the stamp no
      // longer vouches for the split, so it is derived and probed again.
      const data = join(dir, `${MERGED}_data`);
      const later = new Date(statSync(data).mtimeMs + 5000);
      utimesSync(data, later, later);
      const again = await generate(dir);
      expect(again.mode).toMatchObject({ mode: 'split', cache: 'two-block' });
      expect(again.codes).toEqual(reference);
    });
  });
});
