/**
 * IPC channel names, in one place for main and preload (as electron/fiddle does). Dependency-free
 * so the sandboxed preload can bundle it.
 */
export const CALL_CHANNEL_PREFIX = 'continuo:call:';
export const EVENT_CHANNEL = 'continuo:event';
export const AUDIO_SCHEME = 'continuo-audio';

export const callChannel = (method: string) => `${CALL_CHANNEL_PREFIX}${method}`;
export const audioUrl = (takeId: string) => `${AUDIO_SCHEME}://take/${encodeURIComponent(takeId)}`;
