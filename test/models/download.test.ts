import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { downloadFile, type DownloadFileOptions, type DownloadProgress } from '../../src/main/models/download';
import { hubFileUrl } from '../../src/main/models/source';
import { startHubServer, type HubServer } from '../helpers/hub-server';
import { tempDir } from '../helpers/models';
import { makeRepo, sha256Of, TEST_REPO, type RepoFixture } from './fixture';

const DECODER = 'onnx/decoder_model_merged.onnx';
const CONFIG = 'config.json';

let repo: RepoFixture;
let hub: HubServer;
let cdnHub: HubServer;
const work = tempDir('continuo-download-');
let n = 0;

beforeAll(async () => {
  repo = makeRepo(join(work, 'repo'));
  hub = await startHubServer({ repos: { [TEST_REPO]: repo.dir } });
  cdnHub = await startHubServer({ repos: { [TEST_REPO]: repo.dir }, lfsRedirect: true });
});
afterAll(async () => {
  await hub?.close();
  await cdnHub?.close();
});
afterEach(() => {
  hub.clearFaults();
  hub.requests.length = 0;
});

const source = (file: string) => readFileSync(join(repo.dir, file));
const size = (file: string) => repo.files[file].bytes;
const freshDest = (file: string) => join(work, `dl-${++n}`, file);
const urlOf = (file: string, server = hub) => hubFileUrl(server.baseUrl, TEST_REPO, 'main', file);
/** Fast retries so fault tests take milliseconds. */
const fast = { retryDelayMs: 5, stallTimeoutMs: 2000 } satisfies Partial<DownloadFileOptions>;

function expectSameAsSource(dest: string, file: string): void {
  expect(readFileSync(dest).equals(source(file))).toBe(true);
  expect(existsSync(`${dest}.part`)).toBe(false);
}

describe('downloadFile', () => {
  it('downloads an LFS file and checks it against the Hub’s x-linked-etag sha256', async () => {
    const dest = freshDest(DECODER);
    const progress: DownloadProgress[] = [];
    const result = await downloadFile({ url: urlOf(DECODER), dest, onProgress: (p) => progress.push(p) });
    expectSameAsSource(dest, DECODER);
    expect(result).toMatchObject({ bytes: size(DECODER), sha256: repo.files[DECODER].sha256, verifiedBy: 'sha256', resumedFrom: 0 });
    expect(progress.at(-1)).toMatchObject({ bytes: size(DECODER), totalBytes: size(DECODER) });
    expect(hub.gets(DECODER).map((r) => r.range)).toEqual([null]);
  });

  it('checks a non-LFS file (no x-linked-etag) by its content-length', async () => {
    const dest = freshDest(CONFIG);
    const result = await downloadFile({ url: urlOf(CONFIG), dest });
    expectSameAsSource(dest, CONFIG);
    expect(result.verifiedBy).toBe('size');
    expect(result.sha256).toBe(repo.files[CONFIG].sha256);
  });

  it('follows the Hub’s 302 to its CDN and keeps the x-linked-* headers of the first answer', async () => {
    const dest = freshDest(DECODER);
    const result = await downloadFile({ url: urlOf(DECODER, cdnHub), dest });
    expectSameAsSource(dest, DECODER);
    expect(result.verifiedBy).toBe('sha256');
    expect(cdnHub.requests.filter((r) => r.file === DECODER).map((r) => r.status)).toEqual([302, 200]);
  });

  it('resumes with Range after the connection drops once mid-file', async () => {
    hub.setFault(DECODER, { dropAfter: 123_456, dropTimes: 1 });
    const dest = freshDest(DECODER);
    const result = await downloadFile({ ...fast, url: urlOf(DECODER), dest });
    expectSameAsSource(dest, DECODER);
    expect(hub.gets(DECODER).map((r) => [r.range, r.status, r.bytesSent])).toEqual([
      [null, 200, 123_456],
      ['bytes=123456-', 206, size(DECODER) - 123_456],
    ]);
    expect(result.verifiedBy).toBe('sha256');
  });

  it('keeps resuming while every response drops, as long as each one brings new bytes', async () => {
    const step = 1_000_000;
    hub.setFault(DECODER, { dropAfter: step });
    const dest = freshDest(DECODER);
    await downloadFile({ ...fast, url: urlOf(DECODER), dest, attempts: 2 });
    expectSameAsSource(dest, DECODER);
    const expected: (string | null)[] = [null];
    for (let at = step; at < size(DECODER); at += step) expected.push(`bytes=${at}-`);
    expect(hub.gets(DECODER).map((r) => r.range)).toEqual(expected);
  });

  it('gives up after N attempts that bring nothing, keeping the part for a later resume', async () => {
    hub.setFault(DECODER, { dropAfter: 0 });
    const dest = freshDest(DECODER);
    await expect(downloadFile({ ...fast, url: urlOf(DECODER), dest, attempts: 3 })).rejects.toThrow(/Gave up after 3 attempts/);
    expect(hub.gets(DECODER)).toHaveLength(3);
    expect(existsSync(dest)).toBe(false);

    hub.setFault(DECODER, { status: 503 });
    mkdirSync(join(dest, '..'), { recursive: true });
    writeFileSync(`${dest}.part`, source(DECODER).subarray(0, 50_000));
    await expect(downloadFile({ ...fast, url: urlOf(DECODER), dest, attempts: 2 })).rejects.toThrow(
      /50\.0 kB are kept and the next pull resumes/,
    );
    expect(statSync(`${dest}.part`).size).toBe(50_000);
  });

  it('starts again from byte 0 when the server ignores Range', async () => {
    const dest = freshDest(DECODER);
    mkdirSync(join(dest, '..'), { recursive: true });
    writeFileSync(`${dest}.part`, source(DECODER).subarray(0, 200_000));
    hub.setFault(DECODER, { ignoreRange: true });
    const result = await downloadFile({ ...fast, url: urlOf(DECODER), dest });
    expectSameAsSource(dest, DECODER);
    expect(hub.gets(DECODER).map((r) => [r.range, r.status])).toEqual([['bytes=200000-', 200]]);
    expect(result.resumedFrom).toBe(0);
  });

  it('hashes an existing part first, so the sha256 check covers bytes from both sessions', async () => {
    const dest = freshDest(DECODER);
    mkdirSync(join(dest, '..'), { recursive: true });
    writeFileSync(`${dest}.part`, source(DECODER).subarray(0, 777_777));
    const result = await downloadFile({ ...fast, url: urlOf(DECODER), dest, expectedSha256: repo.files[DECODER].sha256 });
    expectSameAsSource(dest, DECODER);
    expect(result).toMatchObject({ resumedFrom: 777_777, verifiedBy: 'sha256', sha256: repo.files[DECODER].sha256 });
    expect(hub.gets(DECODER).map((r) => [r.range, r.bytesSent])).toEqual([['bytes=777777-', size(DECODER) - 777_777]]);
  });

  it('throws away a damaged part once and downloads the whole file again', async () => {
    const dest = freshDest(DECODER);
    mkdirSync(join(dest, '..'), { recursive: true });
    const bad = Buffer.from(source(DECODER).subarray(0, 500_000));
    bad[1000] ^= 0xff;
    writeFileSync(`${dest}.part`, bad);
    const result = await downloadFile({ ...fast, url: urlOf(DECODER), dest });
    expectSameAsSource(dest, DECODER);
    expect(hub.gets(DECODER).map((r) => r.range)).toEqual(['bytes=500000-', null]);
    expect(result.resumedFrom).toBe(0);
  });

  it('refuses a file shorter than announced (the server lies high) with a clear error', async () => {
    hub.setFault(DECODER, { announceBytes: size(DECODER) + 4096 });
    const dest = freshDest(DECODER);
    const error = await downloadFile({ ...fast, url: urlOf(DECODER), dest }).catch((e: Error) => e);
    expect(error).toMatchObject({ name: 'ModelError', code: 'size' });
    expect((error as Error).message).toMatch(/announce/);
    expect(existsSync(dest)).toBe(false);
    // It resumed once at the real end and the server admitted (416) there is no more.
    expect(hub.gets(DECODER).map((r) => [r.range, r.status])).toEqual([
      [null, 200],
      [`bytes=${size(DECODER)}-`, 416],
    ]);
  });

  it('refuses a file longer than announced (the server lies low): the sha256 catches it', async () => {
    hub.setFault(DECODER, { announceBytes: size(DECODER) - 4096 });
    const dest = freshDest(DECODER);
    const error = await downloadFile({ ...fast, url: urlOf(DECODER), dest }).catch((e: Error) => e);
    expect(error).toMatchObject({ code: 'sha256' });
    expect((error as Error).message).toMatch(/corrupt/);
    expect(existsSync(dest)).toBe(false);
    expect(existsSync(`${dest}.part`)).toBe(false);
  });

  it('refuses a server whose length contradicts the known size before downloading anything', async () => {
    hub.setFault(DECODER, { announceBytes: size(DECODER) - 4096 });
    const dest = freshDest(DECODER);
    await expect(downloadFile({ ...fast, url: urlOf(DECODER), dest, expectedBytes: size(DECODER) })).rejects.toThrow(
      new RegExp(`announces ${size(DECODER) - 4096} bytes but ${size(DECODER)} are expected`),
    );
    expect(existsSync(dest)).toBe(false);
  });

  it('refuses more bytes than the known size even when the server does not say its length', async () => {
    const dest = freshDest(CONFIG);
    await expect(downloadFile({ ...fast, url: urlOf(CONFIG), dest, expectedBytes: size(CONFIG) - 10 })).rejects.toMatchObject({
      code: 'size',
    });
    expect(existsSync(dest)).toBe(false);
  });

  it('reports a 404 as "not found on the Hub" without retrying', async () => {
    const dest = freshDest('onnx/nope.onnx');
    await expect(downloadFile({ ...fast, url: urlOf('onnx/nope.onnx'), dest })).rejects.toThrow(
      /not found on the Hub \(404\) — check the model id\/revision/,
    );
    expect(hub.gets('onnx/nope.onnx')).toHaveLength(1);
    expect(existsSync(dest)).toBe(false);
  });

  it('retries a 500 and succeeds when the server recovers', async () => {
    hub.setFault(DECODER, { status: 500, statusTimes: 2 });
    const dest = freshDest(DECODER);
    await downloadFile({ ...fast, url: urlOf(DECODER), dest });
    expectSameAsSource(dest, DECODER);
    expect(hub.gets(DECODER).map((r) => r.status)).toEqual([500, 500, 200]);
  });

  it('gives up on a server that keeps answering 503', async () => {
    hub.setFault(DECODER, { status: 503 });
    const dest = freshDest(DECODER);
    await expect(downloadFile({ ...fast, url: urlOf(DECODER), dest, attempts: 4 })).rejects.toThrow(
      /answered 503.*Gave up after 4 attempts/,
    );
    expect(hub.gets(DECODER)).toHaveLength(4);
    expect(existsSync(dest)).toBe(false);
  });

  it('retries a response that stalls, resuming where the bytes stopped', async () => {
    hub.setFault(DECODER, { stallAfter: 300_000, stallTimes: 1 });
    const dest = freshDest(DECODER);
    const started = performance.now();
    await downloadFile({ ...fast, url: urlOf(DECODER), dest, stallTimeoutMs: 250 });
    expectSameAsSource(dest, DECODER);
    expect(performance.now() - started).toBeGreaterThanOrEqual(240);
    expect(hub.gets(DECODER).map((r) => r.range)).toEqual([null, 'bytes=300000-']);
  });

  it('cancels promptly, keeps the .part, and the next call resumes from it', async () => {
    hub.setFault(DECODER, { stallAfter: 400_000 });
    const dest = freshDest(DECODER);
    const controller = new AbortController();
    let cancelledAt = 0;
    const error = await downloadFile({
      url: urlOf(DECODER),
      dest,
      signal: controller.signal,
      onProgress: (p) => {
        if (p.bytes >= 400_000 && !cancelledAt) {
          cancelledAt = performance.now();
          controller.abort();
        }
      },
    }).catch((e: Error) => e);
    expect(performance.now() - cancelledAt).toBeLessThan(1000);
    expect(error).toMatchObject({ name: 'AbortError' });
    expect(readFileSync(`${dest}.part`).equals(source(DECODER).subarray(0, 400_000))).toBe(true);
    expect(existsSync(dest)).toBe(false);

    hub.setFault(DECODER, undefined);
    const result = await downloadFile({ url: urlOf(DECODER), dest });
    expectSameAsSource(dest, DECODER);
    expect(result.resumedFrom).toBe(400_000);
    expect(hub.gets(DECODER).map((r) => r.range)).toEqual([null, 'bytes=400000-']);
  });

  it('cancels during a retry backoff without waiting it out', async () => {
    hub.setFault(DECODER, { status: 503 });
    const controller = new AbortController();
    const pending = downloadFile({ url: urlOf(DECODER), dest: freshDest(DECODER), signal: controller.signal, retryDelayMs: 60_000 });
    setTimeout(() => controller.abort(), 100);
    const started = performance.now();
    await expect(pending).rejects.toMatchObject({ name: 'AbortError' });
    expect(performance.now() - started).toBeLessThan(2000);
  });

  it('verifies a finished file left from an earlier session instead of fetching it again', async () => {
    const dest = freshDest(CONFIG);
    mkdirSync(join(dest, '..'), { recursive: true });
    writeFileSync(dest, source(CONFIG));
    const result = await downloadFile({ url: urlOf(CONFIG), dest, expectedBytes: size(CONFIG), expectedSha256: repo.files[CONFIG].sha256 });
    expect(result).toMatchObject({ resumedFrom: size(CONFIG), verifiedBy: 'sha256' });
    expect(hub.gets(CONFIG)).toHaveLength(0);
  });

  it('copies from a file: URL (offline folder), resuming a part there too', async () => {
    const offline = pathToFileURL(join(work, 'offline')).href;
    mkdirSync(join(work, 'offline', 'continuo'), { recursive: true });
    const { symlinkSync } = await import('node:fs');
    if (!existsSync(join(work, 'offline', TEST_REPO))) symlinkSync(repo.dir, join(work, 'offline', TEST_REPO));
    const dest = freshDest(DECODER);
    mkdirSync(join(dest, '..'), { recursive: true });
    writeFileSync(`${dest}.part`, source(DECODER).subarray(0, 1234));
    const url = hubFileUrl(offline, TEST_REPO, 'main', DECODER);
    expect(url.startsWith('file:')).toBe(true);
    const result = await downloadFile({ url, dest, expectedSha256: repo.files[DECODER].sha256 });
    expectSameAsSource(dest, DECODER);
    expect(result).toMatchObject({ resumedFrom: 1234, verifiedBy: 'sha256' });
    expect(sha256Of(dest)).toBe(repo.files[DECODER].sha256);
    await expect(downloadFile({ url: hubFileUrl(offline, TEST_REPO, 'main', 'onnx/nope.onnx'), dest: freshDest('x') })).rejects.toThrow(
      /not found in the offline model folder/,
    );
  });

  it('reports the size it learned and a plausible speed while trickling', async () => {
    const file = 'onnx/text_encoder.onnx';
    hub.setFault(file, { bytesPerSecond: 200_000 });
    const progress: DownloadProgress[] = [];
    const dest = freshDest(file);
    await downloadFile({ url: urlOf(file), dest, onProgress: (p) => progress.push(p) });
    expectSameAsSource(dest, file);
    expect(progress.length).toBeGreaterThan(3);
    expect(progress.every((p) => p.totalBytes === size(file))).toBe(true);
    expect(progress.map((p) => p.bytes)).toEqual([...progress.map((p) => p.bytes)].sort((a, b) => a - b));
    const speed = progress.at(-1)!.bytesPerSecond;
    expect(speed).toBeGreaterThan(50_000);
    expect(speed).toBeLessThan(1_000_000);
  });
});
