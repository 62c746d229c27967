/** Browser mode's host: the services over a loopback WebSocket, audio with Range, and its guards. */
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startBrowserHost, type BrowserHost } from '../../src/main/transport/browser-host';
import { finished, testServices } from '../helpers/services';

function get(
  port: number,
  path: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: Record<string, unknown>; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers: { host: `127.0.0.1:${port}`, ...headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end();
  });
}

function connect(host: BrowserHost, token = host.token, origin = `http://127.0.0.1:${host.port}`): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${host.port}/ws?token=${token}`, { origin });
    ws.once('open', () => resolve(ws));
    ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    ws.once('error', reject);
  });
}

function call(ws: WebSocket, id: number, method: string, params: unknown): Promise<any> {
  return new Promise((resolve) => {
    const onMessage = (data: WebSocket.RawData, isBinary: boolean) => {
      if (isBinary) return; // preview PCM
      const message = JSON.parse(data.toString());
      if (message.id === id) {
        ws.off('message', onMessage);
        resolve(message);
      }
    };
    ws.on('message', onMessage);
    ws.send(typeof params === 'string' ? params : JSON.stringify({ id, method, params }));
  });
}

describe('browser host', () => {
  const services = testServices();
  let host: BrowserHost;
  let takeId: string;

  beforeAll(async () => {
    host = await startBrowserHost({ services });
    takeId = (await finished(services, (await services.call('jobs/generate', { prompt: 'served', seconds: 1, seed: 1 })).id)).takeIds[0];
  });
  afterAll(() => host?.close());

  it('listens on 127.0.0.1 with a token in the URL fragment', () => {
    expect(host.url).toMatch(new RegExp(`^http://127\\.0\\.0\\.1:${host.port}/#token=[\\w-]{20,}$`));
  });

  it('answers contract calls and forwards events', async () => {
    const ws = await connect(host);
    const info = await call(ws, 1, 'app/info', {});
    expect(info).toMatchObject({ id: 1, ok: true, result: { dataDir: services.dataDir } });
    const bad = await call(ws, 2, 'jobs/generate', { prompt: 42 });
    expect(bad).toMatchObject({ id: 2, ok: false, error: { code: 'invalid-params' } });
    const unknown = await call(ws, 3, 'fs/readFile', { path: '/etc/passwd' });
    expect(unknown).toMatchObject({ ok: false, error: { code: 'unknown-method' } });
    const junk = await call(ws, -1, '', 'not json at all');
    expect(junk).toMatchObject({ ok: false, error: { code: 'invalid-params', message: 'The message is not JSON.' } });
    const events: string[] = [];
    ws.on('message', (d, isBinary) => {
      if (isBinary) return;
      const m = JSON.parse(d.toString());
      if (m.event) events.push(m.event);
    });
    const job = await call(ws, 4, 'jobs/generate', { prompt: 'over the socket', seconds: 0.5 });
    await finished(services, job.result.id);
    await new Promise((r) => setTimeout(r, 50));
    expect(events).toContain('job.updated');
    expect(events).toContain('take.created');
    ws.close();
  });

  it('refuses a wrong token and a foreign origin', async () => {
    await expect(connect(host, 'wrong')).rejects.toThrow('HTTP 403');
    await expect(connect(host, host.token, 'https://evil.example')).rejects.toThrow('HTTP 403');
  });

  it('serves take audio with Range, only with the token', async () => {
    const full = await get(host.port, `/audio/${takeId}?token=${host.token}`);
    expect(full.status).toBe(200);
    expect(full.headers['accept-ranges']).toBe('bytes');
    expect(full.body.subarray(0, 4).toString()).toBe('RIFF');
    const part = await get(host.port, `/audio/${takeId}?token=${host.token}`, { range: 'bytes=100-199' });
    expect(part.status).toBe(206);
    expect(part.headers['content-range']).toBe(`bytes 100-199/${full.body.length}`);
    expect(part.body.equals(full.body.subarray(100, 200))).toBe(true);
    expect((await get(host.port, `/audio/${takeId}?token=nope`)).status).toBe(403);
    expect((await get(host.port, `/audio/missing-take?token=${host.token}`)).status).toBe(404);
  });

  it('refuses other Host headers (DNS rebinding) and stays inside the renderer folder', async () => {
    expect((await get(host.port, '/', { host: 'evil.example' })).status).toBe(421);
    const traversal = await get(host.port, '/..%2F..%2F..%2Fetc%2Fpasswd');
    expect(traversal.body.toString()).not.toContain('root:');
  });
});
