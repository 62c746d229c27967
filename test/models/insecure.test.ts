/**
 * Plain http is refused for model downloads unless the user asks for it (--allow-insecure): the
 * catalog publishes no sha256, so over http anyone on the way could swap the files unseen.
 * Loopback http (a mirror on this machine, the tests' Hub) needs no permission.
 *
 * Everything here stays on this machine: the "remote" host is 0.0.0.0, which the downloader must
 * treat as another host, but which Linux connects to the local loopback server.
 */
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pullModel } from '../../src/main/models/install';
import { checkTransport, isLoopbackHost } from '../../src/main/models/source';
import { startHubServer, type HubServer } from '../helpers/hub-server';
import { tempDir } from '../helpers/models';
import { makeRepo, testCatalog, TEST_REPO, type RepoFixture } from './fixture';

const work = tempDir('continuo-insecure-');
let repo: RepoFixture;
let hub: HubServer;
let redirector: Server;
let redirectorUrl: string;
let n = 0;
const fresh = () => join(work, `data-${++n}`);
/** The loopback Hub under a name that is not loopback. */
const asRemote = (url: string) => url.replace('127.0.0.1', '0.0.0.0');

beforeAll(async () => {
  repo = makeRepo(join(work, 'repo'));
  hub = await startHubServer({ repos: { [TEST_REPO]: repo.dir }, lfsRedirect: true });
  // A loopback mirror that sends every request on to the Hub by its non-loopback name.
  redirector = createServer((req, res) => {
    res.writeHead(302, { location: `${asRemote(hub.baseUrl)}${req.url}`, 'content-length': 0 });
    res.end();
  });
  await new Promise<void>((resolve) => redirector.listen(0, '127.0.0.1', resolve));
  redirectorUrl = `http://127.0.0.1:${(redirector.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await hub?.close();
  redirector?.close();
});

describe('which URLs count as secure', () => {
  it('knows loopback hosts', () => {
    for (const host of ['localhost', 'LOCALHOST', '127.0.0.1', '127.1.2.3', '[::1]', '[::ffff:7f00:1]'])
      expect(isLoopbackHost(host), host).toBe(true);
    for (const host of ['0.0.0.0', '10.0.0.1', 'mirror.example', '127.0.0.1.nip.io', '[::2]', 'localhost.example'])
      expect(isLoopbackHost(host), host).toBe(false);
  });

  it('allows https and loopback http; refuses other http and https→http redirects unless allowed', () => {
    expect(() => checkTransport('https://huggingface.co/x')).not.toThrow();
    expect(() => checkTransport('http://127.0.0.1:8080/x')).not.toThrow();
    expect(() => checkTransport('http://localhost/x', {}, 'http://127.0.0.1/y')).not.toThrow();
    expect(() => checkTransport('http://mirror.example/x')).toThrow(
      expect.objectContaining({
        code: 'insecure',
        message: expect.stringMatching(/^Refusing to download model files over plain http from mirror\.example: .*add --allow-insecure/),
      }),
    );
    // A downgrade is refused even to loopback: an https mirror has no business sending us to http.
    for (const target of ['http://cdn.example/x', 'http://127.0.0.1/x']) {
      expect(() => checkTransport(target, {}, 'https://mirror.example/y')).toThrow(
        expect.objectContaining({
          code: 'insecure',
          message: expect.stringMatching(/^mirror\.example redirected the download to plain http/),
        }),
      );
      expect(() => checkTransport(target, { allowInsecure: true }, 'https://mirror.example/y')).not.toThrow();
    }
    expect(() => checkTransport('http://mirror.example/x', { allowInsecure: true })).not.toThrow();
  });
});

describe('pullModel over plain http', () => {
  const catalog = () => testCatalog(repo);

  it('refuses an http mirror on another host before asking it anything', async () => {
    const dataDir = fresh();
    const before = hub.requests.length;
    const error = await pullModel({ dataDir, id: 'test-small', catalog: catalog(), baseUrl: asRemote(hub.baseUrl) }).catch((e: Error) => e);
    expect(error).toMatchObject({ code: 'insecure', message: expect.stringMatching(/plain http from 0\.0\.0\.0:\d+.*--allow-insecure/) });
    expect(hub.requests.length).toBe(before);
    expect(existsSync(join(dataDir, 'models', 'test-small'))).toBe(false);
  });

  it('installs from it when the user allows it', async () => {
    const result = await pullModel({
      dataDir: fresh(),
      id: 'test-small',
      catalog: catalog(),
      baseUrl: asRemote(hub.baseUrl),
      allowInsecure: true,
    });
    expect(result.downloaded.length).toBeGreaterThan(0);
  });

  it('refuses a loopback mirror that redirects to http on another host, unless allowed', async () => {
    const error = await pullModel({ dataDir: fresh(), id: 'test-small', catalog: catalog(), baseUrl: redirectorUrl }).catch(
      (e: Error) => e,
    );
    expect(error).toMatchObject({ code: 'insecure', message: expect.stringMatching(/plain http from 0\.0\.0\.0/) });
    const allowed = await pullModel({
      dataDir: fresh(),
      id: 'test-small',
      catalog: catalog(),
      baseUrl: redirectorUrl,
      allowInsecure: true,
    });
    expect(allowed.downloaded.length).toBeGreaterThan(0);
  });

  it('needs no permission for the loopback Hub itself, redirects included', async () => {
    const result = await pullModel({ dataDir: fresh(), id: 'test-small', catalog: catalog(), baseUrl: hub.baseUrl });
    expect(result.downloaded).toContain('onnx/decoder_model_merged_quantized.onnx');
  });
});
