/**
 * Where model files come from: the Hugging Face Hub (or a mirror speaking its URL scheme), or a
 * local folder of already-downloaded repos for offline installs. Both are opened the same way,
 * "from byte N on", so the downloader's resume, retry and verification logic is written once.
 *
 * HTTP goes through Node's built-in fetch with redirects followed by hand: the Hub answers an LFS
 * file with a 302 to its CDN, and only that first response carries `x-linked-size` and
 * `x-linked-etag` (the file's real size and sha256), which we must not lose.
 */
import { createReadStream, readdirSync, statSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { ModelError } from './errors';

export const DEFAULT_HUB_URL = 'https://huggingface.co';

export interface TransportOptions {
  /**
   * Allow plain http to hosts other than this machine, and https→http redirects. Off by default:
   * the catalog publishes no sha256, so over http anyone on the way could swap the files unseen.
   */
  allowInsecure?: boolean;
}

/** 127.0.0.0/8, ::1 (also IPv4-mapped) and localhost: traffic that never leaves this machine. */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.toLowerCase();
  return (
    host === 'localhost' ||
    /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host) ||
    host === '[::1]' ||
    /^\[::ffff:7f[0-9a-f]{2}:[0-9a-f]{1,4}\]$/.test(host)
  );
}

/**
 * Refuses a URL that would fetch model files in the clear: http to another machine, or any http
 * reached by a redirect from https (a downgrade), unless `allowInsecure`. Loopback http is fine (a
 * mirror on this machine, and the tests' stand-in Hub); `file:` never touches a network.
 */
export function checkTransport(url: string, options: TransportOptions = {}, redirectedFrom?: string): void {
  const target = new URL(url);
  if (target.protocol !== 'http:' || options.allowInsecure) return;
  const from = redirectedFrom === undefined ? undefined : new URL(redirectedFrom);
  if (from?.protocol === 'https:') {
    throw new ModelError(
      'insecure',
      `${from.host} redirected the download to plain http (${target.host}): refused, because the files could be swapped on the way and there is no published sha256 to notice. Use another mirror, or add --allow-insecure if you trust this network.`,
    );
  }
  if (isLoopbackHost(target.hostname)) return;
  throw new ModelError(
    'insecure',
    `Refusing to download model files over plain http from ${target.host}: anyone on the network could swap them, and there is no published sha256 to notice. Use an https mirror, or add --allow-insecure if you trust this network.`,
  );
}
const USER_AGENT = 'continuo/0.1 (model downloader)';
const MAX_REDIRECTS = 5;

/**
 * The URL of one file of a repo. An http(s) base is a Hub or mirror (`<base>/<repo>/resolve/<rev>/<path>`);
 * a `file:` URL or an absolute path is a folder holding `<repo>/<path>` (a clone or `--local-dir` download).
 */
export function hubFileUrl(baseUrl: string, repo: string, revision: string, path: string): string {
  if (baseUrl.startsWith('file:') || isAbsolute(baseUrl)) {
    const dir = baseUrl.startsWith('file:') ? fileURLToPath(baseUrl) : baseUrl;
    return pathToFileURL(join(dir, ...repo.split('/'), ...path.split('/'))).href;
  }
  const base = baseUrl.replace(/\/+$/, '');
  const encode = (p: string) => p.split('/').map(encodeURIComponent).join('/');
  return `${base}/${encode(repo)}/resolve/${encodeURIComponent(revision)}/${encode(path)}`;
}

/** What a source says about a file before (or without) sending it. */
export interface SourceInfo {
  /** The file's full size as announced, or null when the source does not say. */
  totalBytes: number | null;
  /** The sha256 the Hub announces for LFS files (`x-linked-etag`), or null. */
  sha256: string | null;
}

export type Opened =
  /** The body starts at byte 0 (also when the server ignored our Range). */
  | (SourceInfo & { kind: 'full'; body: AsyncIterable<Uint8Array> })
  /** The body starts at `start` (206 Partial Content). */
  | (SourceInfo & { kind: 'partial'; start: number; body: AsyncIterable<Uint8Array> })
  /** The requested offset is at or past the end (416): nothing to send. */
  | (SourceInfo & { kind: 'past-end' });

function headerInt(value: string | null): number | null {
  if (value === null || !/^\d+$/.test(value.trim())) return null;
  return Number(value.trim());
}

/** The Hub's etag for LFS files is the quoted sha256; git-blob etags (sha1) are not usable. */
function linkedSha256(value: string | null): string | null {
  const bare = value?.replace(/^W\//, '').replace(/"/g, '').trim().toLowerCase();
  return bare && /^[0-9a-f]{64}$/.test(bare) ? bare : null;
}

function contentRange(value: string | null): { start: number | null; total: number | null } {
  const m = value?.match(/^bytes\s+(?:(\d+)-\d+|\*)\/(\d+|\*)$/);
  if (!m) return { start: null, total: null };
  return { start: m[1] === undefined ? null : Number(m[1]), total: m[2] === '*' ? null : Number(m[2]) };
}

function statusError(status: number, url: string): ModelError {
  if (status === 404) {
    return new ModelError(
      'not-found',
      `${url} was not found on the Hub (404) — check the model id/revision in the catalog, or the --hub URL.`,
    );
  }
  if (status === 401 || status === 403) {
    return new ModelError('access-denied', `The Hub refused access to ${url} (${status}): the repo may be private or gated.`);
  }
  const retryable = status === 408 || status === 425 || status === 429 || status >= 500;
  return new ModelError('http', `The server answered ${status} for ${url}.`, retryable);
}

function bodyOf(response: Response): AsyncIterable<Uint8Array> {
  const stream = response.body;
  return {
    async *[Symbol.asyncIterator]() {
      if (!stream) return;
      const reader = stream.getReader();
      try {
        for (;;) {
          const { done, value } = await reader.read();
          if (done) return;
          yield value;
        }
      } finally {
        reader.releaseLock();
        await stream.cancel().catch(() => {});
      }
    },
  };
}

/** Sends one request, following redirects by hand and keeping the Hub's x-linked-* headers on the way. */
async function request(
  url: string,
  method: 'GET' | 'HEAD',
  offset: number,
  signal: AbortSignal | undefined,
  transport: TransportOptions,
): Promise<{ response: Response; info: SourceInfo }> {
  let current = url;
  const info: SourceInfo = { totalBytes: null, sha256: null };
  checkTransport(url, transport);
  for (let hop = 0; ; hop++) {
    const headers: Record<string, string> = { 'user-agent': USER_AGENT, 'accept-encoding': 'identity' };
    if (offset > 0) headers.range = `bytes=${offset}-`;
    let response: Response;
    try {
      response = await fetch(current, { method, headers, redirect: 'manual', signal });
    } catch (error) {
      if (signal?.aborted) throw error;
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      throw new ModelError(
        'network',
        `Could not reach ${new URL(current).host}: ${cause?.code ?? cause?.message ?? (error as Error).message}.`,
        true,
        { cause: error },
      );
    }
    info.totalBytes ??= headerInt(response.headers.get('x-linked-size'));
    info.sha256 ??= linkedSha256(response.headers.get('x-linked-etag'));
    const location = response.headers.get('location');
    if (response.status >= 300 && response.status < 400 && location) {
      await response.body?.cancel().catch(() => {});
      if (hop >= MAX_REDIRECTS) throw new ModelError('http', `Too many redirects for ${url}.`);
      const next = new URL(location, current);
      if (next.protocol !== 'https:' && next.protocol !== 'http:')
        throw new ModelError('http', `Refusing a redirect to ${next.protocol} from ${url}.`);
      checkTransport(next.href, transport, current);
      current = next.href;
      continue;
    }
    return { response, info };
  }
}

async function openHttp(url: string, offset: number, signal: AbortSignal | undefined, transport: TransportOptions): Promise<Opened> {
  const { response, info } = await request(url, 'GET', offset, signal, transport);
  const { status, headers } = response;
  if (status === 416) {
    await response.body?.cancel().catch(() => {});
    return { ...info, totalBytes: info.totalBytes ?? contentRange(headers.get('content-range')).total, kind: 'past-end' };
  }
  if (status === 206) {
    const range = contentRange(headers.get('content-range'));
    const length = headerInt(headers.get('content-length'));
    const start = range.start ?? offset;
    return {
      ...info,
      totalBytes: info.totalBytes ?? range.total ?? (length === null ? null : start + length),
      kind: 'partial',
      start,
      body: bodyOf(response),
    };
  }
  if (status === 200) {
    return { ...info, totalBytes: info.totalBytes ?? headerInt(headers.get('content-length')), kind: 'full', body: bodyOf(response) };
  }
  await response.body?.cancel().catch(() => {});
  throw statusError(status, url);
}

/** The size of a file in an offline folder; a missing file reads like the Hub's 404. */
function localSize(path: string): number {
  try {
    const stat = statSync(path);
    if (stat.isFile()) return stat.size;
  } catch {
    // reported below
  }
  throw new ModelError(
    'not-found',
    `${path} was not found in the offline model folder — check the folder holds <owner>/<repo>/ with the repo's files.`,
  );
}

function openLocal(url: string, offset: number, signal: AbortSignal | undefined): Opened {
  const path = fileURLToPath(url);
  const info = { totalBytes: localSize(path), sha256: null };
  if (offset > 0 && offset >= info.totalBytes) return { ...info, kind: 'past-end' };
  const body = createReadStream(path, { start: offset, highWaterMark: 1 << 20, signal }) as AsyncIterable<Uint8Array>;
  return offset > 0 ? { ...info, kind: 'partial', start: offset, body } : { ...info, kind: 'full', body };
}

/** Opens a file for reading from `offset` (0 = the whole file). Throws ModelError for HTTP failures. */
export async function openSource(url: string, offset: number, signal?: AbortSignal, transport: TransportOptions = {}): Promise<Opened> {
  return url.startsWith('file:') ? openLocal(url, offset, signal) : openHttp(url, offset, signal, transport);
}

/**
 * Asks for a file's size and sha256 without downloading it (HEAD), so the installer can check free
 * disk space before it starts. A 404 is definitive; anything else that fails returns unknowns.
 */
export async function probeSource(url: string, signal?: AbortSignal, transport: TransportOptions = {}): Promise<SourceInfo> {
  if (url.startsWith('file:')) return { totalBytes: localSize(fileURLToPath(url)), sha256: null };
  let answer: { response: Response; info: SourceInfo };
  try {
    answer = await request(url, 'HEAD', 0, signal, transport);
  } catch (error) {
    if (signal?.aborted || (error as ModelError).code !== 'network') throw error;
    return { totalBytes: null, sha256: null };
  }
  const { response, info } = answer;
  await response.body?.cancel().catch(() => {});
  if (response.status === 404 || response.status === 401 || response.status === 403) throw statusError(response.status, url);
  if (response.status !== 200) return info;
  return { totalBytes: info.totalBytes ?? headerInt(response.headers.get('content-length')), sha256: info.sha256 };
}

/** One file of a repo folder as the Hub's tree API lists it. */
export interface RepoFileInfo {
  /** Path inside the repo. */
  path: string;
  bytes: number | null;
  /** The LFS object's sha256 (`lfs.oid`); null for files kept in git (their oid is a sha1). */
  sha256: string | null;
}

const TreeEntrySchema = {
  parse(value: unknown): RepoFileInfo | undefined {
    const e = value as { type?: unknown; path?: unknown; size?: unknown; lfs?: { oid?: unknown; size?: unknown } | null };
    if (!e || e.type !== 'file' || typeof e.path !== 'string') return undefined;
    const size = typeof e.lfs?.size === 'number' ? e.lfs.size : typeof e.size === 'number' ? e.size : null;
    const oid = typeof e.lfs?.oid === 'string' ? e.lfs.oid.toLowerCase() : null;
    return { path: e.path, bytes: size, sha256: oid && /^[0-9a-f]{64}$/.test(oid) ? oid : null };
  },
};

/**
 * The files directly in one folder of a repo: from the Hub's tree API
 * (`GET <base>/api/models/<repo>/tree/<revision>/<folder>`, following its `Link: rel="next"` pages),
 * or from the offline folder. A missing folder is a `not-found` ModelError naming it.
 */
export async function listRepoFolder(
  baseUrl: string,
  repo: string,
  revision: string,
  folder: string,
  signal?: AbortSignal,
  transport: TransportOptions = {},
): Promise<RepoFileInfo[]> {
  if (baseUrl.startsWith('file:') || isAbsolute(baseUrl)) {
    const dir = fileURLToPath(hubFileUrl(baseUrl, repo, revision, folder));
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      throw new ModelError('not-found', `${dir} was not found in the offline model folder — it should hold the repo's "${folder}" folder.`);
    }
    return names
      .filter((name) => statSync(join(dir, name)).isFile())
      .sort()
      .map((name) => ({ path: `${folder}/${name}`, bytes: statSync(join(dir, name)).size, sha256: null }));
  }
  const base = baseUrl.replace(/\/+$/, '');
  const encode = (p: string) => p.split('/').map(encodeURIComponent).join('/');
  let url: string | undefined = `${base}/api/models/${encode(repo)}/tree/${encodeURIComponent(revision)}/${encode(folder)}`;
  const files: RepoFileInfo[] = [];
  for (let page = 0; url && page < 100; page++) {
    const { response } = await request(url, 'GET', 0, signal, transport);
    if (response.status !== 200) {
      await response.body?.cancel().catch(() => {});
      if (response.status === 404)
        throw new ModelError(
          'not-found',
          `${repo} has no folder "${folder}" at ${revision} on the Hub (404): the catalog's folder names do not match the repo.`,
        );
      throw statusError(response.status, url);
    }
    let body: unknown;
    try {
      body = await response.json();
    } catch (error) {
      throw new ModelError('http', `The Hub's file list for ${repo}/${folder} is not JSON.`, true, { cause: error });
    }
    if (!Array.isArray(body)) throw new ModelError('http', `The Hub's file list for ${repo}/${folder} is not a list.`);
    for (const item of body) {
      const file = TreeEntrySchema.parse(item);
      if (file) files.push(file);
    }
    const next = response.headers.get('link')?.match(/<([^>]+)>\s*;\s*rel="?next"?/);
    url = next ? new URL(next[1], url).href : undefined;
  }
  return files;
}
