/**
 * The Electron shell: one window with secure defaults (context isolation, sandbox, no Node in the
 * renderer, a strict CSP, no navigation, redirects or new windows, permissions denied but the
 * clipboard write the studio uses), the IPC transport over the services, the renderer and take
 * audio (with HTTP Range) served from the app's own origin `continuo://app`, a single instance,
 * and the engine in a utilityProcess. Every decision lives in a small Electron-free module
 * (app-protocol, security-policy, shell-policy); this file only wires them to Electron.
 */
import { createReadStream, statSync, type Stats } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import {
  BrowserWindow,
  Menu,
  app,
  dialog,
  ipcMain,
  nativeImage,
  protocol,
  session,
  shell,
  utilityProcess,
  type IpcMainInvokeEvent,
  type MenuItemConstructorOptions,
  type WebContents,
} from 'electron';
import { ApiError, methods, type MethodName } from '../shared/contract';
import { APP_ORIGIN, APP_SCHEME, DRAG_FILE_CHANNEL, EVENT_CHANNEL, REVEAL_FILE_CHANNEL, callChannel } from '../shared/channels';
import { exportedFile } from './exported-files';
import { routeAppRequest } from './app-protocol';
import { contentSecurityPolicy, launchSettings, originOf, permissionAllowed, trustedOrigins } from './security-policy';
import { externalUrlAllowed } from './shell-policy';
import { createServices, type Services } from './services';
import { RemoteEngineHost } from './services/remote-engine';
import { rangeResponse } from './transport/range';

const here = fileURLToPath(new URL('.', import.meta.url));
const RENDERER_DIR = join(here, '../renderer');

// Development-only variables are ignored in a packaged app. The library reads its native binding
// from the environment (in this process and the engine's), so a packaged app removes it there.
const launch = launchSettings(process.env, app.isPackaged);
if (launch.sqliteBinding === undefined) delete process.env.CONTINUO_SQLITE_BINDING;
const devServer = launch.devServer;
const ORIGINS = trustedOrigins(devServer);
const CSP = contentSecurityPolicy({ devServer: Boolean(devServer) });

protocol.registerSchemesAsPrivileged([
  {
    scheme: APP_SCHEME,
    // standard + secure: a real origin, treated like https. corsEnabled only with the dev server,
    // whose page (http://localhost) reads take audio from this scheme across origins.
    privileges: { standard: true, secure: true, supportFetchAPI: true, stream: true, codeCache: true, corsEnabled: Boolean(devServer) },
  },
]);
app.setName('Continuo');
// One instance per data folder: the lock lives in userData, which follows CONTINUO_DATA_DIR (so
// tests with their own folder neither collide with the user's app nor write into its profile).
if (process.env.CONTINUO_DATA_DIR) app.setPath('userData', resolve(process.env.CONTINUO_DATA_DIR));

/** The engine in a utilityProcess, started on first use and again if it dies. */
function engineProcessHost(): RemoteEngineHost {
  return new RemoteEngineHost((exited) => {
    const child = utilityProcess.fork(join(here, 'engine-worker.js'), [], { serviceName: 'Continuo engine', env: { ...process.env } });
    // 'error' (a fatal V8 error) is followed by 'exit'; without a listener it would throw here.
    child.on('error', (type, location) => exited(`The engine process failed (${type} at ${location}). The next job starts it again.`));
    child.on('exit', (code) => exited(`The engine process stopped (exit code ${code}). The next job starts it again.`));
    return {
      post: (m) => child.postMessage(m),
      onMessage: (listener) => child.on('message', listener),
      close: () => {
        child.kill();
      },
    };
  });
}

const notFound = () => new Response('Not found', { status: 404, headers: { 'Content-Type': 'text/plain; charset=utf-8' } });

/** A take's audio with Range; a missing take or file is a 404, never a rejected handler. */
function audioResponse(services: Services, request: Request, takeId: string): Response {
  let path: string;
  let stats: Stats;
  try {
    path = services.audioPath(takeId); // a take, or a rendered mix of a project
    stats = statSync(path);
  } catch {
    return notFound();
  }
  if (!stats.isFile()) return notFound();
  const r = rangeResponse(request.headers.get('range'), stats.size);
  if (r.status === 416 || request.method === 'HEAD') return new Response(null, { status: r.status, headers: r.headers });
  // A read error later errors the body stream (the player sees a failed load), not this process.
  const body = Readable.toWeb(createReadStream(path, { start: r.start, end: r.end })) as ReadableStream;
  return new Response(body, { status: r.status, headers: r.headers });
}

/** continuo://app/…: files of the built renderer (nothing outside it) and /audio/<take>. */
function serveApp(services: Services): void {
  protocol.handle(APP_SCHEME, async (request) => {
    try {
      const route = routeAppRequest(RENDERER_DIR, request.url, request.method);
      if (route.kind === 'refused')
        return new Response(route.reason, { status: route.status, headers: { 'Content-Type': 'text/plain; charset=utf-8' } });
      if (route.kind === 'audio') return audioResponse(services, request, route.takeId);
      const body = await readFile(route.file).catch(() => null);
      if (!body) return notFound();
      return new Response(request.method === 'HEAD' ? null : body, {
        status: 200,
        headers: {
          'Content-Type': route.contentType,
          'Content-Security-Policy': CSP,
          'X-Content-Type-Options': 'nosniff',
          'Cache-Control': 'no-cache',
        },
      });
    } catch {
      return new Response('Internal error', { status: 500 });
    }
  });
}

/** IPC: one handler per contract method; calls from anything but our window's top frame, on our origin, are refused. */
function serveIpc(services: Services, window: () => BrowserWindow | undefined): void {
  const trusted = (event: IpcMainInvokeEvent) => {
    const win = window();
    const frame = event.senderFrame;
    return Boolean(
      win &&
      event.sender === win.webContents &&
      frame &&
      frame === win.webContents.mainFrame &&
      ORIGINS.includes(originOf(frame.url) ?? ''),
    );
  };
  for (const method of Object.keys(methods) as MethodName[]) {
    ipcMain.handle(callChannel(method), async (event, params: unknown) => {
      if (!trusted(event)) return { ok: false, error: { code: 'invalid-params', message: 'Call from an unknown frame refused.' } };
      try {
        return { ok: true, result: await services.call(method, params) };
      } catch (error) {
        const api = error instanceof ApiError ? error : new ApiError('internal', String(error));
        return { ok: false, error: { code: api.code, message: api.message } };
      }
    });
  }
  // Drag an exported file out to a DAW or the file manager (a real file on disk), or show it in
  // its folder. Only exported files: a path from the page names nothing else.
  ipcMain.on(DRAG_FILE_CHANNEL, (event, path: unknown) => {
    const file = trusted(event) ? exportedFile(services.dataDir, path) : null;
    if (file) event.sender.startDrag({ file, icon: DRAG_ICON() });
  });
  ipcMain.handle(REVEAL_FILE_CHANNEL, (event, path: unknown) => {
    const file = trusted(event) ? exportedFile(services.dataDir, path) : null;
    if (file) shell.showItemInFolder(file);
    return file !== null;
  });
  services.events.onAny((event, payload) => {
    const contents = window()?.webContents;
    if (contents && !contents.isDestroyed()) contents.send(EVENT_CHANNEL, { event, payload });
  });
}

/** A small amber square as the drag image (macOS refuses an empty one). */
const DRAG_ICON = () =>
  nativeImage.createFromBuffer(Buffer.from(new Uint8Array(32 * 32 * 4).map((_, i) => [0x5f, 0xb3, 0xe3, 0xff][i % 4])), {
    width: 32,
    height: 32,
  });

function openExternal(url: string): void {
  if (externalUrlAllowed(url)) void shell.openExternal(url).catch(() => undefined);
}

/** Every web contents (the window and anything it might create): no navigation, redirect, webview or new window. */
function guard(contents: WebContents): void {
  contents.on('will-navigate', (event) => event.preventDefault());
  contents.on('will-frame-navigate', (event) => event.preventDefault());
  contents.on('will-redirect', (event) => event.preventDefault());
  contents.on('will-attach-webview', (event) => event.preventDefault());
  // Links with target=_blank (model licences) open in the system browser, if allowed.
  contents.setWindowOpenHandler(({ url }) => {
    openExternal(url);
    return { action: 'deny' };
  });
}

function lockDownSession(): void {
  const ses = session.defaultSession;
  if (devServer) {
    // The dev server's pages get the dev CSP as a header; our own scheme sets it on its responses.
    ses.webRequest.onHeadersReceived((details, callback) => {
      callback({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [CSP] } });
    });
  }
  ses.setPermissionRequestHandler((_contents, permission, callback, details) =>
    callback(permissionAllowed(permission, { requestingUrl: details.requestingUrl, isMainFrame: details.isMainFrame }, ORIGINS)),
  );
  ses.setPermissionCheckHandler((_contents, permission, requestingOrigin, details) =>
    permissionAllowed(permission, { requestingUrl: details.requestingUrl ?? requestingOrigin, isMainFrame: details.isMainFrame }, ORIGINS),
  );
  ses.setDevicePermissionHandler(() => false);
}

function menu(): void {
  const isMac = process.platform === 'darwin';
  const template: MenuItemConstructorOptions[] = [
    ...(isMac ? [{ role: 'appMenu' as const }] : []),
    { role: 'fileMenu' },
    { role: 'editMenu' },
    {
      label: 'View',
      submenu: [
        { role: 'resetZoom' },
        { role: 'zoomIn' },
        { role: 'zoomOut' },
        { type: 'separator' },
        { role: 'togglefullscreen' },
        ...(devServer ? [{ role: 'toggleDevTools' as const }] : []),
      ],
    },
    { role: 'windowMenu' },
    {
      role: 'help',
      submenu: [{ label: 'MusicGen licence (CC-BY-NC 4.0)', click: () => openExternal('https://creativecommons.org/licenses/by-nc/4.0/') }],
    },
  ];
  Menu.setApplicationMenu(Menu.buildFromTemplate(template));
}

function createWindow(): BrowserWindow {
  const win = new BrowserWindow({
    width: 1280,
    height: 820,
    minWidth: 900,
    minHeight: 600,
    title: 'Continuo',
    backgroundColor: '#15161a',
    webPreferences: {
      preload: join(here, '../preload/index.cjs'),
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      webviewTag: false,
      spellcheck: false,
    },
  });
  // A failed load (e.g. the dev server is not up) shows an empty window, not a main-process error.
  win.loadURL(devServer ?? `${APP_ORIGIN}/index.html`).catch(() => undefined);
  return win;
}

if (!app.requestSingleInstanceLock()) {
  // Another Continuo already has this data folder open: it comes to the front instead.
  app.quit();
} else {
  let mainWindow: BrowserWindow | undefined;
  app.on('second-instance', () => {
    if (!mainWindow || mainWindow.isDestroyed()) return;
    if (mainWindow.isMinimized()) mainWindow.restore();
    mainWindow.show();
    mainWindow.focus();
  });
  app.on('web-contents-created', (_event, contents) => guard(contents));

  app
    .whenReady()
    .then(() => {
      lockDownSession();
      const services = createServices({
        dataDir: process.env.CONTINUO_DATA_DIR ?? app.getPath('userData'),
        host: engineProcessHost(),
        version: app.getVersion(),
      });
      serveApp(services);
      serveIpc(services, () => mainWindow);
      menu();
      mainWindow = createWindow();
      app.on('activate', () => {
        if (BrowserWindow.getAllWindows().length === 0) mainWindow = createWindow();
      });
      let closing = false;
      app.on('before-quit', (event) => {
        if (closing) return;
        closing = true;
        event.preventDefault();
        void services
          .close()
          .catch(() => undefined)
          .finally(() => app.quit());
      });
    })
    .catch((error: unknown) => {
      dialog.showErrorBox('Continuo could not start', error instanceof Error ? error.message : String(error));
      app.exit(1);
    });

  app.on('window-all-closed', () => {
    if (process.platform !== 'darwin') app.quit();
  });
}
