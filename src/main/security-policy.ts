/**
 * The desktop shell's security decisions, Electron-free so they are unit-tested: the renderer's
 * Content-Security-Policy, which permission requests a page gets, and which launch environment
 * variables are honoured (development-only ones are ignored in a packaged app).
 */
import { APP_ORIGIN, APP_SCHEME } from '../shared/channels';

/**
 * The renderer's CSP. Packaged (and `npm start` on the built files) the page lives at
 * continuo://app and everything it loads is 'self'. Only with the dev server does it need the
 * server's hot-reload socket, and the app scheme as a second origin for take audio.
 */
export function contentSecurityPolicy(options: { devServer?: boolean } = {}): string {
  const dev = Boolean(options.devServer);
  return [
    "default-src 'self'",
    "script-src 'self'",
    // wavesurfer.js styles its shadow DOM with a <style> element.
    "style-src 'self' 'unsafe-inline'",
    `media-src 'self' blob:${dev ? ` ${APP_SCHEME}:` : ''}`,
    `connect-src 'self'${dev ? ` ${APP_SCHEME}: ws://localhost:* http://localhost:*` : ''}`,
    "img-src 'self' data:",
    "font-src 'self'",
    "object-src 'none'",
    "frame-src 'none'",
    "frame-ancestors 'none'",
    "base-uri 'none'",
    "form-action 'none'",
  ].join('; ');
}

/** `scheme://host[:port]` of a URL or origin string, or null. (Node's URL gives custom schemes an opaque origin.) */
export function originOf(url: string | undefined | null): string | null {
  if (!url) return null;
  try {
    const u = new URL(url);
    if (!u.host) return null;
    return `${u.protocol}//${u.host}`;
  } catch {
    return null;
  }
}

/** Permissions the studio uses: copying an exported path or a seed to the clipboard. */
export const ALLOWED_PERMISSIONS: ReadonlySet<string> = new Set(['clipboard-sanitized-write']);

/**
 * Whether a permission request (or check) is granted: only a permission the app uses, only for
 * our own page (the app origin, or the dev server's in development), and only its main frame.
 * Everything else (camera, microphone, geolocation, notifications, MIDI, HID, serial, USB,
 * clipboard reads, display capture, fullscreen, pointer lock, open-external…) is denied.
 */
export function permissionAllowed(
  permission: string,
  request: { requestingUrl?: string | null; isMainFrame?: boolean },
  trustedOrigins: readonly string[],
): boolean {
  if (!ALLOWED_PERMISSIONS.has(permission)) return false;
  if (request.isMainFrame === false) return false;
  const origin = originOf(request.requestingUrl);
  return origin !== null && trustedOrigins.includes(origin);
}

/** The origins our window's page may have: the app scheme, plus the dev server in development. */
export function trustedOrigins(devServer: string | undefined): string[] {
  const dev = originOf(devServer);
  return dev ? [APP_ORIGIN, dev] : [APP_ORIGIN];
}

export interface LaunchSettings {
  /** The Vite dev server to load instead of the built renderer (development only). */
  devServer?: string;
  /** better-sqlite3 built for Electron's ABI, outside the app (development only). */
  sqliteBinding?: string;
}

/**
 * Reads the development-only variables. A packaged app ignores them: ELECTRON_RENDERER_URL would
 * load any web page into a window that holds the app's IPC, and CONTINUO_SQLITE_BINDING would
 * load any native library into the main process. In development the dev server must be http(s)
 * on this machine.
 */
export function launchSettings(env: Record<string, string | undefined>, isPackaged: boolean): LaunchSettings {
  if (isPackaged) return {};
  const settings: LaunchSettings = {};
  const url = env.ELECTRON_RENDERER_URL;
  if (url) {
    try {
      const u = new URL(url);
      if ((u.protocol === 'http:' || u.protocol === 'https:') && ['localhost', '127.0.0.1', '[::1]'].includes(u.hostname))
        settings.devServer = url;
    } catch {
      // Not a URL: ignored, the built renderer is loaded.
    }
  }
  if (env.CONTINUO_SQLITE_BINDING) settings.sqliteBinding = env.CONTINUO_SQLITE_BINDING;
  return settings;
}
