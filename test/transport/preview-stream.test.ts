/** Streaming preview on the wire: the binary frame, the worker's transfer, the browser host's binary frames. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { AudioChunk } from '../../src/main/engine';
import { serveEngine, type Channel } from '../../src/main/services/remote-engine';
import { startBrowserHost, type BrowserHost } from '../../src/main/transport/browser-host';
import { decodePreviewFrame, encodePreviewFrame } from '../../src/shared/preview-frame';
import { events } from '../../src/shared/contract';
import { testModel } from '../helpers/models';
import { testServices } from '../helpers/services';

describe('preview frame', () => {
  it('round-trips the header and planar PCM exactly', () => {
    const chunk = {
      jobId: '6f1c2a9e-1f4b-4c1e-9a53-7d2e0c1b5a44',
      take: 3,
      startSample: 2 ** 33 + 640,
      sampleRate: 32000,
      final: true,
      channels: [Float32Array.from([0.5, -1, 1e-7]), Float32Array.from([0, Math.PI, -0.25])],
    };
    const bytes = encodePreviewFrame(chunk);
    expect(bytes.length).toBe(28 + 36 + 2 * 3 * 4);
    expect(decodePreviewFrame(bytes)).toEqual({ ...chunk, channels: chunk.channels.map((c) => Float32Array.from(c)) });
    expect(decodePreviewFrame(bytes.buffer.slice(0) as ArrayBuffer)).toEqual(decodePreviewFrame(bytes));
  });

  it('refuses what is not a whole frame', () => {
    const bytes = encodePreviewFrame({
      jobId: 'j',
      take: 0,
      startSample: 0,
      sampleRate: 8000,
      final: false,
      channels: [new Float32Array(4)],
    });
    expect(decodePreviewFrame(bytes.subarray(0, bytes.length - 1))).toBeUndefined();
    expect(decodePreviewFrame(new TextEncoder().encode('{"event":"job.updated"}'))).toBeUndefined();
  });
});

describe('IPC', () => {
  it('carries the event as typed arrays by structured clone (as webContents.send does), valid for the contract', () => {
    const payload = { jobId: 'j', take: 0, startSample: 640, sampleRate: 32000, final: false, channels: [Float32Array.from([0.25, -0.5])] };
    const cloned = structuredClone({ event: 'job.audio', payload }).payload;
    expect(cloned.channels[0]).toBeInstanceOf(Float32Array);
    expect(events['job.audio'].parse(cloned)).toEqual(payload);
    expect(events['job.audio'].safeParse({ ...payload, channels: [[0.25, -0.5]] }).success).toBe(false);
  });
});

describe('the engine worker', () => {
  it('posts preview chunks with their PCM buffers in the transfer list, only when asked to stream', async () => {
    const posted: { message: any; transfer?: ArrayBuffer[] }[] = [];
    let listener: (m: unknown) => void = () => undefined;
    const channel: Channel = {
      post: (message, transfer) => posted.push({ message, transfer }),
      onMessage: (l) => (listener = l),
    };
    serveEngine(channel);
    const reply = (id: number) =>
      new Promise<any>((resolve) => {
        const poll = setInterval(() => {
          const found = posted.find((p) => p.message.id === id && 'ok' in p.message);
          if (found) {
            clearInterval(poll);
            resolve(found.message);
          }
        }, 10);
      });
    listener({
      id: 1,
      op: 'load',
      model: { id: 'tiny', dir: testModel('tiny'), isTestModel: true, bytes: 0 },
      options: { variant: 'fp32', device: 'cpu' },
    });
    expect((await reply(1)).ok).toBe(true);
    listener({ id: 2, op: 'generate', request: { prompts: ['x'], newFrames: 120, seed: 1 }, stream: true });
    expect((await reply(2)).ok).toBe(true);
    const audio = posted.filter((p) => p.message.id === 2 && 'audio' in p.message);
    expect(audio.length).toBeGreaterThanOrEqual(3);
    for (const { message, transfer } of audio) {
      const chunk = message.audio as AudioChunk;
      expect(transfer).toEqual(chunk.channels.map((c) => c.buffer));
    }
    listener({ id: 3, op: 'generate', request: { prompts: ['x'], newFrames: 60, seed: 1 } });
    expect((await reply(3)).ok).toBe(true);
    expect(posted.filter((p) => p.message.id === 3 && 'audio' in p.message)).toHaveLength(0);
    listener({ id: 4, op: 'unload' });
    await reply(4);
  });
});

describe('browser host', () => {
  const services = testServices();
  let host: BrowserHost;
  beforeAll(async () => {
    host = await startBrowserHost({ services });
  });
  afterAll(() => host?.close());

  it('sends preview PCM as binary frames before the job is done', async () => {
    const ws = new WebSocket(`ws://127.0.0.1:${host.port}/ws?token=${host.token}`, { origin: `http://127.0.0.1:${host.port}` });
    await new Promise((resolve) => ws.once('open', resolve));
    const seen: string[] = [];
    const frames: ReturnType<typeof decodePreviewFrame>[] = [];
    let jobId = '';
    const done = new Promise<void>((resolve) =>
      ws.on('message', (data, isBinary) => {
        if (isBinary) {
          const chunk = decodePreviewFrame(new Uint8Array(data as Buffer));
          expect(chunk).toBeDefined();
          frames.push(chunk);
          seen.push(chunk!.final ? 'final' : 'chunk');
          return;
        }
        const message = JSON.parse(data.toString());
        if (message.id === 1) jobId = message.result.id;
        if (message.event === 'job.updated' && message.payload.status === 'done') {
          seen.push('done');
          resolve();
        }
      }),
    );
    ws.send(JSON.stringify({ id: 1, method: 'jobs/generate', params: { prompt: 'streamed', seconds: 2, seed: 3 } }));
    await done;
    ws.close();
    expect(seen.indexOf('chunk')).toBeGreaterThanOrEqual(0);
    expect(seen.indexOf('chunk')).toBeLessThan(seen.indexOf('done'));
    expect(seen.indexOf('final')).toBeLessThan(seen.indexOf('done'));
    expect(frames.every((f) => f!.jobId === jobId && f!.sampleRate === 32000)).toBe(true);
    expect(frames.reduce((n, f) => n + f!.channels[0].length, 0)).toBe(2 * 32000);
  });
});
