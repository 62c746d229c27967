/**
 * The desktop shell's security decisions, tested without Electron: which URLs open in the system
 * browser, what a continuo://app URL maps to (never outside the renderer folder), the CSP for the
 * packaged app and the dev server, the permission policy, the development-only variables, and
 * the fuses in the packaging config.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, sep } from 'node:path';
import { describe, expect, it } from 'vitest';
import { routeAppRequest } from '../../src/main/app-protocol';
import { contentSecurityPolicy, launchSettings, originOf, permissionAllowed, trustedOrigins } from '../../src/main/security-policy';
import { EXTERNAL_HOSTS, externalUrlAllowed } from '../../src/main/shell-policy';
import { APP_ORIGIN, audioUrl } from '../../src/shared/channels';
import { tempDir } from '../helpers/models';

const ROOT = join(import.meta.dirname, '..', '..');

describe('externalUrlAllowed', () => {
  it('allows https links to the listed hosts', () => {
    for (const url of [
      'https://creativecommons.org/licenses/by-nc/4.0/',
      'https://huggingface.co/Xenova/musicgen-small',
      'https://github.com/x/y?tab=readme#top',
      'https://HuggingFace.co/x',
    ]) {
      expect(externalUrlAllowed(url), url).toBe(true);
    }
  });

  it('refuses other schemes, hosts, look-alikes, credentials and ports', () => {
    for (const url of [
      'http://huggingface.co/x',
      'file:///etc/passwd',
      'javascript:alert(1)',
      'data:text/html,hi',
      'smb://huggingface.co/share',
      'ms-msdt:/id',
      'continuo://app/index.html',
      'https://evil.example/',
      'https://huggingface.co.evil.example/',
      'https://evilhuggingface.co/',
      'https://sub.huggingface.co/',
      'https://user:pw@huggingface.co/',
      'https://huggingface.co@evil.example/',
      'https://huggingface.co:8443/',
      'https://xn--huggingface-xyz.co/',
      'https://hugging\u0066ace.co.evil/',
      ' https://huggingface.co/',
      'https://huggingface.co/\n',
      'https://hugging\tface.co/',
      'not a url',
      '',
      `https://huggingface.co/${'a'.repeat(3000)}`,
    ]) {
      expect(externalUrlAllowed(url), url).toBe(false);
    }
    expect(externalUrlAllowed(undefined as unknown as string)).toBe(false);
  });

  it('covers every licence link in the model catalog', () => {
    const catalog = readFileSync(join(ROOT, 'models', 'catalog.json'), 'utf8');
    const links = [...catalog.matchAll(/"url":\s*"([^"]+)"/g)].map((m) => m[1]);
    expect(links.length).toBeGreaterThan(0);
    for (const link of links) expect(externalUrlAllowed(link), link).toBe(true);
    expect(EXTERNAL_HOSTS).toContain('huggingface.co');
  });
});

describe('routeAppRequest', () => {
  const dir = tempDir('continuo-renderer-');
  mkdirSync(join(dir, 'assets'));
  writeFileSync(join(dir, 'index.html'), '<!doctype html>');
  writeFileSync(join(dir, 'assets', 'index-abc.js'), '');

  it('maps the app origin to files inside the renderer folder', () => {
    expect(routeAppRequest(dir, `${APP_ORIGIN}/`)).toEqual({
      kind: 'file',
      file: join(dir, 'index.html'),
      contentType: 'text/html; charset=utf-8',
    });
    expect(routeAppRequest(dir, `${APP_ORIGIN}`)).toMatchObject({ kind: 'file', file: join(dir, 'index.html') });
    expect(routeAppRequest(dir, `${APP_ORIGIN}/index.html?x=1#y`)).toMatchObject({ kind: 'file', file: join(dir, 'index.html') });
    expect(routeAppRequest(dir, `${APP_ORIGIN}/assets/index-abc.js`)).toEqual({
      kind: 'file',
      file: join(dir, 'assets', 'index-abc.js'),
      contentType: 'text/javascript; charset=utf-8',
    });
    expect(routeAppRequest(dir, `${APP_ORIGIN}/assets/a%20b.css`)).toMatchObject({
      kind: 'file',
      file: join(dir, 'assets', 'a b.css'),
      contentType: 'text/css; charset=utf-8',
    });
    expect(routeAppRequest(dir, `${APP_ORIGIN}/index.html`, 'HEAD')).toMatchObject({ kind: 'file' });
  });

  it('maps /audio/<take> to the take, as the preload builds it', () => {
    expect(routeAppRequest(dir, audioUrl('0190-abc_DEF'))).toEqual({ kind: 'audio', takeId: '0190-abc_DEF' });
    expect(audioUrl('x')).toBe('continuo://app/audio/x');
    for (const bad of ['/audio/', '/audio/a/b', '/audio/..', `/audio/${'a'.repeat(101)}`, '/audio/a%2Fb', '/audio/%E0%A4%A']) {
      expect(routeAppRequest(dir, `${APP_ORIGIN}${bad}`).kind, bad).not.toBe('audio');
    }
  });

  it('never leaves the renderer folder', () => {
    const attempts = [
      '/../../../etc/passwd',
      '/%2e%2e/%2e%2e/etc/passwd',
      '/..%2f..%2f..%2fetc%2fpasswd',
      '/assets/..%2F..%2F..%2Fetc%2Fpasswd',
      '/%2E%2E%5C%2E%2E%5Cwindows%5Cwin.ini',
      '/..\\..\\windows\\win.ini',
      '/assets/%00.js',
      '/C:/Windows/win.ini',
      '/c:%5Cwindows%5Cwin.ini',
      '//etc/passwd',
      '/%2Fetc%2Fpasswd',
      '/assets/.%2e/.%2e/secret.js',
      '/%E0%A4%A',
    ];
    for (const path of attempts) {
      const route = routeAppRequest(dir, `${APP_ORIGIN}${path}`);
      if (route.kind === 'file') expect(route.file.startsWith(dir + sep), `${path} -> ${route.file}`).toBe(true);
      else expect(route.kind, path).toBe('refused');
    }
    // Whatever the URL parser leaves of a dot-dot path, it resolves inside the folder or is refused.
    expect(routeAppRequest(dir, `${APP_ORIGIN}/..%2f..%2fetc%2fpasswd`)).toMatchObject({ kind: 'refused', status: 403 });
    expect(routeAppRequest(dir, `${APP_ORIGIN}/%E0%A4%A`)).toMatchObject({ kind: 'refused', status: 400 });
  });

  it('refuses other hosts, schemes, methods and unknown file types', () => {
    expect(routeAppRequest(dir, 'continuo://evil/index.html')).toMatchObject({ kind: 'refused', status: 404 });
    expect(routeAppRequest(dir, 'continuo://user@app/index.html')).toMatchObject({ kind: 'refused' });
    expect(routeAppRequest(dir, 'file:///etc/passwd')).toMatchObject({ kind: 'refused', status: 404 });
    expect(routeAppRequest(dir, 'not a url')).toMatchObject({ kind: 'refused', status: 400 });
    expect(routeAppRequest(dir, `${APP_ORIGIN}/index.html`, 'POST')).toMatchObject({ kind: 'refused', status: 405 });
    expect(routeAppRequest(dir, `${APP_ORIGIN}/secret.sqlite`)).toMatchObject({ kind: 'refused', status: 404 });
    expect(routeAppRequest(dir, `${APP_ORIGIN}/assets`)).toMatchObject({ kind: 'refused', status: 404 });
  });
});

describe('contentSecurityPolicy', () => {
  const directives = (csp: string) => Object.fromEntries(csp.split('; ').map((d) => [d.split(' ')[0], d.split(' ').slice(1)]));

  it('packaged: everything is the app itself; no sockets, no localhost', () => {
    const csp = contentSecurityPolicy();
    expect(csp).not.toMatch(/ws:|localhost|http:|https:|\*|continuo-audio/);
    const d = directives(csp);
    expect(d['default-src']).toEqual(["'self'"]);
    expect(d['script-src']).toEqual(["'self'"]);
    expect(d['connect-src']).toEqual(["'self'"]);
    expect(d['media-src']).toEqual(["'self'", 'blob:']);
    expect(d['object-src']).toEqual(["'none'"]);
    expect(d['frame-ancestors']).toEqual(["'none'"]);
    expect(d['base-uri']).toEqual(["'none'"]);
    expect(csp).not.toContain('unsafe-eval');
  });

  it('dev server: adds its hot-reload socket and the app scheme for audio, nothing else', () => {
    const d = directives(contentSecurityPolicy({ devServer: true }));
    expect(d['connect-src']).toEqual(["'self'", 'continuo:', 'ws://localhost:*', 'http://localhost:*']);
    expect(d['media-src']).toEqual(["'self'", 'blob:', 'continuo:']);
    expect(d['script-src']).toEqual(["'self'"]);
  });

  it('the renderer page declares no source the packaged header does not also allow (the two intersect)', () => {
    const html = readFileSync(join(ROOT, 'src', 'renderer', 'index.html'), 'utf8');
    const meta = /http-equiv="Content-Security-Policy"\s+content="([^"]+)"/.exec(html)?.[1];
    expect(meta).toBeDefined();
    expect(meta).not.toContain('continuo-audio');
    expect(directives(meta!)['script-src']).toEqual(["'self'"]);
  });
});

describe('permissions', () => {
  const origins = trustedOrigins(undefined);

  it('grants only the clipboard write the studio uses, to our own main frame', () => {
    expect(permissionAllowed('clipboard-sanitized-write', { requestingUrl: `${APP_ORIGIN}/index.html`, isMainFrame: true }, origins)).toBe(
      true,
    );
    expect(permissionAllowed('clipboard-sanitized-write', { requestingUrl: APP_ORIGIN }, origins)).toBe(true);
    expect(permissionAllowed('clipboard-sanitized-write', { requestingUrl: `${APP_ORIGIN}/index.html`, isMainFrame: false }, origins)).toBe(
      false,
    );
    expect(permissionAllowed('clipboard-sanitized-write', { requestingUrl: 'https://evil.example/', isMainFrame: true }, origins)).toBe(
      false,
    );
    expect(permissionAllowed('clipboard-sanitized-write', { requestingUrl: 'http://localhost:5173/', isMainFrame: true }, origins)).toBe(
      false,
    );
    expect(permissionAllowed('clipboard-sanitized-write', {}, origins)).toBe(false);
  });

  it('denies everything else, even to our own page', () => {
    for (const permission of [
      'media',
      'geolocation',
      'notifications',
      'midi',
      'midiSysex',
      'clipboard-read',
      'display-capture',
      'fullscreen',
      'pointerLock',
      'openExternal',
      'hid',
      'serial',
      'usb',
      'fileSystem',
      'idle-detection',
      'window-management',
      'unknown',
      '__proto__',
    ]) {
      expect(permissionAllowed(permission, { requestingUrl: `${APP_ORIGIN}/index.html`, isMainFrame: true }, origins), permission).toBe(
        false,
      );
    }
  });

  it('trusts the dev server only when there is one', () => {
    expect(trustedOrigins(undefined)).toEqual([APP_ORIGIN]);
    expect(trustedOrigins('http://localhost:5173/')).toEqual([APP_ORIGIN, 'http://localhost:5173']);
    expect(originOf('continuo://app/index.html')).toBe('continuo://app');
    expect(originOf('not a url')).toBeNull();
    expect(originOf('data:text/html,x')).toBeNull();
  });
});

describe('launchSettings', () => {
  const env = { ELECTRON_RENDERER_URL: 'http://localhost:5173', CONTINUO_SQLITE_BINDING: '/x/better_sqlite3.node' };

  it('ignores the development variables in a packaged app', () => {
    expect(launchSettings(env, true)).toEqual({});
  });

  it('honours them in development, the dev server only on this machine over http(s)', () => {
    expect(launchSettings(env, false)).toEqual({ devServer: 'http://localhost:5173', sqliteBinding: '/x/better_sqlite3.node' });
    expect(launchSettings({ ELECTRON_RENDERER_URL: 'http://127.0.0.1:5173/' }, false)).toEqual({ devServer: 'http://127.0.0.1:5173/' });
    for (const url of ['https://evil.example/', 'file:///tmp/x.html', 'javascript:1', 'http://localhost.evil.example:5173', 'nonsense']) {
      expect(launchSettings({ ELECTRON_RENDERER_URL: url }, false), url).toEqual({});
    }
  });
});

describe('packaging', () => {
  it('sets the Electron fuses through electron-builder', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
    expect(pkg.build.electronFuses).toEqual({
      runAsNode: false,
      enableNodeOptionsEnvironmentVariable: false,
      enableNodeCliInspectArguments: false,
      enableEmbeddedAsarIntegrityValidation: true,
      onlyLoadAppFromAsar: true,
      grantFileProtocolExtraPrivileges: false,
    });
  });

  it('the shell wires the policies (Electron cannot run here, so this reads the source)', () => {
    const source = readFileSync(join(ROOT, 'src', 'main', 'index.ts'), 'utf8');
    for (const needle of [
      "'will-navigate'",
      "'will-frame-navigate'",
      "'will-redirect'",
      "'will-attach-webview'",
      'setPermissionRequestHandler',
      'setPermissionCheckHandler',
      'requestSingleInstanceLock',
      "'second-instance'",
      'launchSettings(process.env, app.isPackaged)',
      'routeAppRequest',
      'externalUrlAllowed',
    ]) {
      expect(source, needle).toContain(needle);
    }
    expect(source).not.toMatch(/loadFile\(|file:\/\/|process\.env\.ELECTRON_RENDERER_URL/);
    // shell.openExternal only behind the allow-list.
    expect(source.match(/shell\.openExternal\(/g)).toHaveLength(1);
    expect(source).toMatch(/if \(externalUrlAllowed\(url\)\) void shell\.openExternal\(url\)/);
  });
});
