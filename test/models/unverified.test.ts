/**
 * Files installed without a published sha256 (the catalog has none; the Hub sends one only for LFS
 * files; a mirror or an offline folder may send none) are checked by size only. The install says
 * so, records it per file in continuo-install.json, and `verify` says so again.
 */
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pullModel, type PullProgress } from '../../src/main/models/install';
import { MANIFEST_NAME } from '../../src/main/models/manifest';
import { verifyModel } from '../../src/main/models/verify';
import { startHubServer, type HubServer } from '../helpers/hub-server';
import { tempDir } from '../helpers/models';
import { makeRepo, testCatalog, TEST_REPO, type RepoFixture } from './fixture';

const work = tempDir('continuo-unverified-');
let repo: RepoFixture;
let hub: HubServer;
let n = 0;
const fresh = () => join(work, `data-${++n}`);
const manifestOf = (dir: string) =>
  JSON.parse(readFileSync(join(dir, MANIFEST_NAME), 'utf8')) as { files: { path: string; verifiedBy?: string }[] };
const JSON_FILES = ['config.json', 'generation_config.json', 'special_tokens_map.json', 'tokenizer.json', 'tokenizer_config.json'];

beforeAll(async () => {
  repo = makeRepo(join(work, 'repo'));
  hub = await startHubServer({ repos: { [TEST_REPO]: repo.dir }, lfsRedirect: true });
  mkdirSync(join(work, 'offline', 'continuo'), { recursive: true });
  symlinkSync(repo.dir, join(work, 'offline', TEST_REPO));
});
afterAll(() => hub?.close());

describe('files without a published sha256', () => {
  it('Hub: LFS files are checked by their x-linked-etag, the others by size only, and the install says which', async () => {
    const events: PullProgress[] = [];
    const dataDir = fresh();
    const result = await pullModel({
      dataDir,
      id: 'test-small',
      catalog: testCatalog(repo),
      baseUrl: hub.baseUrl,
      onProgress: (p) => events.push(p),
    });
    const byPath = Object.fromEntries(manifestOf(result.dir).files.map((f) => [f.path, f.verifiedBy]));
    const onnx = result.downloaded.filter((p) => p.endsWith('.onnx'));
    expect(onnx.length).toBeGreaterThan(0);
    for (const path of onnx) expect(byPath[path], path).toBe('sha256');
    for (const path of JSON_FILES) expect(byPath[path], path).toBe('size');
    expect(result.warnings).toEqual([
      'size checked only: no published sha256 for config.json, generation_config.json, tokenizer.json, tokenizer_config.json and special_tokens_map.json (Test Small), so a damaged or altered download of the right size would not have been noticed. Their sha256 as installed is recorded, so "models verify" notices any later change.',
    ]);
    expect(events.at(-1)).toEqual({ phase: 'complete', dir: result.dir, warnings: result.warnings });

    const verified = await verifyModel(dataDir, 'test-small');
    expect(verified.ok).toBe(true);
    expect(verified.warnings).toEqual([
      `size checked only: no published sha256 for ${JSON_FILES.join(', ')}, so when downloaded they were checked against their size alone; this check compares them with the sha256 recorded at install.`,
    ]);
  });

  it('an offline folder publishes no hash at all: every file is size-checked only', async () => {
    const dataDir = fresh();
    const result = await pullModel({
      dataDir,
      id: 'test-small',
      catalog: testCatalog(repo),
      baseUrl: pathToFileURL(join(work, 'offline')).href,
    });
    expect(manifestOf(result.dir).files.every((f) => f.verifiedBy === 'size')).toBe(true);
    expect(result.warnings).toHaveLength(1);
    for (const path of result.downloaded) expect(result.warnings[0]).toContain(path);
    expect((await verifyModel(dataDir, 'test-small')).warnings[0]).toMatch(
      /^size checked only: no published sha256 for .*onnx\/decoder_model_merged_quantized\.onnx/,
    );
  });

  it('a catalog that knows every sha256 leaves nothing to warn about', async () => {
    const dataDir = fresh();
    const result = await pullModel({
      dataDir,
      id: 'test-small',
      catalog: testCatalog(repo, { known: true }),
      baseUrl: pathToFileURL(join(work, 'offline')).href,
    });
    expect(manifestOf(result.dir).files.every((f) => f.verifiedBy === 'sha256')).toBe(true);
    expect(result.warnings).toEqual([]);
    expect((await verifyModel(dataDir, 'test-small')).warnings).toEqual([]);
  });

  it('an install record from before verifiedBy was kept counts as not hash-verified', async () => {
    const dataDir = fresh();
    const { dir } = await pullModel({
      dataDir,
      id: 'test-small',
      catalog: testCatalog(repo, { known: true }),
      baseUrl: pathToFileURL(join(work, 'offline')).href,
    });
    const record = JSON.parse(readFileSync(join(dir, MANIFEST_NAME), 'utf8'));
    for (const f of record.files) delete f.verifiedBy;
    writeFileSync(join(dir, MANIFEST_NAME), JSON.stringify(record));
    const verified = await verifyModel(dataDir, 'test-small');
    expect(verified.ok).toBe(true);
    expect(verified.warnings[0]).toContain('config.json');
  });
});
