/**
 * The app's own origin, `continuo://app`: the built renderer and take audio are served under it
 * by a privileged protocol instead of `file://`, so the page's CSP 'self' means this app alone and
 * audio is same-origin (no cross-origin fetch for wavesurfer to be refused). Electron-free: this
 * module only decides what a URL maps to; src/main/index.ts does the reading.
 */
import { extname, resolve, sep } from 'node:path';
import { APP_HOST, APP_SCHEME } from '../shared/channels';

export { APP_HOST, APP_ORIGIN, APP_SCHEME } from '../shared/channels';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.map': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
  '.wasm': 'application/wasm',
};

export type AppRoute =
  | { kind: 'file'; file: string; contentType: string }
  | { kind: 'audio'; takeId: string }
  | { kind: 'refused'; status: 400 | 403 | 404 | 405; reason: string };

const refused = (status: 400 | 403 | 404 | 405, reason: string): AppRoute => ({ kind: 'refused', status, reason });

/**
 * Maps a request on the app scheme to a file inside `rendererDir`, or to a take's audio, or
 * refuses it. Never returns a path outside `rendererDir`: encoded separators, `..`, NUL bytes,
 * backslashes and drive letters are refused before the path is joined.
 */
export function routeAppRequest(rendererDir: string, url: string, method = 'GET'): AppRoute {
  if (method !== 'GET' && method !== 'HEAD') return refused(405, 'Method not allowed.');
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return refused(400, 'Bad URL.');
  }
  if (parsed.protocol !== `${APP_SCHEME}:` || parsed.host !== APP_HOST || parsed.username || parsed.password)
    return refused(404, 'Not found.');
  let path: string;
  try {
    path = decodeURIComponent(parsed.pathname);
  } catch {
    return refused(400, 'Bad URL.');
  }
  const audio = /^\/audio\/([\w-]{1,100})$/.exec(path);
  if (audio) return { kind: 'audio', takeId: audio[1] };
  if (path.startsWith('/audio/')) return refused(404, 'Not found.');
  if (path === '' || path === '/') path = '/index.html';
  if (path.includes('\0') || path.includes('\\') || /(^|\/)\.\.?(\/|$)/.test(path) || /^\/[a-zA-Z]:/.test(path))
    return refused(403, 'Forbidden.');
  const root = resolve(rendererDir);
  const file = resolve(root, `.${path}`);
  if (!file.startsWith(root + sep)) return refused(403, 'Forbidden.');
  const contentType = TYPES[extname(file).toLowerCase()];
  if (!contentType) return refused(404, 'Not found.');
  return { kind: 'file', file, contentType };
}
