/**
 * The sandboxed preload: exposes `window.continuo`, the typed client of the contract over
 * ipcRenderer. It exposes no raw IPC; the Electron event object never reaches the renderer.
 * Only type imports and the dependency-free channel names, so it bundles to one file.
 */
import { contextBridge, ipcRenderer, webUtils, type IpcRendererEvent } from 'electron';
import type { ContinuoClient, EventName } from '../shared/contract';
import { DRAG_FILE_CHANNEL, EVENT_CHANNEL, REVEAL_FILE_CHANNEL, audioUrl, callChannel } from '../shared/channels';

type Reply = { ok: true; result: unknown } | { ok: false; error: { code: string; message: string } };

const listeners = new Map<string, Set<(payload: unknown) => void>>();
ipcRenderer.on(EVENT_CHANNEL, (_event: IpcRendererEvent, message: { event: EventName; payload: unknown }) => {
  for (const listener of listeners.get(message.event) ?? []) listener(message.payload);
});

const client: ContinuoClient = {
  async call(method, params) {
    const reply = (await ipcRenderer.invoke(callChannel(method), params)) as Reply;
    if (reply.ok) return reply.result as never;
    throw Object.assign(new Error(reply.error.message), { name: 'ClientError', code: reply.error.code });
  },
  on(event, listener) {
    let set = listeners.get(event);
    if (!set) listeners.set(event, (set = new Set()));
    set.add(listener as (payload: unknown) => void);
    return () => set.delete(listener as (payload: unknown) => void);
  },
  audioUrl,
};

contextBridge.exposeInMainWorld('continuo', client);
// Import: the path of a file the user dropped or chose (a File the page holds); it names nothing else.
contextBridge.exposeInMainWorld('continuoFiles', { pathForFile: (file: File) => webUtils.getPathForFile(file) });
// Exported files to the desktop: drag one out (main calls webContents.startDrag), show one in its folder.
contextBridge.exposeInMainWorld('continuoShell', {
  startDrag: (path: string) => ipcRenderer.send(DRAG_FILE_CHANNEL, path),
  showInFolder: (path: string) => ipcRenderer.invoke(REVEAL_FILE_CHANNEL, path) as Promise<boolean>,
});
