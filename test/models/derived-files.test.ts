/**
 * `models verify` and `models pull` cover the decoder files the engine derives beside an installed
 * model (`*.continuo-*`): they are reported, and a bad one is removed so the next load rebuilds it.
 */
import { cpSync, existsSync, mkdirSync, readFileSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { MusicgenEngine, type Codes } from '../../src/main/engine';
import { pullModel } from '../../src/main/models/install';
import { createServices } from '../../src/main/services';
import { verifyModel } from '../../src/main/models/verify';
import { runCli } from '../helpers/cli';
import { tempDir } from '../helpers/models';
import { makeRepo } from './fixture';

const ID = 'musicgen-small';
const derived = (kind: 'with-past' | 'two-block' | 'cross') => `onnx/decoder_model_merged_quantized.continuo-${kind}.onnx`;
const ALL = [derived('with-past'), derived('two-block'), derived('cross')];
const work = tempDir('continuo-derived-');
let offline: string;
let n = 0;

async function install(): Promise<{ dataDir: string; dir: string }> {
  const dataDir = join(work, `data-${++n}`);
  const { dir } = await pullModel({ dataDir, id: ID, baseUrl: offline });
  return { dataDir, dir };
}

async function generate(dir: string): Promise<{ mode: string; codes: Codes }> {
  const engine = await MusicgenEngine.load(dir, { device: 'cpu', variant: 'q8' });
  try {
    return {
      mode: engine.decoderMode.mode,
      codes: (await engine.generate({ prompts: ['p'], maxNewTokens: 10, sampling: { greedy: true } })).takes[0].codes,
    };
  } finally {
    await engine.dispose();
  }
}

describe('derived decoder files of an installed model', () => {
  let reference: Codes;

  beforeAll(() => {
    const repo = makeRepo(join(work, 'repo'));
    mkdirSync(join(work, 'offline', 'Xenova'), { recursive: true });
    symlinkSync(repo.dir, join(work, 'offline', 'Xenova', 'musicgen-small'));
    offline = pathToFileURL(join(work, 'offline')).href;
  });

  it('verify reports intact derived files, and removes a bad one so the next load rebuilds it', async () => {
    const { dataDir, dir } = await install();
    const first = await generate(dir);
    expect(first.mode).toBe('split');
    reference = first.codes;

    const intact = await verifyModel(dataDir, ID);
    expect(intact.ok).toBe(true);
    expect(intact.derived).toEqual(ALL.map((file) => ({ file, state: 'ok' })));
    expect(intact.message).toMatch(/: all \d+ files are intact\. The 3 decoder files derived from it are intact too\.$/);

    // Another valid ONNX file where the cross-attention graph should be.
    cpSync(join(dir, 'onnx/text_encoder_quantized.onnx'), join(dir, derived('cross')));
    const result = await verifyModel(dataDir, ID);
    expect(result.ok).toBe(true);
    expect(result.problems).toEqual([]);
    expect(result.derived).toContainEqual({
      file: derived('cross'),
      state: 'removed',
      problem: 'contents changed since the decoder was split',
    });
    expect(result.derived.map((d) => d.state)).toEqual(['removed', 'removed', 'removed']);
    expect(result.message).toMatch(
      /Removed 3 derived decoder files that do not match the model \(.*continuo-cross\.onnx: contents changed since the decoder was split.*\); the next load rebuilds them\.$/,
    );
    expect(ALL.filter((f) => existsSync(join(dir, f)))).toEqual([]);

    const again = await generate(dir);
    expect(again).toEqual({ mode: 'split', codes: reference });
    expect((await verifyModel(dataDir, ID)).derived.map((d) => d.state)).toEqual(['ok', 'ok', 'ok']);
  });

  it('the models/verify method reports them', async () => {
    const { dataDir, dir } = await install();
    await generate(dir);
    cpSync(join(dir, 'onnx/encodec_decode.onnx'), join(dir, derived('with-past')));
    const services = createServices({ dataDir });
    try {
      const result = await services.call('models/verify', { id: ID });
      expect(result.ok).toBe(true);
      expect(result.derived).toContainEqual({
        file: derived('with-past'),
        state: 'removed',
        problem: 'contents changed since the decoder was split',
      });
      expect(result.message).toMatch(/Removed 3 derived decoder files that do not match the model/);
    } finally {
      await services.close();
    }
  });

  it('continuo models verify says which derived file it removed', async () => {
    const { dataDir, dir } = await install();
    await generate(dir);
    cpSync(join(dir, 'onnx/encodec_decode.onnx'), join(dir, derived('cross')));
    const result = await runCli(['--data-dir', dataDir, 'models', 'verify', ID]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(
      `${derived('cross')}: derived decoder file, contents changed since the decoder was split; removed, the next load rebuilds it.\n`,
    );
    expect(existsSync(join(dir, derived('cross')))).toBe(false);
  });

  it('pulling again removes a bad derived file even when every downloaded file is intact', async () => {
    const { dataDir, dir } = await install();
    await generate(dir);
    const foreign = readFileSync(join(dir, 'onnx/encodec_decode.onnx'));
    cpSync(join(dir, 'onnx/encodec_decode.onnx'), join(dir, derived('two-block')));
    const again = await pullModel({ dataDir, id: ID, baseUrl: offline });
    expect(again.downloaded).toEqual([]);
    expect(existsSync(join(dir, derived('two-block'))) && readFileSync(join(dir, derived('two-block'))).equals(foreign)).toBe(false);
    expect(await generate(dir)).toEqual({ mode: 'split', codes: reference });
  });
});
