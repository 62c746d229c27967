/**
 * The Electron shell: one window with secure defaults (context isolation, sandbox, no Node in the
 * renderer, a strict CSP, no navigation or new windows), the IPC transport over the services, a
 * custom protocol that serves take audio by id with HTTP Range, and the engine in a
 * utilityProcess. Everything the app does lives in the services; this file only wires them.
 */
import { createReadStream, statSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { BrowserWindow, Menu, app, ipcMain, protocol, session, shell, utilityProcess, type IpcMainInvokeEvent, type MenuItemConstructorOptions } from 'electron';
import { ApiError, methods, type MethodName } from '../shared/contract';
import { AUDIO_SCHEME, EVENT_CHANNEL, callChannel } from '../shared/channels';
import { createServices, type Services } from './services';
import { RemoteEngineHost } from './services/remote-engine';
import { rangeResponse } from './transport/range';

const here = fileURLToPath(new URL('.', import.meta.url));
const devServer = process.env.ELECTRON_RENDERER_URL;

const CSP = [
  "default-src 'self'",
  "script-src 'self'",
  // wavesurfer.js styles its shadow DOM with a <style> element.
  "style-src 'self' 'unsafe-inline'",
  `media-src 'self' ${AUDIO_SCHEME}: blob:`,
  `connect-src 'self' ${AUDIO_SCHEME}:${devServer ? ' ws://localhost:* http://localhost:*' : ''}`,
  "img-src 'self' data:",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
].join('; ');

protocol.registerSchemesAsPrivileged([{ scheme: AUDIO_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true, stream: true } }]);
app.setName('Continuo');

/** The engine in a utilityProcess, started on first use and again if it dies. */
function engineProcessHost(): RemoteEngineHost {
  return new RemoteEngineHost((exited) => {
    const child = utilityProcess.fork(join(here, 'engine-worker.js'), [], { serviceName: 'Continuo engine', env: { ...process.env } });
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

function serveAudio(services: Services): void {
  protocol.handle(AUDIO_SCHEME, async (request) => {
    const url = new URL(request.url);
    const id = decodeURIComponent(url.pathname.replace(/^\//, ''));
    if (url.host !== 'take' || !/^[\w-]{1,100}$/.test(id)) return new Response('Not found', { status: 404 });
    let path: string;
    try {
      services.library.getTake(id);
      path = services.library.audioPath(id);
    } catch {
      return new Response('Not found', { status: 404 });
    }
    const r = rangeResponse(request.headers.get('range'), statSync(path).size);
    if (r.status === 416) return new Response(null, { status: 416, headers: r.headers });
    const body = Readable.toWeb(createReadStream(path, { start: r.start, end: r.end })) as ReadableStream;
    return new Response(body, { status: r.status, headers: r.headers });
  });
}

/** IPC: one handler per contract method; calls from any frame but our window's top frame are dropped. */
function serveIpc(services: Services, window: () => BrowserWindow | undefined): void {
  const trusted = (event: IpcMainInvokeEvent) => {
    const win = window();
    return Boolean(win && event.sender === win.webContents && event.senderFrame && event.senderFrame === win.webContents.mainFrame);
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
  services.events.onAny((event, payload) => window()?.webContents.send(EVENT_CHANNEL, { event, payload }));
}

function menu(): void {
  const isMac = process.platform === 'darwin';
  const template: MenuItemConstructorOptions[] = [
    ...(isMac ? [{ role: 'appMenu' as const }] : []),
    { role: 'fileMenu' },
    { role: 'editMenu' },
    { label: 'View', submenu: [{ role: 'resetZoom' }, { role: 'zoomIn' }, { role: 'zoomOut' }, { type: 'separator' }, { role: 'togglefullscreen' }, ...(devServer ? [{ role: 'toggleDevTools' as const }] : [])] },
    { role: 'windowMenu' },
    { role: 'help', submenu: [{ label: 'MusicGen licence (CC-BY-NC 4.0)', click: () => void shell.openExternal('https://creativecommons.org/licenses/by-nc/4.0/') }] },
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
      webSecurity: true,
      spellcheck: false,
    },
  });
  win.webContents.on('will-navigate', (event) => event.preventDefault());
  win.webContents.setWindowOpenHandler(({ url }) => {
    if (url.startsWith('https://')) void shell.openExternal(url);
    return { action: 'deny' };
  });
  if (devServer) void win.loadURL(devServer);
  else void win.loadFile(join(here, '../renderer/index.html'));
  return win;
}

app.whenReady().then(() => {
  session.defaultSession.webRequest.onHeadersReceived((details, callback) => {
    callback({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [CSP] } });
  });
  session.defaultSession.setPermissionRequestHandler((_wc, _permission, callback) => callback(false));
  const services = createServices({ dataDir: process.env.CONTINUO_DATA_DIR ?? app.getPath('userData'), host: engineProcessHost(), version: app.getVersion() });
  let mainWindow: BrowserWindow | undefined;
  serveAudio(services);
  serveIpc(services, () => mainWindow);
  menu();
  mainWindow = createWindow();
  app.on('activate', () => {
    if (BrowserWindow.getAllWindows().length === 0) mainWindow = createWindow();
  });
  app.on('web-contents-created', (_event, contents) => contents.on('will-attach-webview', (e) => e.preventDefault()));
  let closing = false;
  app.on('before-quit', (event) => {
    if (closing) return;
    closing = true;
    event.preventDefault();
    void services.close().finally(() => app.quit());
  });
});

app.on('window-all-closed', () => {
  if (process.platform !== 'darwin') app.quit();
});
