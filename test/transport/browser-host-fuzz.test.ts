/**
 * Fuzz: a few hundred random and hostile inputs thrown at `continuo serve`'s host from a seeded
 * RNG — random bytes, binary frames, huge and deeply nested JSON, wrong types for id/method/params,
 * unknown methods, prototype-pollution keys, frames over the limit, invalid UTF-8, hang-ups in the
 * middle of a frame, raw garbage on the TCP socket before and after the upgrade, broken HTTP. Then
 * a well-behaved client must still get its answer, every reply seen must be a well-formed wire
 * message, and the process must not have seen an uncaught exception or unhandled rejection.
 *
 * Loopback only, bounded in count (FUZZ_CASES) and time. CONTINUO_FUZZ_SEED replays a run.
 */
import type { Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startBrowserHost, type BrowserHost } from '../../src/main/transport/browser-host';
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

const SEED = Number(process.env.CONTINUO_FUZZ_SEED ?? 0x5eed2024);
const FUZZ_CASES = 320;
const PARALLEL = 8;
/** How long one case waits for the server's answer (a reply, or closing the socket) before moving on. */
const CASE_WAIT_MS = 250;
const LIMIT = 1 << 20;

/** mulberry32: small, seedable, good enough to pick inputs. */
function rng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(next() * n);
  const pick = <T>(items: readonly T[]): T => items[int(items.length)];
  const bytes = (n: number) => Buffer.from(Array.from({ length: n }, () => int(256)));
  const text = (n: number) =>
    Array.from({ length: n }, () =>
      String.fromCodePoint(pick([int(128), 0x80 + int(0x780), 0x4e00 + int(0x5000), 0x1f300 + int(0x300)])),
    ).join('');
  return { next, int, pick, bytes, text };
}
type Rng = ReturnType<typeof rng>;

/** Read-only methods: random params to these never change the library or start work. */
const READ_ONLY = [
  'app/info',
  'jobs/list',
  'takes/list',
  'takes/get',
  'takes/lineage',
  'takes/tags',
  'projects/list',
  'projects/get',
  'models/list',
  'settings/get',
];
const HOSTILE_METHODS = [
  '__proto__',
  'constructor',
  'prototype',
  'hasOwnProperty',
  'toString',
  'valueOf',
  '__defineGetter__',
  'fs/readFile',
  '../../etc/passwd',
  'app/info\u0000',
  'APP/INFO',
  ' app/info',
  '',
  'x'.repeat(5000),
  '\ud800',
  'jobs/',
  '/',
  'takes/list/../../app/info',
];

function randomValue(r: Rng, depth = 0): unknown {
  switch (r.int(depth > 3 ? 7 : 10)) {
    case 0:
      return null;
    case 1:
      return r.pick([true, false]);
    case 2:
      return r.pick([0, -1, 1.5, 2 ** 53, -(2 ** 63), 1e308, Number.MAX_SAFE_INTEGER + 2, 0.1]);
    case 3:
      return r.text(r.int(40));
    case 4:
      return r.pick(['', '__proto__', 'constructor', '<script>', '../..', '%00', 'NaN', 'Infinity']);
    case 5:
      return r.int(1000);
    case 6:
      return r.bytes(r.int(12)).toString('base64');
    case 7:
      return Array.from({ length: r.int(5) }, () => randomValue(r, depth + 1));
    default: {
      const o: Record<string, unknown> = {};
      for (let i = r.int(5); i > 0; i--)
        o[r.pick(['id', 'limit', 'offset', 'query', 'tag', 'prompt', 'seconds', '__proto__', 'constructor', 'prototype', r.text(6)])] =
          randomValue(r, depth + 1);
      return o;
    }
  }
}

/** A JSON text nesting `depth` arrays or objects, under the size limit. */
function nested(depth: number, kind: 'array' | 'object'): string {
  return kind === 'array' ? `${'['.repeat(depth)}${']'.repeat(depth)}` : `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
}

/** Prototype-pollution payloads, as raw JSON text (JSON.stringify would drop a real __proto__ key). */
const POLLUTION = [
  '{"id":1,"method":"takes/list","params":{"__proto__":{"polluted":"yes"}}}',
  '{"id":2,"method":"__proto__","params":{"polluted":"yes"}}',
  '{"id":3,"__proto__":{"method":"app/info","polluted":"yes"}}',
  '{"id":4,"method":"settings/get","params":{"constructor":{"prototype":{"polluted":"yes"}}}}',
  '{"id":5,"method":"constructor","params":{"prototype":{"polluted":"yes"}}}',
  '{"__proto__":{"id":6,"method":"app/info","params":{}},"polluted":"yes"}',
  '{"id":7,"method":"takes/get","params":{"id":{"__proto__":{"polluted":"yes"}}}}',
  '{"id":8,"method":"hasOwnProperty","params":null}',
];

interface FuzzContext {
  host: BrowserHost;
  /** Every text the server sent to a fuzz client, to check that each is a well-formed wire message. */
  received: string[];
}

/** A ws client that records what it gets and ignores its own errors (the server may close it). */
async function client(ctx: FuzzContext): Promise<WebSocket> {
  const ws = await wsConnect(ctx.host.port, ctx.host.token);
  ws.on('message', (data, isBinary) => ctx.received.push(isBinary ? `binary:${data.toString()}` : data.toString()));
  return ws;
}

/** Sends through a ws client, then gives the server a moment to answer or close; always cleans up. */
async function viaClient(ctx: FuzzContext, send: (ws: WebSocket) => void): Promise<void> {
  const ws = await client(ctx);
  const closed = new Promise<void>((resolve) => ws.once('close', () => resolve()));
  try {
    send(ws);
  } catch {
    // The client library itself refused (e.g. the socket already closed): fine.
  }
  await Promise.race([closed, sleep(CASE_WAIT_MS)]);
  ws.terminate();
}

/** Writes raw bytes on an upgraded socket (or, if `upgrade` is false, before any upgrade). */
async function viaRaw(ctx: FuzzContext, upgrade: boolean, write: (socket: Socket) => void, hangUp = false): Promise<void> {
  const socket = upgrade ? await rawUpgraded(ctx.host.port, ctx.host.token) : await rawSocket(ctx.host.port);
  write(socket);
  if (hangUp) socket.destroy();
  else await closedWithin(socket, CASE_WAIT_MS);
  socket.destroy();
}

type Case = (ctx: FuzzContext, r: Rng) => Promise<void>;

const CASES: Record<string, Case> = {
  'random bytes as a text frame': (ctx, r) => viaRaw(ctx, true, (s) => s.write(frame(OP.text, r.bytes(1 + r.int(300))))),
  'random text': (ctx, r) => viaClient(ctx, (ws) => ws.send(r.text(1 + r.int(200)))),
  'binary frame': (ctx, r) =>
    viaClient(ctx, (ws) => ws.send(r.pick([r.bytes(1 + r.int(500)), Buffer.from('{"id":1,"method":"app/info","params":{}}')]))),
  'huge JSON under the limit': (ctx, r) =>
    viaClient(ctx, (ws) =>
      ws.send(JSON.stringify({ id: 1, method: r.pick(READ_ONLY), params: { query: 'q'.repeat(LIMIT - 200 - r.int(1000)) } })),
    ),
  'deeply nested JSON': (ctx, r) => {
    const depth = r.pick([1000, 10_000, 100_000, 200_000]);
    const body = nested(depth, r.pick(['array', 'object'] as const));
    return viaClient(ctx, (ws) => ws.send(r.pick([body, `{"id":1,"method":"${r.pick(READ_ONLY)}","params":${body}}`])));
  },
  'wrong types for id, method, params': (ctx, r) =>
    viaClient(ctx, (ws) =>
      ws.send(
        JSON.stringify({
          id: r.pick([randomValue(r), 1, -1, 1.5, '1', null, 2 ** 60]),
          method: r.pick([randomValue(r), r.pick(READ_ONLY), 42, null, ['app/info']]),
          params: r.pick([randomValue(r), 'x', 7, [], null]),
        }),
      ),
    ),
  'not a request at all': (ctx, r) =>
    viaClient(ctx, (ws) =>
      ws.send(r.pick(['null', '1', '"x"', '[]', 'true', '{}', '{"id":1}', '{"method":"app/info"}', JSON.stringify(randomValue(r))])),
    ),
  'unknown or hostile method': (ctx, r) =>
    viaClient(ctx, (ws) =>
      ws.send(JSON.stringify({ id: r.int(1000), method: r.pick([...HOSTILE_METHODS, r.text(20)]), params: randomValue(r) })),
    ),
  'random params to a read-only method': (ctx, r) =>
    viaClient(ctx, (ws) => ws.send(JSON.stringify({ id: r.int(1000), method: r.pick(READ_ONLY), params: randomValue(r) }))),
  'prototype pollution keys': (ctx, r) => viaClient(ctx, (ws) => ws.send(r.pick(POLLUTION))),
  'many requests at once': (ctx, r) =>
    viaClient(ctx, (ws) => {
      for (let i = 0; i < 50; i++)
        ws.send(JSON.stringify({ id: i, method: r.pick([...READ_ONLY, ...HOSTILE_METHODS]), params: randomValue(r) }));
    }),
  'frame header over the limit': (ctx, r) =>
    viaRaw(ctx, true, (s) => s.write(frame(r.pick([OP.text, OP.binary]), r.bytes(16), { declaredLength: LIMIT + 1 + r.int(2 ** 31) }))),
  'fragments adding up over the limit': (ctx) =>
    viaRaw(ctx, true, (s) => {
      const chunk = Buffer.alloc(LIMIT / 2 + 1, 0x20);
      s.write(frame(OP.text, chunk, { fin: false }));
      s.write(frame(OP.continuation, chunk));
    }),
  'invalid UTF-8 text frame': (ctx, r) =>
    viaRaw(ctx, true, (s) =>
      s.write(
        frame(
          OP.text,
          Buffer.concat([
            Buffer.from('{"id":1,"method":"'),
            r.pick([INVALID_UTF8, Buffer.from([0xff]), Buffer.from([0xc3]), Buffer.from([0xed, 0xa0, 0x80])]),
            Buffer.from('"}'),
          ]),
        ),
      ),
    ),
  'invalid UTF-8 in a close reason': (ctx) =>
    viaRaw(ctx, true, (s) => s.write(frame(OP.close, Buffer.concat([Buffer.from([0x03, 0xe8]), INVALID_UTF8.subarray(8, 12)])))),
  'protocol violations': (ctx, r) =>
    viaRaw(ctx, true, (s) =>
      s.write(
        r.pick([
          frame(OP.text, Buffer.from('{}'), { mask: false }),
          frame(r.pick([0x3, 0x7, 0xb, 0xf]), Buffer.from('x')),
          frame(OP.text, Buffer.from('x'), { rsv: 1 + r.int(7) }),
          frame(OP.ping, Buffer.alloc(200)),
          frame(OP.ping, Buffer.alloc(0), { fin: false }),
          frame(OP.continuation, Buffer.from('orphan')),
          Buffer.concat([frame(OP.text, Buffer.from('{"id":'), { fin: false }), frame(OP.text, Buffer.from('1}'))]),
          frame(OP.close, Buffer.from([0x00])),
          frame(OP.close, Buffer.from([0x03, 0xe7])),
        ]),
      ),
    ),
  'hang-up in the middle of a frame': (ctx, r) =>
    viaRaw(
      ctx,
      true,
      (s) => {
        const whole = frame(OP.text, Buffer.from(JSON.stringify({ id: 1, method: r.pick(READ_ONLY), params: {} })));
        s.write(whole.subarray(0, 1 + r.int(whole.length - 1)));
      },
      true,
    ),
  'reset in the middle of a frame': (ctx, r) =>
    viaRaw(
      ctx,
      true,
      (s) => {
        s.write(frame(OP.text, r.bytes(100), { declaredLength: 5000 }));
        s.resetAndDestroy();
      },
      false,
    ).catch(() => undefined),
  'garbage after the upgrade': (ctx, r) => viaRaw(ctx, true, (s) => s.write(r.bytes(1 + r.int(2000)))),
  'garbage before the upgrade': (ctx, r) =>
    viaRaw(
      ctx,
      false,
      (s) => s.write(r.pick([r.bytes(1 + r.int(2000)), Buffer.from(`${r.text(30)}\r\n\r\n`), Buffer.from('\r\n\r\n\r\n')])),
      r.next() < 0.3,
    ),
  'broken upgrade requests': (ctx, r) => {
    const { port, token } = ctx.host;
    const request = r.pick([
      upgradeRequest(port, token, { Host: r.pick(['[', 'a b', '', `127.0.0.1:${port}x`, 'evil.example', `localhost:${port}`]) }),
      upgradeRequest(port, token, { 'Sec-WebSocket-Version': r.pick(['8', 'x', '']) }),
      upgradeRequest(port, token, { 'Sec-WebSocket-Key': r.pick(['', 'short', '=='.repeat(20)]) }),
      upgradeRequest(port, token, { Origin: r.pick(['null', 'https://evil.example', `http://127.0.0.1:${port}.evil`]) }),
      upgradeRequest(
        port,
        token,
        {},
        r.pick([
          '/ws',
          `/ws?token=${token}x`,
          `/ws?token=${encodeURIComponent(r.text(10))}`,
          '/ws?token=%E0%A4%A',
          '//[::1',
          `/../ws?token=${token}`,
          `/ws?token=${token}&token=x`,
        ]),
      ),
      `${upgradeRequest(port, token).slice(0, -2)}${'X-Pad: y\r\n'.repeat(2000)}\r\n`,
      upgradeRequest(port, token).slice(0, 20 + r.int(100)),
    ]);
    return viaRaw(ctx, false, (s) => s.write(request), r.next() < 0.2);
  },
  'broken HTTP requests': (ctx, r) => {
    const { port, token } = ctx.host;
    const path = r.pick([
      '/',
      '/%',
      '/%E0%A4%A',
      '/..%2F..%2Fetc%2Fpasswd',
      `/audio/${r.text(8)}?token=${token}`,
      `/audio/x?token=${r.text(5)}`,
      `/audio/${'a'.repeat(100)}?token=${token}`,
      '/index.html',
      '*',
      'http://evil.example/',
    ]);
    const request = r.pick([
      `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nRange: ${r.pick(['bytes=0-', 'bytes=-1', 'bytes=999999999-', 'bytes=x', 'bytes=5-1', 'items=0-1'])}\r\n\r\n`,
      `${r.pick(['POST', 'DELETE', 'BREW', 'G\u00e9T', ''])} ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Length: ${r.int(100)}\r\n\r\n`,
      `GET ${path} HTTP/9.9\r\n\r\n`,
      `GET / HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\nzz\r\n`,
      `GET / HTTP/1.1\r\n${'A'.repeat(20_000)}: b\r\n\r\n`,
    ]);
    return viaRaw(ctx, false, (s) => s.write(request), r.next() < 0.3);
  },
};

/** A reply must be JSON with either an event or a numeric id and ok flag (and an error code when not ok). */
function wellFormed(text: string): boolean {
  if (text.startsWith('binary:')) return false;
  let m: any;
  try {
    m = JSON.parse(text);
  } catch {
    return false;
  }
  if (typeof m !== 'object' || m === null) return false;
  if (typeof m.event === 'string') return true;
  if (typeof m.id !== 'number' || typeof m.ok !== 'boolean') return false;
  return m.ok ? 'result' in m : typeof m.error?.code === 'string' && typeof m.error?.message === 'string';
}

describe('browser host under fuzzing', () => {
  const services = testServices();
  let host: BrowserHost;

  beforeAll(async () => {
    host = await startBrowserHost({ services, log: () => {} });
  });
  afterAll(() => host?.close());

  it(`survives ${FUZZ_CASES} random and hostile inputs (seed ${SEED}) and still answers`, { timeout: 120_000 }, async () => {
    const watch = watchProcess();
    const ctx: FuzzContext = { host, received: [] };
    const r = rng(SEED);
    const names = Object.keys(CASES);
    const ran: Record<string, number> = {};
    const failures: string[] = [];
    const started = Date.now();
    try {
      for (let done = 0; done < FUZZ_CASES && Date.now() - started < 90_000; done += PARALLEL) {
        const batch = Array.from({ length: Math.min(PARALLEL, FUZZ_CASES - done) }, (_, i) => {
          // Every kind runs at least once; the rest are drawn at random.
          const name = done + i < names.length ? names[done + i] : r.pick(names);
          ran[name] = (ran[name] ?? 0) + 1;
          const caseRng = rng(r.int(2 ** 32));
          return CASES[name](ctx, caseRng).catch((error: Error) => {
            // The server refusing our connection outright would be a failure of its own.
            failures.push(`${name}: ${error.message}`);
          });
        });
        await Promise.all(batch);
      }
      await sleep(200);

      // A fresh, well-behaved client still gets answers.
      const ws = await wsConnect(host.port, host.token);
      try {
        expect(await wsCall(ws, 1001, 'takes/list', { limit: 10 })).toMatchObject({ id: 1001, ok: true, result: { takes: [], total: 0 } });
        expect(await wsCall(ws, 1002, 'app/info', {})).toMatchObject({ id: 1002, ok: true, result: { dataDir: services.dataDir } });
        expect(await wsCall(ws, 1003, 'settings/get', {})).toMatchObject({ id: 1003, ok: true });
      } finally {
        ws.close();
      }
      await sleep(100);
    } finally {
      watch.stop();
    }

    expect(Object.keys(ran).sort()).toEqual(names.sort());
    expect(Object.values(ran).reduce((a, b) => a + b, 0)).toBe(FUZZ_CASES);
    expect(failures).toEqual([]);
    expect(watch.errors).toEqual([]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.prototype).not.toHaveProperty('polluted');
    const malformed = ctx.received.filter((t) => !wellFormed(t));
    expect(malformed.slice(0, 5)).toEqual([]);
    // The fuzz clients got answers, not just silence.
    expect(ctx.received.length).toBeGreaterThan(50);
    // Nothing the fuzzer sent was executed as a method that does not exist in the contract.
    expect(ctx.received.filter((t) => /"ok":true/.test(t) && /polluted/.test(t))).toEqual([]);
  });
});
