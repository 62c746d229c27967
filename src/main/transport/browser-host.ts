/**
 * Browser mode: the same services over a loopback WebSocket, plus HTTP for the built renderer and
 * take audio (with Range). Listens on 127.0.0.1 only. A random per-run token guards the socket
 * and the audio; Host and Origin are checked so another web page cannot reach it through the
 * browser (DNS rebinding, cross-site WebSocket).
 */
import { randomBytes } from 'node:crypto';
import { createReadStream, existsSync, readFileSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { extname, join, normalize, sep } from 'node:path';
import { WebSocketServer, type WebSocket } from 'ws';
import { ApiError, type MethodName } from '../../shared/contract';
import { isWireRequest, type WireReply } from '../../shared/wire';
import type { Services } from '../services';
import { rangeResponse } from './range';

export interface BrowserHostOptions {
  services: Services;
  port?: number;
  /** The built renderer (out/renderer); without it only the API and audio are served. */
  rendererDir?: string;
  token?: string;
}

export interface BrowserHost {
  url: string;
  port: number;
  token: string;
  close(): Promise<void>;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.woff2': 'font/woff2',
  '.json': 'application/json',
};
const MAX_MESSAGE_BYTES = 1 << 20;

function send(res: ServerResponse, status: number, body: string, type = 'text/plain; charset=utf-8'): void {
  res.writeHead(status, { 'Content-Type': type, 'X-Content-Type-Options': 'nosniff' });
  res.end(body);
}

export async function startBrowserHost(options: BrowserHostOptions): Promise<BrowserHost> {
  const { services } = options;
  const token = options.token ?? randomBytes(24).toString('base64url');
  let port = 0;
  const allowedHosts = () => new Set([`127.0.0.1:${port}`, `localhost:${port}`]);
  const sameOrigin = (origin: string | undefined) => !origin || [...allowedHosts()].some((h) => origin === `http://${h}`);

  function serveAudio(req: IncomingMessage, res: ServerResponse, id: string): void {
    let path: string;
    try {
      services.library.getTake(id);
      path = services.library.audioPath(id);
    } catch {
      return send(res, 404, 'No such take.');
    }
    if (!existsSync(path)) return send(res, 404, 'The take\'s audio file is missing.');
    const size = statSync(path).size;
    const r = rangeResponse(req.headers.range, size);
    res.writeHead(r.status, r.headers);
    if (r.status === 416 || req.method === 'HEAD') return void res.end();
    createReadStream(path, { start: r.start, end: r.end }).pipe(res);
  }

  function serveStatic(res: ServerResponse, urlPath: string): void {
    const root = options.rendererDir;
    if (!root || !existsSync(join(root, 'index.html'))) {
      return send(res, 404, 'The studio is not built. Run "npm run build" first, then start "continuo serve" again.');
    }
    const relative = normalize(decodeURIComponent(urlPath)).replace(/^([/\\])+/, '');
    const file = join(root, relative === '' ? 'index.html' : relative);
    if (!file.startsWith(root + sep) && file !== join(root, 'index.html')) return send(res, 403, 'Forbidden.');
    const target = existsSync(file) && statSync(file).isFile() ? file : join(root, 'index.html');
    res.writeHead(200, { 'Content-Type': TYPES[extname(target)] ?? 'application/octet-stream', 'X-Content-Type-Options': 'nosniff' });
    res.end(readFileSync(target));
  }

  const server = createServer((req, res) => {
    try {
      route(req, res);
    } catch (error) {
      if (!res.headersSent) send(res, 400, `Bad request: ${(error as Error).message}`);
      else res.destroy();
    }
  });

  function route(req: IncomingMessage, res: ServerResponse): void {
    if (!allowedHosts().has(req.headers.host ?? '')) return send(res, 421, 'Wrong host.');
    const url = new URL(req.url ?? '/', `http://${req.headers.host}`);
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'Method not allowed.');
    const audio = /^\/audio\/([\w-]{1,100})$/.exec(url.pathname);
    if (audio) {
      if (url.searchParams.get('token') !== token) return send(res, 403, 'Missing or wrong token.');
      return serveAudio(req, res, audio[1]);
    }
    serveStatic(res, url.pathname);
  }

  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_MESSAGE_BYTES });
  server.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url ?? '/', `http://${req.headers.host}`);
    const ok = url.pathname === '/ws' && url.searchParams.get('token') === token && allowedHosts().has(req.headers.host ?? '') && sameOrigin(req.headers.origin);
    if (!ok) {
      socket.write('HTTP/1.1 403 Forbidden\r\n\r\n');
      socket.destroy();
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
  });

  wss.on('connection', (ws: WebSocket) => {
    const off = services.events.onAny((event, payload) => {
      if (ws.readyState === ws.OPEN) ws.send(JSON.stringify({ event, payload }));
    });
    ws.on('close', off);
    ws.on('message', async (data) => {
      let message: unknown;
      try {
        message = JSON.parse(data.toString());
      } catch {
        return ws.send(JSON.stringify({ id: -1, ok: false, error: { code: 'invalid-params', message: 'The message is not JSON.' } }));
      }
      if (!isWireRequest(message)) {
        return ws.send(JSON.stringify({ id: -1, ok: false, error: { code: 'invalid-params', message: 'Expected {id, method, params}.' } }));
      }
      let reply: WireReply;
      try {
        reply = { id: message.id, ok: true, result: await services.call(message.method as MethodName, message.params) };
      } catch (error) {
        const api = error instanceof ApiError ? error : new ApiError('internal', String(error));
        reply = { id: message.id, ok: false, error: { code: api.code, message: api.message } };
      }
      if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(reply));
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}/#token=${token}`,
    port,
    token,
    close: async () => {
      for (const client of wss.clients) client.terminate();
      wss.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
