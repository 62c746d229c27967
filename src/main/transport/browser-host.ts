/**
 * Browser mode: the same services over a loopback WebSocket, plus HTTP for the built renderer and
 * take audio (with Range). Listens on 127.0.0.1 only. A random per-run token guards the socket
 * and the audio; Host and Origin are checked so another web page cannot reach it through the
 * browser (DNS rebinding, cross-site WebSocket).
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { createReadStream, existsSync, readFileSync, statSync, type Stats } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { pipeline, type Duplex } from 'node:stream';
import { basename, extname, join, normalize, sep } from 'node:path';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import { ApiError, methods, type EventOf, type MethodName } from '../../shared/contract';
import { isWireRequest, type WireReply } from '../../shared/wire';
import { encodePreviewFrame } from '../../shared/preview-frame';
import type { Services } from '../services';
import { exportedFile } from '../exported-files';
import { rangeResponse } from './range';
import { clearStaleUploads, receiveImport, UPLOAD_TOKEN_HEADER } from './upload';
import { MAX_IMPORT_BYTES } from '../services/import';

export interface BrowserHostOptions {
  services: Services;
  port?: number;
  /** The built renderer (out/renderer); without it only the API and audio are served. */
  rendererDir?: string;
  token?: string;
  /** The largest upload POST /import accepts (default: services/import's MAX_IMPORT_BYTES). */
  maxImportBytes?: number;
  /** Where errors of the server itself go (not those of a misbehaving client). Default: stderr. */
  log?: (line: string) => void;
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

const digest = (value: string) => createHash('sha256').update(value, 'utf8').digest();

/** Compares a presented token with ours in constant time (equal-length digests, whatever was sent). */
export function tokenMatcher(token: string): (candidate: string | null | undefined) => boolean {
  const expected = digest(token);
  return (candidate) => {
    const matches = timingSafeEqual(digest(typeof candidate === 'string' ? candidate : ''), expected);
    return matches && typeof candidate === 'string';
  };
}

/** A wire error reply; id -1 when the request's id could not be read. */
function errorReply(id: number, code: string, message: string): string {
  return JSON.stringify({ id, ok: false, error: { code, message } });
}

/**
 * Sends text (or a binary frame: preview PCM) to one client if it is still open. A failed send (the client went away, the socket
 * broke) ends that client alone; it never throws into the caller.
 */
function sendText(ws: WebSocket, text: string | Uint8Array): void {
  if (ws.readyState !== ws.OPEN) return;
  try {
    ws.send(text, (error) => {
      if (error) ws.terminate();
    });
  } catch {
    ws.terminate();
  }
}

export async function startBrowserHost(options: BrowserHostOptions): Promise<BrowserHost> {
  const { services } = options;
  const token = options.token ?? randomBytes(24).toString('base64url');
  const log = options.log ?? ((line: string) => void process.stderr.write(`${line}\n`));
  const tokenOk = tokenMatcher(token);
  let port = 0;
  const allowedHosts = () => new Set([`127.0.0.1:${port}`, `localhost:${port}`]);
  const sameOrigin = (origin: string | undefined) => !origin || [...allowedHosts()].some((h) => origin === `http://${h}`);

  function serveAudio(req: IncomingMessage, res: ServerResponse, id: string): void {
    let path: string;
    try {
      path = services.audioPath(id); // a take, or a rendered mix of a project
    } catch {
      return send(res, 404, 'No such take.');
    }
    let stats: Stats;
    try {
      stats = statSync(path);
    } catch {
      return send(res, 404, "The take's audio file is missing.");
    }
    if (!stats.isFile()) return send(res, 404, "The take's audio file is missing.");
    const r = rangeResponse(req.headers.range, stats.size);
    if (r.status === 416 || req.method === 'HEAD') {
      res.writeHead(r.status, r.headers);
      return void res.end();
    }
    // Headers go out once the file is open, so a file that cannot be opened is still a 404; a read
    // error later (or the player hanging up) ends this response alone.
    const stream = createReadStream(path, { start: r.start, end: r.end });
    stream.once('error', () => {
      if (!res.headersSent) send(res, 404, "The take's audio file could not be read.");
      else res.destroy();
    });
    stream.once('open', () => {
      res.writeHead(r.status, r.headers);
      pipeline(stream, res, () => {});
    });
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
    if (url.pathname === '/import' && req.method === 'POST') {
      if (!sameOrigin(req.headers.origin)) return send(res, 403, 'Cross-origin uploads are refused.');
      if (!tokenOk(req.headers[UPLOAD_TOKEN_HEADER] as string | undefined)) return send(res, 403, 'Missing or wrong token.');
      receiveImport(req, res, url, { services, maxBytes: options.maxImportBytes ?? MAX_IMPORT_BYTES }).catch(() => res.destroy());
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'Method not allowed.');
    const audio = /^\/audio\/([\w-]{1,100})$/.exec(url.pathname);
    if (audio) {
      if (!tokenOk(url.searchParams.get('token'))) return send(res, 403, 'Missing or wrong token.');
      return serveAudio(req, res, audio[1]);
    }
    if (url.pathname === '/download') {
      // An exported file as a download (browser mode's "drag out"): files under exports/ only.
      if (!tokenOk(url.searchParams.get('token'))) return send(res, 403, 'Missing or wrong token.');
      const file = exportedFile(services.dataDir, url.searchParams.get('path'));
      if (!file) return send(res, 404, 'No such exported file.');
      const name = basename(file).replace(/[^\w.-]/g, '_');
      res.writeHead(200, {
        'Content-Type': 'application/octet-stream',
        'Content-Length': statSync(file).size,
        'Content-Disposition': `attachment; filename="${name}"`,
        'X-Content-Type-Options': 'nosniff',
      });
      if (req.method === 'HEAD') return void res.end();
      return void pipeline(createReadStream(file), res, () => {});
    }
    serveStatic(res, url.pathname);
  }

  // Node answers a request it cannot parse with 400 by itself only when nobody listens here; a
  // socket that broke (reset, half a request) is just dropped.
  server.on('clientError', (error: Error, socket: Duplex) => {
    if ((error as NodeJS.ErrnoException).code !== 'ECONNRESET' && socket.writable)
      socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
    else socket.destroy();
  });

  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_MESSAGE_BYTES });
  wss.on('error', (error) => log(`Continuo: WebSocket server error: ${error.message}`));

  function refuse(socket: Duplex, status: string): void {
    if (socket.writable) socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
    socket.destroy();
  }

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    // Node takes its own error handler off an upgraded socket: until ws adopts it, errors are ours.
    socket.on('error', () => socket.destroy());
    try {
      if (!allowedHosts().has(req.headers.host ?? '') || !sameOrigin(req.headers.origin)) return refuse(socket, '403 Forbidden');
      const url = new URL(req.url ?? '/', `http://127.0.0.1:${port}`);
      if (url.pathname !== '/ws' || !tokenOk(url.searchParams.get('token'))) return refuse(socket, '403 Forbidden');
      wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
    } catch {
      refuse(socket, '400 Bad Request');
    }
  });

  wss.on('connection', (ws: WebSocket) => {
    // A protocol error (frame over maxPayload, invalid UTF-8, unmasked frame, bad opcode) arrives
    // here; ws has already started closing that socket with the right code. Without a listener it
    // would be an uncaught exception that takes the whole server down.
    ws.on('error', () => {
      if (ws.readyState !== ws.CLOSED) setTimeout(() => ws.terminate(), 1000).unref();
    });
    const off = services.events.onAny((event, payload) => {
      // Preview PCM goes as a binary frame, never as JSON numbers.
      if (event === 'job.audio') return sendText(ws, encodePreviewFrame(payload as EventOf<'job.audio'>));
      let text: string;
      try {
        text = JSON.stringify({ event, payload });
      } catch {
        return;
      }
      sendText(ws, text);
    });
    ws.on('close', off);
    ws.on('message', (data, isBinary) => {
      handleMessage(ws, data, isBinary).catch(() => ws.terminate());
    });
  });

  /** One request from one client. Never throws: every failure becomes a reply, or ends that client. */
  async function handleMessage(ws: WebSocket, data: RawData, isBinary: boolean): Promise<void> {
    if (isBinary) return sendText(ws, errorReply(-1, 'invalid-params', 'Expected a text message.'));
    let message: unknown;
    try {
      message = JSON.parse(data.toString());
    } catch {
      return sendText(ws, errorReply(-1, 'invalid-params', 'The message is not JSON.'));
    }
    if (!isWireRequest(message)) return sendText(ws, errorReply(-1, 'invalid-params', 'Expected {id, method, params}.'));
    const { id, method } = message;
    let reply: WireReply;
    try {
      if (!Object.hasOwn(methods, method)) throw new ApiError('unknown-method', `Unknown method "${method.slice(0, 100)}".`);
      // A path names a file on the server's computer, which a page has no business choosing: browser mode uploads the bytes.
      if (method === 'takes/import') throw new ApiError('invalid-params', 'In the browser, import by uploading the file (POST /import).');
      reply = { id, ok: true, result: await services.call(method as MethodName, message.params) };
    } catch (error) {
      const api = error instanceof ApiError ? error : new ApiError('internal', String(error));
      reply = { id, ok: false, error: { code: api.code, message: api.message } };
    }
    let text: string;
    try {
      text = JSON.stringify(reply);
    } catch (error) {
      text = errorReply(id, 'internal', `The answer to ${method} could not be sent: ${(error as Error).message}.`);
    }
    sendText(ws, text);
  }

  await clearStaleUploads(services.dataDir);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  port = (server.address() as { port: number }).port;
  server.on('error', (error) => log(`Continuo: server error: ${error.message}`));
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
