/** Browser mode's import: POST /import streams the bytes to disk under a limit, then the services import them. */
import { existsSync, mkdirSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { encodeWav } from '../../src/main/audio';
import { startBrowserHost, type BrowserHost } from '../../src/main/transport/browser-host';
import { audio, noise, onGrid } from '../audio/signals';
import { collect, testServices } from '../helpers/services';

interface Answer {
  status: number;
  body: any;
}

/** POSTs `chunks` (one after another, so the server sees a stream) and parses the JSON answer. */
function post(host: BrowserHost, path: string, chunks: Buffer[], headers: Record<string, string> = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port: host.port,
        path,
        method: 'POST',
        headers: { host: `127.0.0.1:${host.port}`, 'content-type': 'application/octet-stream', ...headers },
      },
      (res) => {
        const parts: Buffer[] = [];
        res.on('data', (c) => parts.push(c));
        res.on('end', () => {
          const text = Buffer.concat(parts).toString();
          resolve({ status: res.statusCode!, body: text.startsWith('{') ? JSON.parse(text) : text });
        });
      },
    );
    // The server may hang up on a refused upload while we are still sending; its answer is what counts.
    req.on('error', (error) => (req.writableEnded ? undefined : reject(error)));
    let i = 0;
    const next = () => {
      if (i === chunks.length) return req.end();
      if (req.destroyed) return;
      req.write(chunks[i++], () => setTimeout(next, 5));
    };
    next();
  });
}

describe('browser host: POST /import', () => {
  const services = testServices();
  let host: BrowserHost;
  const wav = encodeWav(audio(44100, onGrid(noise(44100, 1, 0.5), 16), onGrid(noise(44100, 2, 0.5), 16)), 'pcm16');
  const uploads = () => {
    const folder = join(services.dataDir, 'uploads');
    return existsSync(folder) ? readdirSync(folder) : [];
  };
  const total = async () => (await services.call('takes/list', { limit: 500 })).total;

  beforeAll(async () => {
    host = await startBrowserHost({ services, maxImportBytes: 200_000 });
  });
  afterAll(() => host?.close());

  it('imports the uploaded bytes as a take named after the file, and removes the upload', async () => {
    const created = collect(services, 'take.created');
    const chunks = [wav.subarray(0, 50_000), wav.subarray(50_000, 120_000), wav.subarray(120_000)];
    const answer = await post(host, '/import?name=' + encodeURIComponent('my loop.wav'), chunks, { 'x-continuo-token': host.token });
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ kind: 'import', title: 'my loop', device: 'my loop.wav', sampleRate: 44100, channels: 2 });
    expect(created.map((t) => t.id)).toEqual([answer.body.id]);
    expect(services.library.readAudio(answer.body.id).channels[1].length).toBe(44100);
    expect(uploads()).toEqual([]);
  });

  it('takes a title', async () => {
    const answer = await post(host, '/import?name=a.wav&title=Groove', [wav], { 'x-continuo-token': host.token });
    expect(answer.body).toMatchObject({ title: 'Groove', device: 'a.wav' });
  });

  it('refuses a missing or wrong token, another origin and another host, saving nothing', async () => {
    const before = await total();
    expect((await post(host, '/import?name=a.wav', [wav])).status).toBe(403);
    expect((await post(host, '/import?name=a.wav', [wav], { 'x-continuo-token': host.token + 'x' })).status).toBe(403);
    const evil = await post(host, '/import?name=a.wav', [wav], { 'x-continuo-token': host.token, origin: 'http://evil.example' });
    expect(evil.status).toBe(403);
    const rebound = await post(host, '/import?name=a.wav', [wav], { 'x-continuo-token': host.token, host: 'evil.example' });
    expect(rebound.status).toBe(421);
    expect(await total()).toBe(before);
  });

  it('answers 413 past the size limit, declared or streamed, and keeps nothing', async () => {
    const before = await total();
    const big = Buffer.concat([wav, wav]);
    const declared = await post(host, '/import?name=big.wav', [big], {
      'x-continuo-token': host.token,
      'content-length': String(big.length),
    });
    expect(declared.status).toBe(413);
    expect(declared.body.message).toMatch(/larger than/);
    // Chunked: no length up front, so the limit is found while streaming.
    const chunks = Array.from({ length: 8 }, (_, i) => big.subarray(i * 50_000, (i + 1) * 50_000));
    const streamed = await post(host, '/import?name=big.wav', chunks, { 'x-continuo-token': host.token });
    expect(streamed.status).toBe(413);
    expect(await total()).toBe(before);
    expect(uploads()).toEqual([]);
  });

  it('refuses a damaged file with the decoder’s message and keeps nothing', async () => {
    const before = await total();
    const answer = await post(host, '/import?name=bad.wav', [Buffer.from('RIFF\0\0\0\0WAVEnonsense')], { 'x-continuo-token': host.token });
    expect(answer.status).toBe(400);
    expect(answer.body).toMatchObject({ code: 'invalid-params', message: expect.stringMatching(/bad\.wav|audio file/) });
    expect(await total()).toBe(before);
    expect(uploads()).toEqual([]);
  });

  it('removes uploads a crash left behind when a host starts, and only old ones', async () => {
    const folder = join(services.dataDir, 'uploads');
    mkdirSync(folder, { recursive: true });
    writeFileSync(join(folder, 'old.part'), 'x');
    const dayAgo = new Date(Date.now() - 25 * 3600_000);
    utimesSync(join(folder, 'old.part'), dayAgo, dayAgo);
    writeFileSync(join(folder, 'fresh.part'), 'x');
    const other = await startBrowserHost({ services });
    await other.close();
    expect(uploads()).toEqual(['fresh.part']);
    rmSync(join(folder, 'fresh.part'));
  });

  it('does not import a path over the WebSocket', async () => {
    const ws = new WebSocket(`ws://127.0.0.1:${host.port}/ws?token=${host.token}`, { origin: `http://127.0.0.1:${host.port}` });
    await new Promise((resolve) => ws.once('open', resolve));
    const reply = await new Promise<any>((resolve) => {
      ws.once('message', (data) => resolve(JSON.parse(data.toString())));
      ws.send(JSON.stringify({ id: 1, method: 'takes/import', params: { path: '/etc/passwd' } }));
    });
    ws.close();
    expect(reply).toMatchObject({ id: 1, ok: false, error: { code: 'invalid-params', message: /uploading/ } });
  });
});
