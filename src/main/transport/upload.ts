/**
 * Browser mode's import: `POST /import?name=FILE&title=TITLE` with the file's bytes as the body and
 * the session token in the `X-Continuo-Token` header (a custom header, so a cross-site page cannot
 * even send it without a CORS preflight we never grant). The bytes stream to a temporary file under
 * the data folder, never to memory, and stop at a size limit (413); then the same services import
 * as the CLI and Electron read that file, and the file is removed whatever happened.
 */
import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, readdir, rm, stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import { ApiError } from '../../shared/contract';
import type { Services } from '../services';

export const UPLOAD_TOKEN_HEADER = 'x-continuo-token';
/** Where uploads wait to be decoded, under the data folder (same disk as the library). */
export const UPLOAD_FOLDER = 'uploads';

export interface UploadOptions {
  services: Services;
  maxBytes: number;
}

function reply(res: ServerResponse, status: number, body: unknown, close = false): void {
  if (res.headersSent) return void res.destroy();
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'X-Content-Type-Options': 'nosniff',
    'Cache-Control': 'no-store',
    ...(close ? { Connection: 'close' } : {}),
  });
  res.end(JSON.stringify(body));
}

const STATUS: Partial<Record<ApiError['code'], number>> = { 'invalid-params': 400, 'not-found': 404, io: 500, internal: 500 };

function tooLarge(maxBytes: number): { code: string; message: string } {
  const mb = Math.floor(maxBytes / 1024 ** 2);
  return { code: 'invalid-params', message: `The file is larger than ${mb} MB, the most Continuo imports. Export a shorter part of it.` };
}

/** Removes uploads a crash left behind (a day old: another host on the same data folder may be receiving one now). */
export async function clearStaleUploads(dataDir: string, now = Date.now()): Promise<void> {
  const folder = join(dataDir, UPLOAD_FOLDER);
  let names: string[];
  try {
    names = await readdir(folder);
  } catch {
    return;
  }
  for (const name of names) {
    const path = join(folder, name);
    try {
      if (name.endsWith('.part') && now - (await stat(path)).mtimeMs > 24 * 3600_000) await rm(path, { force: true });
    } catch {
      /* gone already, or not ours to remove */
    }
  }
}

/** Receives one upload and imports it; the request's token, Host and Origin are already checked. */
export async function receiveImport(req: IncomingMessage, res: ServerResponse, url: URL, options: UploadOptions): Promise<void> {
  const { services, maxBytes } = options;
  const name = (url.searchParams.get('name') ?? '').slice(0, 255) || 'upload';
  const title = url.searchParams.get('title')?.slice(0, 200) || undefined;
  const declared = Number(req.headers['content-length'] ?? NaN);
  if (declared > maxBytes) {
    reply(res, 413, tooLarge(maxBytes), true);
    req.destroy();
    return;
  }
  const folder = join(services.dataDir, UPLOAD_FOLDER);
  const path = join(folder, `${randomUUID()}.part`);
  // The upload is removed before the answer goes out, whatever happened: nothing is left behind.
  let answer: { status: number; body: unknown; close?: boolean };
  try {
    await mkdir(folder, { recursive: true });
    const received = await saveBody(req, path, maxBytes);
    if (received === 'too-large') answer = { status: 413, body: tooLarge(maxBytes), close: true };
    else answer = { status: 200, body: await services.importFile(path, { name, title }) };
  } catch (error) {
    const api = error instanceof ApiError ? error : new ApiError('io', `The upload could not be saved: ${(error as Error).message}`);
    answer = { status: STATUS[api.code] ?? 500, body: { code: api.code, message: api.message } };
  }
  await rm(path, { force: true });
  reply(res, answer.status, answer.body, answer.close);
  // Past the limit the rest of the body is not wanted: the connection closes after the answer.
  if (answer.close) res.once('finish', () => req.destroy());
}

/** Streams the body to `path`; stops (and leaves a partial file for the caller to remove) past `maxBytes`. */
function saveBody(req: IncomingMessage, path: string, maxBytes: number): Promise<'ok' | 'too-large'> {
  return new Promise((resolve, reject) => {
    const out = createWriteStream(path, { flags: 'wx' });
    let bytes = 0;
    let settled = false;
    const finish = (result: 'ok' | 'too-large' | Error) => {
      if (settled) return;
      settled = true;
      req.unpipe(out);
      if (result instanceof Error) {
        out.destroy();
        reject(result);
      } else if (result === 'too-large') {
        req.pause();
        out.destroy();
        out.once('close', () => resolve(result));
      } else {
        resolve(result);
      }
    };
    req.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
      if (bytes > maxBytes) finish('too-large');
    });
    req.once('close', () => {
      if (!req.complete) finish(new Error('the upload was interrupted'));
    });
    req.on('error', (error) => finish(error));
    out.on('error', (error) => finish(error));
    out.once('finish', () => finish('ok'));
    req.pipe(out);
  });
}
