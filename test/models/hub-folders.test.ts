/**
 * gabotechs/music_gen's layout: `medium/` config and tokenizer, `medium_fp32/` and `medium_fp16/`
 * un-suffixed ONNX files (with .onnx_data), no encodec_encoder.onnx, no medium_i8/ here. Tiny
 * stand-ins are served by the loopback Hub with the tree API (sizes, lfs sha256).
 */
import { existsSync, mkdirSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { findModel, loadCatalog, variantsOf } from '../../src/main/models/catalog';
import { pullModel } from '../../src/main/models/install';
import { readManifest } from '../../src/main/models/manifest';
import { listRepoFolder } from '../../src/main/models/source';

const fast = { retryDelayMs: 5, stallTimeoutMs: 2000 };
import { startHubServer, type HubServer } from '../helpers/hub-server';
import { tempDir } from '../helpers/models';
import { sha256Of } from './fixture';
import { GABO, makeGaboRepo } from './gabo-fixture';

const work = tempDir('continuo-hubfolders-');
const repoDir = join(work, 'gabo');
let hub: HubServer;
let n = 0;
const freshDataDir = () => join(work, `data-${++n}`);
const gets = () =>
  hub.requests.filter((r) => r.method === 'GET' && !r.url.startsWith('/cdn/') && !r.url.startsWith('/api/')).map((r) => r.file);

beforeAll(async () => {
  makeGaboRepo(repoDir);
  hub = await startHubServer({ repos: { [GABO]: repoDir }, lfsRedirect: true, treePageSize: 3 });
});
afterAll(() => hub?.close());
afterEach(() => {
  hub.clearFaults();
  hub.requests.length = 0;
});

describe('the bundled catalog', () => {
  it('offers medium and large from gabotechs/music_gen by folder, with approximate sizes, architecture and tier', () => {
    const catalog = loadCatalog();
    for (const [id, size, tier] of [
      ['musicgen-medium', 'medium', 2],
      ['musicgen-large', 'large', 3],
    ] as const) {
      const entry = findModel(id, catalog);
      expect(entry).toMatchObject({ repo: GABO, revision: 'main', tier, defaultVariant: 'q8', licence: { id: 'CC-BY-NC-4.0' } });
      expect(entry.hubFolders).toEqual({ config: size, variants: { fp32: `${size}_fp32`, fp16: `${size}_fp16`, q8: `${size}_i8` } });
      expect(variantsOf(entry)).toEqual(['fp32', 'fp16', 'q8']);
      for (const v of variantsOf(entry)) expect(entry.approxBytes?.[v]).toBeGreaterThan(1e9);
    }
    expect(findModel('musicgen-small', catalog).hubFolders).toBeUndefined();
  });
});

describe('the tree API', () => {
  it("lists one folder, following the Hub's pages, with sizes and the lfs sha256 of LFS files only", async () => {
    const files = await listRepoFolder(hub.baseUrl, GABO, 'main', 'medium_fp32');
    expect(files.map((f) => f.path)).toEqual(
      readdirSync(join(repoDir, 'medium_fp32'))
        .sort()
        .map((f) => `medium_fp32/${f}`),
    );
    expect(hub.requests.filter((r) => r.url.startsWith('/api/')).length).toBe(Math.ceil(files.length / 3));
    const merged = files.find((f) => f.path === 'medium_fp32/decoder_model_merged.onnx_data')!;
    expect(merged).toEqual({
      path: 'medium_fp32/decoder_model_merged.onnx_data',
      bytes: 200_000,
      sha256: sha256Of(join(repoDir, 'medium_fp32/decoder_model_merged.onnx_data')),
    });
    const config = (await listRepoFolder(hub.baseUrl, GABO, 'main', 'medium')).find((f) => f.path === 'medium/config.json')!;
    expect(config.sha256).toBeNull();
    await expect(listRepoFolder(hub.baseUrl, GABO, 'main', 'medium_i8')).rejects.toThrow(/gabotechs\/music_gen has no folder "medium_i8"/);
  });
});

describe('pulling musicgen-medium from its folders', () => {
  const dataDir = freshDataDir();
  const fp32Dir = join(dataDir, 'models', 'musicgen-medium', 'fp32');

  it('fp32: the merged decoder with its .onnx_data under onnx/, config at the root, checked against lfs sha256; not the pair, not build_delay_pattern_mask', async () => {
    const result = await pullModel({ dataDir, id: 'musicgen-medium', variant: 'fp32', baseUrl: hub.baseUrl, retry: fast });
    expect(result.dir).toBe(fp32Dir);
    const local = ['config.json', 'generation_config.json', 'tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json'];
    const onnx = [
      'onnx/text_encoder.onnx',
      'onnx/decoder_model_merged.onnx',
      'onnx/decoder_model_merged.onnx_data',
      'onnx/encodec_decode.onnx',
    ];
    expect(result.downloaded).toEqual([...local, ...onnx]);
    expect(gets()).toEqual([...local.map((f) => `medium/${f}`), ...onnx.map((f) => f.replace('onnx/', 'medium_fp32/'))]);
    expect(readdirSync(fp32Dir).sort()).toEqual([
      'config.json',
      'continuo-install.json',
      'generation_config.json',
      'onnx',
      'special_tokens_map.json',
      'tokenizer.json',
      'tokenizer_config.json',
    ]);
    for (const f of onnx) expect(sha256Of(join(fp32Dir, f)), f).toBe(sha256Of(join(repoDir, f.replace('onnx/', 'medium_fp32/'))));
    // No HEAD probes: the tree API gave every size.
    expect(hub.requests.filter((r) => r.method === 'HEAD')).toEqual([]);

    const manifest = readManifest(fp32Dir)!;
    expect(manifest).toMatchObject({ id: 'musicgen-medium', repo: GABO, variants: ['fp32'] });
    for (const f of manifest.files) expect(f.verifiedBy, f.path).toBe(f.path.startsWith('onnx/') ? 'sha256' : 'size');
    const sourceBytes = [...local.map((f) => `medium/${f}`), ...onnx.map((f) => f.replace('onnx/', 'medium_fp32/'))].reduce(
      (s, f) => s + readFileSync(join(repoDir, f)).length,
      0,
    );
    expect(manifest.files.reduce((s, f) => s + f.bytes, 0)).toBe(sourceBytes);
    // The warning names only the JSON files: the ONNX files had a published sha256.
    expect(result.warnings).toEqual([
      expect.stringMatching(/^size checked only: no published sha256 for config\.json, .*special_tokens_map\.json \(MusicGen Medium\)/),
    ]);
    expect(existsSync(join(dataDir, 'models', 'musicgen-medium.partial'))).toBe(false);
  });

  it('fp16 beside it, in its own folder: the optimum pair renamed to the variant suffix, their .onnx_data names kept', async () => {
    const result = await pullModel({ dataDir, id: 'musicgen-medium', variant: 'fp16', baseUrl: hub.baseUrl, retry: fast });
    const dir = join(dataDir, 'models', 'musicgen-medium', 'fp16');
    expect(result.dir).toBe(dir);
    expect(readdirSync(join(dir, 'onnx')).sort()).toEqual([
      'decoder_model.onnx_data',
      'decoder_model_fp16.onnx',
      'decoder_with_past_model.onnx_data',
      'decoder_with_past_model_fp16.onnx',
      'encodec_decode_fp16.onnx',
      'text_encoder_fp16.onnx',
    ]);
    expect(sha256Of(join(dir, 'onnx/decoder_model_fp16.onnx'))).toBe(sha256Of(join(repoDir, 'medium_fp16/decoder_model.onnx')));
    expect(readManifest(dir)?.variants).toEqual(['fp16']);
    // The fp32 folder is untouched.
    expect(readManifest(fp32Dir)?.variants).toEqual(['fp32']);
    expect(gets().some((f) => f.includes('build_delay_pattern_mask'))).toBe(false);
  });

  it('a pull again reuses every intact file', async () => {
    const result = await pullModel({ dataDir, id: 'musicgen-medium', variant: 'fp32', baseUrl: hub.baseUrl, retry: fast });
    expect(result.downloaded).toEqual([]);
    expect(result.reused).toHaveLength(9);
  });

  it('a file that does not match its lfs sha256 is refused', async () => {
    hub.setFault('medium_fp32/encodec_decode.onnx', { corrupt: true });
    await expect(
      pullModel({ dataDir: freshDataDir(), id: 'musicgen-medium', variant: 'fp32', baseUrl: hub.baseUrl, retry: fast }),
    ).rejects.toThrow(/encodec_decode\.onnx is corrupt: its sha256 is/);
  });

  it('a variant folder the repo lacks is named', async () => {
    await expect(
      pullModel({ dataDir: freshDataDir(), id: 'musicgen-medium', variant: 'q8', baseUrl: hub.baseUrl, retry: fast }),
    ).rejects.toThrow(/gabotechs\/music_gen has no folder "medium_i8"/);
  });

  it('works from an offline folder too (sizes from the files, no sha256)', async () => {
    const offline = join(work, 'offline');
    mkdirSync(join(offline, 'gabotechs'), { recursive: true });
    const { cpSync } = await import('node:fs');
    cpSync(repoDir, join(offline, 'gabotechs', 'music_gen'), { recursive: true });
    const result = await pullModel({ dataDir: freshDataDir(), id: 'musicgen-medium', variant: 'fp32', baseUrl: offline, retry: fast });
    expect(result.downloaded).toContain('onnx/decoder_model_merged.onnx_data');
    expect(readManifest(result.dir)!.files.every((f) => f.verifiedBy === 'size')).toBe(true);
  });
});
