import { mkdirSync, readFileSync, rmSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { pullModel } from '../../src/main/models/install';
import { MANIFEST_NAME } from '../../src/main/models/manifest';
import { verifyModel, type VerifyProgress } from '../../src/main/models/verify';
import { tempDir } from '../helpers/models';
import { makeRepo, type RepoFixture } from './fixture';

const DECODER = 'onnx/decoder_model_merged_quantized.onnx';
const work = tempDir('continuo-verify-');
let repo: RepoFixture;
let dataDir: string;
let dir: string;
let n = 0;

beforeAll(() => {
  repo = makeRepo(join(work, 'repo'));
  mkdirSync(join(work, 'offline', 'Xenova'), { recursive: true });
  symlinkSync(repo.dir, join(work, 'offline', 'Xenova', 'musicgen-small'));
});

// A fresh install for each test, copied from the offline folder (no network needed).
beforeEach(async () => {
  dataDir = join(work, `data-${++n}`);
  ({ dir } = await pullModel({ dataDir, id: 'musicgen-small', baseUrl: pathToFileURL(join(work, 'offline')).href }));
});

describe('verifyModel', () => {
  it('passes an intact install, hashing every recorded file', async () => {
    const progress: VerifyProgress[] = [];
    const result = await verifyModel(dataDir, 'musicgen-small', { onProgress: (p) => progress.push(p) });
    expect(result).toMatchObject({ ok: true, problems: [], message: 'musicgen-small: all 9 files are intact.' });
    // Copied from an offline folder: nothing published a sha256, and verify says so.
    expect(result.warnings).toEqual([expect.stringMatching(/^size checked only: no published sha256 for .*config\.json/)]);
    const finished = progress.filter((p) => p.bytes === p.totalBytes).map((p) => p.file);
    expect(new Set(finished).size).toBe(9);
    expect(progress.find((p) => p.file === DECODER && p.bytes === p.totalBytes)?.totalBytes).toBe(repo.files[DECODER].bytes);
  });

  it('finds a single flipped byte', async () => {
    const path = join(dir, DECODER);
    const bytes = readFileSync(path);
    bytes[bytes.length >> 1] ^= 0x80;
    writeFileSync(path, bytes);
    const result = await verifyModel(dataDir, 'musicgen-small');
    expect(result.ok).toBe(false);
    expect(result.problems).toEqual([{ file: DECODER, problem: 'sha256' }]);
    expect(result.message).toBe(
      `musicgen-small is damaged (${DECODER}: contents changed). Run "npm run -s continuo -- models pull musicgen-small --variant q8 --yes" again to repair it.`,
    );
  });

  it('finds a truncated file and a missing one', async () => {
    truncateSync(join(dir, 'onnx/encodec_decode.onnx'), 1000);
    rmSync(join(dir, 'tokenizer.json'));
    const result = await verifyModel(dataDir, 'musicgen-small');
    expect(result.problems).toEqual([
      { file: 'onnx/encodec_decode.onnx', problem: 'size' },
      { file: 'tokenizer.json', problem: 'missing' },
    ]);
    expect(result.message).toMatch(/npm run -s continuo -- models pull musicgen-small --variant q8 --yes/);
  });

  it('says what to do when there is nothing to check against', async () => {
    rmSync(join(dir, MANIFEST_NAME));
    await expect(verifyModel(dataDir, 'musicgen-small')).rejects.toThrow(
      /no readable continuo-install\.json.*Reinstall it with: npm run -s continuo -- models pull musicgen-small --yes$/,
    );
    await expect(verifyModel(dataDir, 'musicgen-large')).rejects.toThrow(/"musicgen-large" is not installed/);
  });

  it('is fixed by pulling again', async () => {
    truncateSync(join(dir, DECODER), 10);
    expect((await verifyModel(dataDir, 'musicgen-small')).ok).toBe(false);
    const again = await pullModel({ dataDir, id: 'musicgen-small', baseUrl: pathToFileURL(join(work, 'offline')).href });
    expect(again.downloaded).toEqual([DECODER]);
    expect((await verifyModel(dataDir, 'musicgen-small')).ok).toBe(true);
  });
});
