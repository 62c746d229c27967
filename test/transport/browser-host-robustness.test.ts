/**
 * `continuo serve` survives any client: a frame over the size limit, invalid UTF-8, a bad Host on
 * the upgrade, an audio file that cannot be read, a reply that cannot be serialised. Each closes
 * (or answers) the offending client alone; another client's call still succeeds, and nothing
 * reaches the process as an uncaught exception or unhandled rejection.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Services } from '../../src/main/services';
import { startBrowserHost, tokenMatcher, type BrowserHost } from '../../src/main/transport/browser-host';
import { newTake } from '../library/fixtures';
import { tempDir } from '../helpers/models';
import { testServices } from '../helpers/services';
import {
  INVALID_UTF8,
  OP,
  closedWithin,
  frame,
  rawSocket,
  rawUpgraded,
  sleep,
  upgradeRequest,
  watchProcess,
  wsCall,
  wsConnect,
} from './ws-raw';

function get(port: number, path: string): Promise<{ status: number; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers: { host: `127.0.0.1:${port}` } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.setTimeout(5000, () => req.destroy(new Error(`No answer to GET ${path} within 5 s`)));
    req.end();
  });
}

describe('tokenMatcher', () => {
  it('accepts only the exact token, whatever the length or type of what was sent', () => {
    const ok = tokenMatcher('s3cret-token');
    expect(ok('s3cret-token')).toBe(true);
    for (const wrong of ['s3cret-toke', 's3cret-tokenn', 'S3CRET-TOKEN', '', null, undefined, 's3cret-token\u0000', 'é'.repeat(12)])
      expect(ok(wrong)).toBe(false);
    expect(tokenMatcher('')(null)).toBe(false);
  });
});

describe('browser host robustness', () => {
  const services = testServices();
  let host: BrowserHost;
  let watch: ReturnType<typeof watchProcess>;

  beforeAll(async () => {
    host = await startBrowserHost({ services });
  });
  afterAll(() => host?.close());
  beforeEach(() => {
    watch = watchProcess();
  });
  afterEach(() => watch.stop());

  /** Another, well-behaved client still gets its answer, and the process saw no stray error. */
  async function stillServes(): Promise<void> {
    await sleep(50);
    const ws = await wsConnect(host.port, host.token);
    try {
      const reply = await wsCall(ws, 7, 'takes/list', { limit: 5 });
      expect(reply).toMatchObject({ id: 7, ok: true, result: { total: expect.any(Number) } });
    } finally {
      ws.close();
    }
    expect(watch.errors).toEqual([]);
  }

  it('closes a client that sends a frame over the size limit, and goes on', async () => {
    const bad = await wsConnect(host.port, host.token);
    const closed = new Promise<number>((resolve) => bad.once('close', (code) => resolve(code)));
    bad.send('x'.repeat((1 << 20) + 1));
    expect(await closed).toBe(1009);
    await stillServes();
  });

  it('closes a client whose frame header claims more than the limit, and goes on', async () => {
    const socket = await rawUpgraded(host.port, host.token);
    socket.write(frame(OP.text, Buffer.from('{"id":1'), { declaredLength: 64 << 20 }));
    expect(await closedWithin(socket, 5000)).toBe(true);
    await stillServes();
  });

  it('closes a client that sends a text frame with invalid UTF-8, and goes on', async () => {
    const socket = await rawUpgraded(host.port, host.token);
    socket.write(frame(OP.text, INVALID_UTF8));
    expect(await closedWithin(socket, 5000)).toBe(true);
    await stillServes();
  });

  it('closes a client that sends an unmasked frame or a reserved opcode, and goes on', async () => {
    const unmasked = await rawUpgraded(host.port, host.token);
    unmasked.write(frame(OP.text, Buffer.from('{}'), { mask: false }));
    const reserved = await rawUpgraded(host.port, host.token);
    reserved.write(frame(0x3, Buffer.from('{}')));
    expect(await closedWithin(unmasked, 5000)).toBe(true);
    expect(await closedWithin(reserved, 5000)).toBe(true);
    await stillServes();
  });

  it('refuses an upgrade with a malformed Host or URL, and goes on', async () => {
    for (const headers of [{ Host: '[' }, { Host: 'a b:1' }, { Host: '' }]) {
      const socket = await rawSocket(host.port);
      socket.write(upgradeRequest(host.port, host.token, headers));
      expect(await closedWithin(socket, 5000)).toBe(true);
    }
    const socket = await rawSocket(host.port);
    socket.write(upgradeRequest(host.port, host.token, {}, '//[::1/ws?token=%E0%A4%A'));
    expect(await closedWithin(socket, 5000)).toBe(true);
    await stillServes();
  });

  it('refuses tokens of the wrong length or alphabet without throwing', async () => {
    for (const token of ['', 'x', host.token.slice(0, -1), `${host.token}x`, '%C3%A9'.repeat(40), host.token.toUpperCase()]) {
      await expect(wsConnect(host.port, token)).rejects.toThrow('HTTP 403');
      expect((await get(host.port, `/audio/some-take?token=${token}`)).status).toBe(403);
    }
    await stillServes();
  });

  it('survives a client that hangs up in the middle of a frame or of the handshake', async () => {
    const midFrame = await rawUpgraded(host.port, host.token);
    midFrame.write(frame(OP.text, Buffer.from('{"id":1,"method":"app/info"}')).subarray(0, 9));
    midFrame.destroy();
    const midHandshake = await rawSocket(host.port);
    midHandshake.write(upgradeRequest(host.port, host.token).slice(0, 40));
    midHandshake.destroy();
    const reset = await rawSocket(host.port);
    reset.write(upgradeRequest(host.port, host.token));
    reset.resetAndDestroy();
    await stillServes();
  });

  it("answers 404 when a take's audio cannot be read as a file, and goes on", async () => {
    const takeId = services.library.saveTake(newTake({ prompt: 'unreadable' })).id;
    const path = services.library.audioPath(takeId);
    rmSync(path);
    mkdirSync(path);
    try {
      expect((await get(host.port, `/audio/${takeId}?token=${host.token}`)).status).toBe(404);
    } finally {
      rmSync(path, { recursive: true });
    }
    await stillServes();
  });
});

describe('browser host with a misbehaving service', () => {
  const real = testServices();
  let host: BrowserHost;
  let watch: ReturnType<typeof watchProcess>;

  beforeAll(async () => {
    // A service whose answers cannot be serialised (a BigInt, a cycle), or that throws synchronously.
    const services = Object.create(real) as Services;
    services.call = ((method: string, params: unknown) => {
      if (method === 'app/info') return Promise.resolve({ big: 10n });
      if (method === 'jobs/list') {
        const cycle: Record<string, unknown> = {};
        cycle.self = cycle;
        return Promise.resolve(cycle);
      }
      if (method === 'projects/list') throw new Error('synchronous failure');
      return real.call(method as never, params as never);
    }) as Services['call'];
    host = await startBrowserHost({ services });
  });
  afterAll(() => host?.close());
  beforeEach(() => {
    watch = watchProcess();
  });
  afterEach(() => watch.stop());

  it('answers an internal error instead of throwing when a reply cannot be sent', async () => {
    const ws = await wsConnect(host.port, host.token);
    try {
      expect(await wsCall(ws, 1, 'app/info', {})).toMatchObject({ id: 1, ok: false, error: { code: 'internal' } });
      expect(await wsCall(ws, 2, 'jobs/list', {})).toMatchObject({ id: 2, ok: false, error: { code: 'internal' } });
      expect(await wsCall(ws, 3, 'projects/list', {})).toMatchObject({ id: 3, ok: false, error: { code: 'internal' } });
      expect(await wsCall(ws, 4, 'takes/list', {})).toMatchObject({ id: 4, ok: true });
    } finally {
      ws.close();
    }
    await sleep(50);
    expect(watch.errors).toEqual([]);
  });

  it('does not throw when the client is gone before its reply is ready', async () => {
    const ws = await wsConnect(host.port, host.token);
    ws.send(JSON.stringify({ id: 1, method: 'takes/list', params: {} }));
    ws.terminate();
    await sleep(200);
    expect(watch.errors).toEqual([]);
  });
});

describe('browser host in a process of its own', () => {
  it('is still running, and answering, after hostile frames (the process does not exit)', { timeout: 60_000 }, async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'serve-process.ts'), tempDir('continuo-serve-')], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr!.on('data', (d) => (stderr += d));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      const { port, token } = await new Promise<{ port: number; token: string }>((resolve, reject) => {
        let out = '';
        child.stdout!.on('data', (d) => {
          out += d;
          if (out.includes('\n')) resolve(JSON.parse(out.split('\n')[0]));
        });
        void exited.then((code) => reject(new Error(`serve exited (${code}) before listening: ${stderr}`)));
      });
      const oversized = await rawUpgraded(port, token);
      oversized.write(frame(OP.text, Buffer.from('{'), { declaredLength: (1 << 20) + 1 }));
      const invalid = await rawUpgraded(port, token);
      invalid.write(frame(OP.text, INVALID_UTF8));
      const garbage = await rawSocket(port);
      garbage.write(upgradeRequest(port, token, { Host: '[' }));
      await Promise.all([closedWithin(oversized, 5000), closedWithin(invalid, 5000), closedWithin(garbage, 5000)]);
      await sleep(300);
      expect({ exitCode: child.exitCode, stderr }).toEqual({ exitCode: null, stderr: '' });
      const ws = await wsConnect(port, token);
      expect(await wsCall(ws, 1, 'takes/list', {})).toMatchObject({ id: 1, ok: true, result: { total: 0 } });
      ws.close();
    } finally {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
    }
  });
});
