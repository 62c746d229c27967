/**
 * IPC channel names, in one place for main and preload (as electron/fiddle does). Dependency-free
 * so the sandboxed preload can bundle it.
 */
export const CALL_CHANNEL_PREFIX = 'continuo:call:';
export const EVENT_CHANNEL = 'continuo:event';
/** Desktop only: drag an exported file out of the window (webContents.startDrag), show it in its folder. */
export const DRAG_FILE_CHANNEL = 'continuo:drag-file';
export const REVEAL_FILE_CHANNEL = 'continuo:reveal-file';
/** The desktop app's own origin: the renderer and take audio are served under it (src/main/app-protocol.ts). */
export const APP_SCHEME = 'continuo';
export const APP_HOST = 'app';
export const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`;

export const callChannel = (method: string) => `${CALL_CHANNEL_PREFIX}${method}`;
/** Same-origin with the page, so wavesurfer's fetch of the audio is not a cross-origin read. */
export const audioUrl = (takeId: string) => `${APP_ORIGIN}/audio/${encodeURIComponent(takeId)}`;
