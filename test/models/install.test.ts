import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { installedVariants } from '../../src/main/engine/model-files';
import { filesFor, findModel, loadCatalog } from '../../src/main/models/catalog';
import { formatBytes } from '../../src/main/models/errors';
import { pullModel, removeModel, type PullProgress } from '../../src/main/models/install';
import { listInstalledModels } from '../../src/main/models/installed';
import { MANIFEST_NAME, readManifest } from '../../src/main/models/manifest';
import { startHubServer, type HubServer } from '../helpers/hub-server';
import { tempDir } from '../helpers/models';
import { makeRepo, testCatalog, TEST_REPO, type RepoFixture } from './fixture';

const REAL_REPO = 'Xenova/musicgen-small';
const Q8_DECODER = 'onnx/decoder_model_merged_quantized.onnx';
const fast = { retryDelayMs: 5, stallTimeoutMs: 2000 };

let repo: RepoFixture;
let hub: HubServer;
const work = tempDir('continuo-install-');
let n = 0;

beforeAll(async () => {
  repo = makeRepo(join(work, 'repo'));
  hub = await startHubServer({ repos: { [REAL_REPO]: repo.dir, [TEST_REPO]: repo.dir }, lfsRedirect: true });
});
afterAll(() => hub?.close());
afterEach(() => {
  hub.clearFaults();
  hub.requests.length = 0;
});

const freshDataDir = () => join(work, `data-${++n}`);
const modelDir = (dataDir: string, id: string) => join(dataDir, 'models', id);
const gets = () => hub.requests.filter((r) => r.method === 'GET' && !r.url.startsWith('/cdn/')).map((r) => r.file);

function collect(): { events: PullProgress[]; onProgress: (p: PullProgress) => void } {
  const events: PullProgress[] = [];
  return { events, onProgress: (p) => events.push(p) };
}

/** Phases with consecutive repeats folded: ['checking', 'downloading', 'verifying', …]. */
const phases = (events: PullProgress[]) => events.map((e) => e.phase).filter((p, i, all) => p !== all[i - 1]);

function expectInstalledLikeSource(dir: string, paths: string[]): void {
  for (const path of paths) expect(readFileSync(join(dir, path)).equals(readFileSync(join(repo.dir, path))), path).toBe(true);
}

describe('pullModel from a loopback Hub', () => {
  const dataDir = freshDataDir();
  const q8Paths = filesFor(findModel('musicgen-small'), 'q8').map((f) => f.path);

  it('installs musicgen-small (default q8) from the bundled catalog, learning sizes and sha256 from the Hub', async () => {
    const { events, onProgress } = collect();
    const result = await pullModel({ dataDir, id: 'musicgen-small', baseUrl: hub.baseUrl, onProgress, retry: fast });
    const dir = modelDir(dataDir, 'musicgen-small');

    expect(result).toMatchObject({ id: 'musicgen-small', dir, variant: 'q8', reused: [], skipped: [] });
    expect(result.downloaded).toEqual(q8Paths);
    expectInstalledLikeSource(dir, q8Paths);
    expect(existsSync(`${dir}.partial`)).toBe(false);
    expect(readdirSync(join(dir, 'onnx')).filter((f) => f.endsWith('.part'))).toEqual([]);

    // Phases in order: each file downloads then verifies; install and complete come last.
    const expected = ['checking', ...q8Paths.flatMap(() => ['downloading', 'verifying']), 'installing', 'complete'];
    expect(phases(events)).toEqual(expected);
    const verifying = events.filter((e) => e.phase === 'verifying').map((e) => (e as { file: string }).file);
    expect(verifying).toEqual(q8Paths);
    const downloading = events.filter((e): e is Extract<PullProgress, { phase: 'downloading' }> => e.phase === 'downloading');
    expect(new Set(downloading.map((e) => `${e.fileIndex}:${e.file}`))).toEqual(new Set(q8Paths.map((p, i) => `${i}:${p}`)));
    expect(downloading.every((e) => e.files === q8Paths.length)).toBe(true);
    const lastOfDecoder = downloading.filter((e) => e.file === Q8_DECODER).at(-1)!;
    expect(lastOfDecoder).toMatchObject({ bytes: repo.files[Q8_DECODER].bytes, totalBytes: repo.files[Q8_DECODER].bytes });
    // The Hub publishes a sha256 (x-linked-etag) for LFS files only: the JSON files were checked by size.
    expect(events.at(-1)).toEqual({
      phase: 'complete',
      dir,
      warnings: [expect.stringMatching(/^size checked only: no published sha256 for config\.json, .*tokenizer_config\.json/)],
    });
    expect(events.at(-1)).toEqual({ phase: 'complete', dir, warnings: result.warnings });

    // Sizes came from HEAD probes before any download (for the disk check).
    expect(hub.requests.filter((r) => r.method === 'HEAD' && !r.url.startsWith('/cdn/')).map((r) => r.file)).toEqual(q8Paths);

    const manifest = JSON.parse(readFileSync(join(dir, MANIFEST_NAME), 'utf8'));
    expect(manifest).toMatchObject({ format: 1, id: 'musicgen-small', repo: REAL_REPO, revision: 'main', variants: ['q8'] });
    expect(new Date(manifest.installedAt).getTime()).toBeGreaterThan(Date.now() - 60_000);
    expect(manifest.files).toEqual(
      [...q8Paths].sort().map((path) => ({ path, ...repo.files[path], verifiedBy: path.endsWith('.onnx') ? 'sha256' : 'size' })),
    );

    expect(listInstalledModels(dataDir).map((m) => m.id)).toEqual(['musicgen-small']);
    expect(installedVariants(dir)).toEqual(['q8']);
  });

  it('adds fp32 beside the installed q8, fetching only the files it lacks', async () => {
    const { events, onProgress } = collect();
    const result = await pullModel({ dataDir, id: 'musicgen-small', variant: 'fp32', baseUrl: hub.baseUrl, onProgress, retry: fast });
    const dir = modelDir(dataDir, 'musicgen-small');
    expect(result.downloaded).toEqual(['onnx/text_encoder.onnx', 'onnx/decoder_model_merged.onnx']);
    expect(gets()).toEqual(['onnx/text_encoder.onnx', 'onnx/decoder_model_merged.onnx']);
    expect(result.reused).toEqual(expect.arrayContaining(['config.json', 'onnx/encodec_decode.onnx', 'onnx/encodec_encoder.onnx']));
    expect(installedVariants(dir)).toEqual(['fp32', 'q8']);
    expectInstalledLikeSource(dir, [...q8Paths, 'onnx/text_encoder.onnx', 'onnx/decoder_model_merged.onnx']);
    const manifest = readManifest(dir)!;
    expect(manifest.variants).toEqual(['fp32', 'q8']);
    expect(manifest.files.map((f) => f.path)).toEqual(
      [...new Set([...q8Paths, 'onnx/text_encoder.onnx', 'onnx/decoder_model_merged.onnx'])].sort(),
    );
    expect(existsSync(`${dir}.partial`)).toBe(false);
    expect(phases(events)).toEqual(['checking', 'downloading', 'verifying', 'downloading', 'verifying', 'installing', 'complete']);
  });

  it('repairs a damaged install by fetching only the damaged file again', async () => {
    const dir = modelDir(dataDir, 'musicgen-small');
    const path = join(dir, Q8_DECODER);
    const bytes = readFileSync(path);
    bytes[4242] ^= 0x01;
    writeFileSync(path, bytes);
    const result = await pullModel({ dataDir, id: 'musicgen-small', baseUrl: hub.baseUrl, retry: fast });
    expect(result.downloaded).toEqual([Q8_DECODER]);
    expect(gets()).toEqual([Q8_DECODER]);
    expectInstalledLikeSource(dir, [Q8_DECODER]);
  });

  it('removes a model and its unfinished download', async () => {
    mkdirSync(join(dataDir, 'models', 'musicgen-small.partial'), { recursive: true });
    const { removed } = await removeModel(dataDir, 'musicgen-small');
    expect(removed).toHaveLength(2);
    expect(existsSync(modelDir(dataDir, 'musicgen-small'))).toBe(false);
    expect(existsSync(`${modelDir(dataDir, 'musicgen-small')}.partial`)).toBe(false);
    await expect(removeModel(dataDir, 'musicgen-small')).rejects.toThrow(/"musicgen-small" is not installed/);
    await expect(removeModel(dataDir, '../x')).rejects.toThrow(/not a model id/);
  });
});

describe('pullModel failures', () => {
  it('leaves no model folder when a file fails, only <id>.partial, and the next pull resumes from it', async () => {
    const dataDir = freshDataDir();
    const catalog = testCatalog(repo, { known: true });
    hub.setFault(Q8_DECODER, { dropAfter: 0 });
    const { events, onProgress } = collect();
    const error = await pullModel({
      dataDir,
      id: 'test-small',
      catalog,
      baseUrl: hub.baseUrl,
      onProgress,
      retry: { ...fast, attempts: 2 },
    }).catch((e: Error) => e);
    expect(error).toMatchObject({ code: 'network' });
    expect(events.at(-1)).toEqual({ phase: 'error', message: (error as Error).message });
    expect(phases(events)).not.toContain('installing');
    expect(existsSync(modelDir(dataDir, 'test-small'))).toBe(false);
    const partial = `${modelDir(dataDir, 'test-small')}.partial`;
    expect(readFileSync(join(partial, 'config.json')).equals(readFileSync(join(repo.dir, 'config.json')))).toBe(true);
    expect(existsSync(join(partial, 'onnx/text_encoder_quantized.onnx'))).toBe(true);
    expect(listInstalledModels(dataDir)).toEqual([]);

    hub.setFault(Q8_DECODER, undefined);
    hub.requests.length = 0;
    const result = await pullModel({ dataDir, id: 'test-small', catalog, baseUrl: hub.baseUrl, retry: fast });
    // Files finished before the failure are verified from disk, not fetched again.
    expect(gets()).toEqual([Q8_DECODER, 'onnx/encodec_decode.onnx', 'onnx/encodec_encoder.onnx']);
    expectInstalledLikeSource(
      result.dir,
      result.manifest.files.map((f) => f.path),
    );
    expect(existsSync(partial)).toBe(false);
  });

  it('cancels mid-file: keeps the .part in <id>.partial, and the next pull resumes with Range', async () => {
    const dataDir = freshDataDir();
    const catalog = testCatalog(repo, { known: true });
    hub.setFault(Q8_DECODER, { stallAfter: 1_000_000 });
    const controller = new AbortController();
    const { events, onProgress } = collect();
    const error = await pullModel({
      dataDir,
      id: 'test-small',
      catalog,
      baseUrl: hub.baseUrl,
      signal: controller.signal,
      retry: fast,
      onProgress: (p) => {
        onProgress(p);
        if (p.phase === 'downloading' && p.file === Q8_DECODER && p.bytes >= 1_000_000) controller.abort();
      },
    }).catch((e: Error) => e);
    expect(error).toMatchObject({ name: 'AbortError' });
    expect(events.at(-1)).toMatchObject({ phase: 'error', message: expect.stringMatching(/cancelled/i) });
    const part = join(`${modelDir(dataDir, 'test-small')}.partial`, `${Q8_DECODER}.part`);
    expect(statSync(part).size).toBe(1_000_000);
    expect(existsSync(modelDir(dataDir, 'test-small'))).toBe(false);

    hub.setFault(Q8_DECODER, undefined);
    hub.requests.length = 0;
    await pullModel({ dataDir, id: 'test-small', catalog, baseUrl: hub.baseUrl, retry: fast });
    expect(
      hub
        .gets(Q8_DECODER)
        .filter((r) => !r.url.startsWith('/cdn/'))
        .map((r) => r.range),
    ).toEqual(['bytes=1000000-']);
    expectInstalledLikeSource(modelDir(dataDir, 'test-small'), [Q8_DECODER]);
  });

  it('refuses to start without enough free disk space, saying how much is needed and free', async () => {
    const dataDir = freshDataDir();
    const catalog = testCatalog(repo, { known: true });
    const total = filesFor(catalog.models[0], 'q8').reduce((sum, f) => sum + f.bytes!, 0);
    let askedFor = '';
    const { events, onProgress } = collect();
    const error = await pullModel({
      dataDir,
      id: 'test-small',
      catalog,
      baseUrl: hub.baseUrl,
      onProgress,
      freeBytes: (dir) => {
        askedFor = dir;
        return 1_000_000;
      },
    }).catch((e: Error) => e);
    expect(askedFor).toBe(join(dataDir, 'models'));
    expect(error).toMatchObject({ code: 'disk-space' });
    expect((error as Error).message).toBe(
      `Not enough free disk space for Test Small (q8): it needs ${formatBytes(Math.ceil(total * 1.1))} (the download plus a 10 % margin) but only 1.0 MB is free in ${join(dataDir, 'models')}. Free some space, or choose a smaller variant, then pull again.`,
    );
    expect(phases(events)).toEqual(['checking', 'error']);
    expect(hub.requests).toEqual([]);
    expect(readdirSync(join(dataDir, 'models'))).toEqual([]);
  });

  it('checks the disk against sizes learned from the Hub when the catalog does not know them', async () => {
    const dataDir = freshDataDir();
    const total = filesFor(findModel('musicgen-small'), 'q8').reduce((sum, f) => sum + repo.files[f.path].bytes, 0);
    await expect(pullModel({ dataDir, id: 'musicgen-small', baseUrl: hub.baseUrl, freeBytes: Math.ceil(total * 1.1) - 1 })).rejects.toThrow(
      `it needs ${formatBytes(Math.ceil(total * 1.1))}`,
    );
    expect(gets()).toEqual([]);
    expect(hub.requests.filter((r) => r.method === 'HEAD').length).toBeGreaterThan(0);
    // Exactly enough is enough.
    hub.requests.length = 0;
    await pullModel({ dataDir, id: 'musicgen-small', baseUrl: hub.baseUrl, freeBytes: Math.ceil(total * 1.1) });
  });

  it('names the known ids and the available variants', async () => {
    const dataDir = freshDataDir();
    const { events, onProgress } = collect();
    await expect(pullModel({ dataDir, id: 'musicgen-huge', baseUrl: hub.baseUrl, onProgress })).rejects.toThrow(
      /no model "musicgen-huge".*Known models: musicgen-small, musicgen-medium, musicgen-large\./,
    );
    expect(phases(events)).toEqual(['checking', 'error']);
    await expect(pullModel({ dataDir, id: 'musicgen-small', variant: 'q4', baseUrl: hub.baseUrl })).rejects.toThrow(
      /no "q4" variant\. Available: fp32, fp16, q8\./,
    );
    expect(hub.requests).toEqual([]);
  });

  it('stops at the check when a required file is not on the Hub (404), before downloading anything', async () => {
    const dataDir = freshDataDir();
    hub.setFault('tokenizer.json', { status: 404 });
    await expect(pullModel({ dataDir, id: 'musicgen-small', baseUrl: hub.baseUrl })).rejects.toThrow(
      /tokenizer\.json was not found on the Hub \(404\) — check the model id\/revision/,
    );
    expect(gets()).toEqual([]);
    expect(existsSync(modelDir(dataDir, 'musicgen-small'))).toBe(false);
  });

  it('skips an optional file the repo does not have', async () => {
    const dataDir = freshDataDir();
    hub.setFault('onnx/encodec_encoder.onnx', { status: 404 });
    const result = await pullModel({ dataDir, id: 'musicgen-small', baseUrl: hub.baseUrl });
    expect(result.skipped).toEqual(['onnx/encodec_encoder.onnx']);
    expect(existsSync(join(result.dir, 'onnx/encodec_encoder.onnx'))).toBe(false);
    expect(result.manifest.files.map((f) => f.path)).not.toContain('onnx/encodec_encoder.onnx');
  });
});

describe('pullModel from other sources', () => {
  it('installs offline from a file: folder of downloaded repos, with no network at all', async () => {
    const offline = join(work, 'offline');
    mkdirSync(join(offline, 'Xenova'), { recursive: true });
    symlinkSync(repo.dir, join(offline, REAL_REPO));
    const dataDir = freshDataDir();
    const { events, onProgress } = collect();
    const result = await pullModel({ dataDir, id: 'musicgen-small', baseUrl: pathToFileURL(offline).href, onProgress });
    expectInstalledLikeSource(result.dir, result.downloaded);
    expect(result.downloaded).toHaveLength(filesFor(findModel('musicgen-small'), 'q8').length);
    expect(hub.requests).toEqual([]);
    expect(phases(events).at(-1)).toBe('complete');
    expect(readManifest(result.dir)!.files.every((f) => f.sha256 === repo.files[f.path].sha256)).toBe(true);
  });

  it('downloads the external data the catalog lists beside an ONNX file', async () => {
    const dataDir = freshDataDir();
    const catalog = testCatalog(repo, { known: true, externalData: true });
    const result = await pullModel({ dataDir, id: 'test-small', variant: 'fp32', catalog, baseUrl: hub.baseUrl });
    expect(result.downloaded).toContain('onnx/decoder_model_merged.onnx_data');
    expectInstalledLikeSource(result.dir, ['onnx/decoder_model_merged.onnx', 'onnx/decoder_model_merged.onnx_data']);
  });

  it('the bundled catalog is the default', () => {
    expect(loadCatalog().models.map((m) => m.id)).toContain('musicgen-small');
  });
});
