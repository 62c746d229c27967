/**
 * A loopback stand-in for the Hugging Face Hub: serves repo folders under
 * `/<owner>/<repo>/resolve/<revision>/<path>` the way the Hub does (content-length, Range with
 * 206/416, and `x-linked-size` / `x-linked-etag` on LFS files, optionally behind a 302 to a "CDN"),
 * lists folders through the tree API (`/api/models/<repo>/tree/<revision>/<folder>`, with lfs.oid),
 * and misbehaves on request, per file: drops connections, lies about lengths, answers 404/500,
 * stalls, trickles, or ignores Range. It logs every request (with its Range header) so tests can
 * prove what the downloader really asked for.
 *
 * It only ever listens on 127.0.0.1 (random port); `close()` cuts every open connection.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { join } from 'node:path';

export interface Fault {
  /** Answer every request (GET and HEAD) with this status instead of the file… */
  status?: number;
  /** …this many times, then serve normally (default: always). */
  statusTimes?: number;
  /** Send this many body bytes of a GET, then cut the connection… */
  dropAfter?: number;
  /** …this many times (1 = once; default: always). */
  dropTimes?: number;
  /** Send this many body bytes of a GET, then go silent with the connection open… */
  stallAfter?: number;
  /** …this many times (default: always). */
  stallTimes?: number;
  /** Announce this size (content-length, x-linked-size, content-range) while sending the real bytes. */
  announceBytes?: number;
  /** Send the body at about this rate, in small chunks. */
  bytesPerSecond?: number;
  /** Answer a Range request with 200 and the whole file, as some mirrors do. */
  ignoreRange?: boolean;
  /** Send the file with its first byte changed (same size): what the published sha256 must catch. */
  corrupt?: boolean;
}

export interface LoggedRequest {
  method: string;
  /** The URL path as requested. */
  url: string;
  /** The file's path inside its repo. */
  file: string;
  range: string | null;
  status: number;
  /** Body bytes the server wrote before it finished or cut the connection. */
  bytesSent: number;
}

export interface HubServer {
  /** e.g. http://127.0.0.1:40123 — pass as the downloader's baseUrl. */
  baseUrl: string;
  requests: LoggedRequest[];
  /** GET requests for one repo file, in order. */
  gets(file: string): LoggedRequest[];
  /** Sets (or with undefined clears) the fault for a repo-relative path, resetting its counters. */
  setFault(file: string, fault: Fault | undefined): void;
  clearFaults(): void;
  close(): Promise<void>;
}

export interface HubServerOptions {
  /** Repo id (owner/name) → folder holding that repo's files. */
  repos: Record<string, string>;
  /** The only revision served (default "main"); others answer 404 like an unknown branch. */
  revision?: string;
  /** Answer LFS files with a 302 to /cdn/… (as the Hub does), carrying the x-linked-* headers. */
  lfsRedirect?: boolean;
  /** Entries per page of the tree API (`Link: <…>; rel="next"` for the rest, as the Hub pages). Default: all. */
  treePageSize?: number;
}

const isLfs = (file: string) => /\.onnx(_data.*)?$/.test(file);

export async function startHubServer(options: HubServerOptions): Promise<HubServer> {
  const revision = options.revision ?? 'main';
  const faults = new Map<string, Fault>();
  const counters = new Map<string, { status: number; drop: number; stall: number }>();
  const cache = new Map<string, { data: Buffer; sha256: string; sha1: string }>();
  const requests: LoggedRequest[] = [];
  const sockets = new Set<Socket>();

  const load = (path: string) => {
    let hit = cache.get(path);
    if (!hit) {
      const data = readFileSync(path);
      hit = { data, sha256: createHash('sha256').update(data).digest('hex'), sha1: createHash('sha1').update(data).digest('hex') };
      cache.set(path, hit);
    }
    return hit;
  };

  const locate = (url: string): { repo: string; file: string; path: string; viaCdn: boolean } | undefined => {
    const pathname = decodeURIComponent(new URL(url, 'http://x').pathname);
    const cdn = pathname.match(/^\/cdn\/([^/]+\/[^/]+)\/(.+)$/);
    const hub = pathname.match(/^\/([^/]+\/[^/]+)\/resolve\/([^/]+)\/(.+)$/);
    const [repo, rev, file] = cdn ? [cdn[1], revision, cdn[2]] : hub ? [hub[1], hub[2], hub[3]] : [];
    if (!repo || !file || rev !== revision || !options.repos[repo] || file.split('/').includes('..')) return undefined;
    const path = join(options.repos[repo], ...file.split('/'));
    try {
      if (!statSync(path).isFile()) return undefined;
    } catch {
      return undefined;
    }
    return { repo, file, path, viaCdn: cdn !== null };
  };

  /**
   * The Hub's tree API, `/api/models/<owner>/<repo>/tree/<revision>/<folder>`: the folder's entries
   * (not recursive) as `{type, oid, size, path, lfs?: {oid: sha256, size, pointerSize}}`.
   */
  const tree = (url: string, finish: (status: number, headers?: Record<string, string | number>, body?: string) => void): boolean => {
    const parsed = new URL(url, 'http://x');
    const m = decodeURIComponent(parsed.pathname).match(/^\/api\/models\/([^/]+\/[^/]+)\/tree\/([^/]+)(?:\/(.*?))?\/?$/);
    if (!m) return false;
    const [, repo, rev, folder = ''] = m;
    const dir =
      options.repos[repo] && rev === revision && !folder.split('/').includes('..')
        ? join(options.repos[repo], ...folder.split('/').filter(Boolean))
        : undefined;
    let names: string[];
    try {
      names = dir ? readdirSync(dir).sort() : [];
      if (!dir) throw new Error('no repo');
    } catch {
      finish(
        404,
        { 'content-type': 'application/json', 'x-error-code': 'EntryNotFound' },
        JSON.stringify({ error: `${folder} does not exist` }),
      );
      return true;
    }
    const all = names.map((name) => {
      const path = folder ? `${folder.replace(/\/$/, '')}/${name}` : name;
      if (!statSync(join(dir!, name)).isFile()) return { type: 'directory', oid: '0'.repeat(40), size: 0, path };
      const { data, sha256, sha1 } = load(join(dir!, name));
      return isLfs(name)
        ? { type: 'file', oid: sha1, size: data.length, path, lfs: { oid: sha256, size: data.length, pointerSize: 134 } }
        : { type: 'file', oid: sha1, size: data.length, path };
    });
    const size = options.treePageSize ?? (all.length || 1);
    const page = Number(parsed.searchParams.get('page') ?? 0);
    const headers: Record<string, string | number> = { 'content-type': 'application/json' };
    if ((page + 1) * size < all.length) headers.link = `<${parsed.pathname}?page=${page + 1}>; rel="next"`;
    finish(200, headers, JSON.stringify(all.slice(page * size, (page + 1) * size)));
    return true;
  };

  const handle = (req: IncomingMessage, res: ServerResponse) => {
    const entry: LoggedRequest = {
      method: req.method ?? 'GET',
      url: req.url ?? '/',
      file: '',
      range: req.headers.range ?? null,
      status: 0,
      bytesSent: 0,
    };
    requests.push(entry);
    const finish = (status: number, headers: Record<string, string | number> = {}, body?: string) => {
      entry.status = status;
      res.writeHead(status, headers);
      res.end(body);
    };
    if (tree(entry.url, finish)) return;
    const found = locate(entry.url);
    const fileName = decodeURIComponent(new URL(entry.url, 'http://x').pathname).replace(/^.*?\/(resolve\/[^/]+|cdn\/[^/]+\/[^/]+)\//, '');
    entry.file = found?.file ?? fileName;
    const fault = faults.get(entry.file) ?? {};
    const count = counters.get(entry.file) ?? { status: 0, drop: 0, stall: 0 };
    counters.set(entry.file, count);

    if (fault.status !== undefined && count.status < (fault.statusTimes ?? Infinity)) {
      count.status++;
      return finish(fault.status, { 'content-type': 'text/plain' }, `fault ${fault.status}`);
    }
    if (!found) return finish(404, { 'content-type': 'text/plain', 'x-error-code': 'EntryNotFound' }, 'Entry not found');
    const { data, sha256, sha1 } = load(found.path);
    const size = data.length;
    const announced = fault.announceBytes ?? size;
    const linked: Record<string, string | number> =
      isLfs(found.file) && !found.viaCdn ? { 'x-linked-size': announced, 'x-linked-etag': `"${sha256}"` } : {};
    if (options.lfsRedirect && isLfs(found.file) && !found.viaCdn) {
      return finish(302, { ...linked, location: `/cdn/${found.repo}/${found.file}`, 'content-length': 0 });
    }

    let start = 0;
    let status = 200;
    const headers: Record<string, string | number> = {
      ...linked,
      'accept-ranges': 'bytes',
      etag: `"${isLfs(found.file) ? sha256 : sha1}"`,
      'content-type': 'application/octet-stream',
    };
    const range = entry.range?.match(/^bytes=(\d+)-(\d*)$/);
    if (range && !fault.ignoreRange) {
      start = Number(range[1]);
      if (start >= size) return finish(416, { ...linked, 'content-range': `bytes */${size}` });
      status = 206;
      headers['content-range'] = `bytes ${start}-${size - 1}/${announced}`;
    }
    const served = fault.corrupt ? Buffer.concat([Buffer.from([data[0] ^ 0xff]), data.subarray(1)]) : data;
    const body = served.subarray(start);
    headers['content-length'] = announced - start;
    entry.status = status;
    res.writeHead(status, headers);
    if (req.method === 'HEAD') return res.end();

    let cut: number | undefined;
    let after: 'drop' | 'stall' | 'end' = announced > size ? 'drop' : 'end';
    if (fault.dropAfter !== undefined && count.drop < (fault.dropTimes ?? Infinity)) {
      count.drop++;
      cut = fault.dropAfter;
      after = 'drop';
    } else if (fault.stallAfter !== undefined && count.stall < (fault.stallTimes ?? Infinity)) {
      count.stall++;
      cut = fault.stallAfter;
      after = 'stall';
    }
    const payload = cut === undefined ? body : body.subarray(0, cut);
    const done = () => {
      // Cut a moment after the last byte, as a dying connection does; cutting at once would also
      // discard bytes the client received but had not yet read, making the resume point a race.
      if (after === 'drop') setTimeout(() => res.socket?.destroy(), 200);
      else if (after === 'end') res.end();
      // 'stall': leave the response open and silent until the client gives up or the server closes.
    };
    if (!fault.bytesPerSecond) {
      entry.bytesSent = payload.length;
      if (payload.length === 0) return done();
      return void res.write(payload, done);
    }
    const chunk = Math.max(1, Math.round(fault.bytesPerSecond / 20));
    let offset = 0;
    const tick = () => {
      if (res.destroyed) return;
      const piece = payload.subarray(offset, offset + chunk);
      offset += piece.length;
      entry.bytesSent = offset;
      if (offset >= payload.length) return void res.write(piece, done);
      res.write(piece);
      setTimeout(tick, 50);
    };
    tick();
  };

  const server = createServer(handle);
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    baseUrl: `http://127.0.0.1:${port}`,
    requests,
    gets: (file) => requests.filter((r) => r.method === 'GET' && r.file === file),
    setFault(file, fault) {
      counters.delete(file);
      if (fault) faults.set(file, fault);
      else faults.delete(file);
    },
    clearFaults() {
      faults.clear();
      counters.clear();
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
