/**
 * The browser-mode client: the same `ContinuoClient` the preload exposes in Electron, over the
 * loopback WebSocket of `continuo serve`. The token comes from the page URL's fragment.
 */
import type { ApiErrorShape, ContinuoClient, EventName, EventOf, MethodName, ParamsOf, ResultOf } from '../../../shared/contract';
import type { WireEvent, WireReply } from '../../../shared/wire';
import { decodePreviewFrame } from '../../../shared/preview-frame';

export class ClientError extends Error implements ApiErrorShape {
  constructor(
    readonly code: ApiErrorShape['code'],
    message: string,
  ) {
    super(message);
    this.name = 'ClientError';
  }
}

export interface ConnectOptions {
  /** Called once when an open connection closes (the host stopped, the machine slept…). */
  onClose?: () => void;
}

export function connectWebSocket(location: Location, options: ConnectOptions = {}): Promise<ContinuoClient> {
  const token = new URLSearchParams(location.hash.slice(1)).get('token') ?? '';
  const base = `${location.protocol}//${location.host}`;
  const ws = new WebSocket(`${base.replace(/^http/, 'ws')}/ws?token=${encodeURIComponent(token)}`);
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  const listeners = new Map<string, Set<(payload: unknown) => void>>();
  let nextId = 1;
  let opened = false;

  // Binary frames are streaming-preview PCM (`job.audio`), read straight into Float32Arrays.
  ws.binaryType = 'arraybuffer';
  ws.addEventListener('message', (message) => {
    if (message.data instanceof ArrayBuffer) {
      const chunk = decodePreviewFrame(message.data);
      if (chunk) for (const listener of listeners.get('job.audio') ?? []) listener(chunk);
      return;
    }
    const data = JSON.parse(String(message.data)) as WireReply | WireEvent;
    if ('event' in data) {
      for (const listener of listeners.get(data.event) ?? []) listener(data.payload);
      return;
    }
    const entry = pending.get(data.id);
    if (!entry) return;
    pending.delete(data.id);
    if (data.ok) entry.resolve(data.result);
    else entry.reject(new ClientError(data.error.code, data.error.message));
  });
  ws.addEventListener('close', () => {
    for (const [, entry] of pending)
      entry.reject(new ClientError('io', 'The connection to Continuo closed. Is "continuo serve" still running?'));
    pending.clear();
    if (opened) options.onClose?.();
  });

  const client: ContinuoClient = {
    call<M extends MethodName>(method: M, params: ParamsOf<M>): Promise<ResultOf<M>> {
      if (ws.readyState !== WebSocket.OPEN) return Promise.reject(new ClientError('io', 'Not connected to Continuo.'));
      const id = nextId++;
      return new Promise((resolve, reject) => {
        pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
        ws.send(JSON.stringify({ id, method, params }));
      });
    },
    on<E extends EventName>(event: E, listener: (payload: EventOf<E>) => void): () => void {
      let set = listeners.get(event);
      if (!set) listeners.set(event, (set = new Set()));
      set.add(listener as (payload: unknown) => void);
      return () => set.delete(listener as (payload: unknown) => void);
    },
    audioUrl: (takeId) => `${base}/audio/${encodeURIComponent(takeId)}?token=${encodeURIComponent(token)}`,
    downloadUrl: (path) => `${base}/download?path=${encodeURIComponent(path)}&token=${encodeURIComponent(token)}`,
  };
  return new Promise((resolve, reject) => {
    ws.addEventListener(
      'open',
      () => {
        opened = true;
        resolve(client);
      },
      { once: true },
    );
    ws.addEventListener(
      'error',
      () =>
        reject(
          new ClientError('io', 'Could not connect to Continuo: start it with "npm run -s continuo -- serve" and open the URL it prints.'),
        ),
      { once: true },
    );
  });
}
