/**
 * Raw WebSocket plumbing for tests that must send what a well-behaved client never would:
 * hand-built (masked) frames, invalid UTF-8, lying length headers, garbage on the TCP socket.
 */
import { randomBytes } from 'node:crypto';
import { connect as tcpConnect, type Socket } from 'node:net';
import WebSocket from 'ws';

export const OP = { continuation: 0x0, text: 0x1, binary: 0x2, close: 0x8, ping: 0x9, pong: 0xa } as const;

/**
 * One client-to-server frame. `declaredLength` lets a test claim a length the payload does not
 * have (an oversized header, or a frame cut short); `mask` false sends an unmasked client frame.
 */
export function frame(
  opcode: number,
  payload: Buffer,
  options: { fin?: boolean; mask?: boolean; declaredLength?: number; rsv?: number } = {},
): Buffer {
  const { fin = true, mask = true, rsv = 0 } = options;
  const length = options.declaredLength ?? payload.length;
  const head: number[] = [(fin ? 0x80 : 0) | ((rsv & 7) << 4) | (opcode & 0x0f)];
  const maskBit = mask ? 0x80 : 0;
  let ext = Buffer.alloc(0);
  if (length < 126) head.push(maskBit | length);
  else if (length < 65536) {
    head.push(maskBit | 126);
    ext = Buffer.alloc(2);
    ext.writeUInt16BE(length);
  } else {
    head.push(maskBit | 127);
    ext = Buffer.alloc(8);
    ext.writeBigUInt64BE(BigInt(length));
  }
  if (!mask) return Buffer.concat([Buffer.from(head), ext, payload]);
  const key = randomBytes(4);
  const masked = Buffer.from(payload);
  for (let i = 0; i < masked.length; i++) masked[i] ^= key[i & 3];
  return Buffer.concat([Buffer.from(head), ext, key, masked]);
}

/** Bytes that are not valid UTF-8: a lone continuation byte, an overlong form, a cut sequence. */
export const INVALID_UTF8 = Buffer.from([
  0x7b, 0x22, 0x69, 0x64, 0x22, 0x3a, 0x31, 0x2c, 0x80, 0xc0, 0xaf, 0xed, 0xa0, 0x80, 0xf8, 0x88, 0x80, 0x80, 0x80, 0xe2, 0x82,
]);

/** A TCP connection to the host, not yet upgraded. Errors are swallowed: the server may hang up on us. */
export function rawSocket(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = tcpConnect({ host: '127.0.0.1', port }, () => {
      socket.off('error', reject);
      socket.on('error', () => {});
      resolve(socket);
    });
    socket.once('error', reject);
  });
}

/** The HTTP upgrade request for the host's socket, with overridable headers. */
export function upgradeRequest(port: number, token: string, headers: Record<string, string> = {}, path = `/ws?token=${token}`): string {
  const all: Record<string, string> = {
    Host: `127.0.0.1:${port}`,
    Upgrade: 'websocket',
    Connection: 'Upgrade',
    'Sec-WebSocket-Key': randomBytes(16).toString('base64'),
    'Sec-WebSocket-Version': '13',
    Origin: `http://127.0.0.1:${port}`,
    ...headers,
  };
  return `GET ${path} HTTP/1.1\r\n${Object.entries(all)
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join('')}\r\n`;
}

/** A raw socket upgraded to a WebSocket (101 received), ready for hand-built frames. */
export async function rawUpgraded(port: number, token: string): Promise<Socket> {
  const socket = await rawSocket(port);
  socket.write(upgradeRequest(port, token));
  await new Promise<void>((resolve, reject) => {
    let seen = '';
    const onData = (chunk: Buffer) => {
      seen += chunk.toString('latin1');
      const end = seen.indexOf('\r\n\r\n');
      if (end < 0) return;
      socket.off('data', onData);
      if (seen.startsWith('HTTP/1.1 101')) resolve();
      else reject(new Error(`Upgrade refused: ${seen.slice(0, end)}`));
    };
    socket.on('data', onData);
    socket.once('close', () => reject(new Error('closed before the upgrade')));
  });
  return socket;
}

/** Resolves when the socket is closed by the server (or after `ms`, with false). */
export function closedWithin(socket: Socket, ms: number): Promise<boolean> {
  if (socket.destroyed) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    socket.once('close', () => {
      clearTimeout(timer);
      resolve(true);
    });
    socket.resume();
  });
}

export function wsConnect(port: number, token: string, origin = `http://127.0.0.1:${port}`): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/ws?token=${token}`, { origin });
    ws.once('open', () => {
      ws.off('error', reject);
      ws.on('error', () => {});
      resolve(ws);
    });
    ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    ws.once('error', reject);
  });
}

/** Sends one request and resolves with the reply carrying its id (rejects after `ms`). */
export function wsCall(
  ws: WebSocket,
  id: number,
  method: string,
  params: unknown,
  ms = 10_000,
): Promise<{ id: number; ok: boolean; result?: any; error?: { code: string; message: string } }> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      ws.off('message', onMessage);
      reject(new Error(`No reply to ${method} within ${ms} ms`));
    }, ms);
    const onMessage = (data: WebSocket.RawData) => {
      const message = JSON.parse(data.toString());
      if (message.id === id) {
        clearTimeout(timer);
        ws.off('message', onMessage);
        resolve(message);
      }
    };
    ws.on('message', onMessage);
    ws.send(JSON.stringify({ id, method, params }));
  });
}

/** Records uncaught exceptions and unhandled rejections while a test runs. */
export function watchProcess(): { errors: string[]; stop(): void } {
  const errors: string[] = [];
  const onError = (error: unknown) => errors.push(`uncaughtException: ${(error as Error)?.stack ?? String(error)}`);
  const onRejection = (reason: unknown) => errors.push(`unhandledRejection: ${(reason as Error)?.stack ?? String(reason)}`);
  process.on('uncaughtException', onError);
  process.on('unhandledRejection', onRejection);
  return {
    errors,
    stop() {
      process.off('uncaughtException', onError);
      process.off('unhandledRejection', onRejection);
    },
  };
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
