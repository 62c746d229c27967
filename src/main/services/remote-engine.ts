/**
 * The engine in another thread or process. onnxruntime-node runs a decoder step synchronously,
 * so in the app the engine lives in an Electron utilityProcess (and under `continuo serve` in a
 * worker thread) and the main event loop stays free for IPC, audio and the UI. This module is the
 * message protocol: `RemoteEngineHost` (caller side) and `serveEngine` (worker side).
 */
import type { Codes, LongFormProgress, LongFormRequest, PlanarAudio } from '../engine';
import type { InstalledModel } from '../models/installed';
import { InProcessEngineHost, type EngineHost, type EngineInfo, type HostResult, type LoadOptions } from './engine-host';

/** The two ends of a message channel, as worker_threads and Electron's utilityProcess offer. */
export interface Channel {
  post(message: unknown): void;
  onMessage(listener: (message: unknown) => void): void;
  close?(): void | Promise<void>;
}

/** Starts the worker; `exited` must be called if it dies, with a sentence saying why. */
export type StartWorker = (exited: (reason: string) => void) => Channel;

type Call =
  | { id: number; op: 'load'; model: InstalledModel; options: LoadOptions }
  | { id: number; op: 'generate'; request: LongFormRequest }
  | { id: number; op: 'encode'; audio: PlanarAudio }
  | { id: number; op: 'decode'; codes: Codes[] }
  | { id: number; op: 'unload' }
  | { id: number; op: 'cancel'; target: number };

/** A call without its id: distributes Omit over the union so each op keeps its own fields. */
type CallBody = Call extends infer C ? (C extends Call ? Omit<C, 'id'> : never) : never;

type Reply =
  | { id: number; ok: true; value: unknown }
  | { id: number; ok: false; error: { name: string; message: string; code?: string } }
  | { id: number; progress: LongFormProgress };

/** Rebuilds an error thrown on the other side, keeping what callers branch on (name, code). */
function revive(error: { name: string; message: string; code?: string }): Error {
  const e = new Error(error.message) as Error & { code?: string };
  e.name = error.name;
  if (error.code) e.code = error.code;
  return e;
}

/**
 * The caller side. The worker starts on first use and again after it died (a crash inside
 * onnxruntime takes down only the worker: the jobs in flight fail, the next one starts afresh).
 */
export class RemoteEngineHost implements EngineHost {
  private nextId = 1;
  private info: EngineInfo | null = null;
  private channel?: Channel;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void; progress?: (p: LongFormProgress) => void }>();

  constructor(private readonly start: StartWorker) {}

  private connect(): Channel {
    if (this.channel) return this.channel;
    const channel = this.start((reason) => {
      if (this.channel === channel) this.channel = undefined;
      this.failAll(reason);
    });
    channel.onMessage((raw) => {
      const reply = raw as Reply;
      const entry = this.pending.get(reply.id);
      if (!entry) return;
      if ('progress' in reply) return entry.progress?.(reply.progress);
      this.pending.delete(reply.id);
      if (reply.ok) entry.resolve(reply.value);
      else entry.reject(revive(reply.error));
    });
    this.channel = channel;
    return channel;
  }

  /** Fails every call in flight, e.g. when the worker died. */
  private failAll(message: string): void {
    for (const [, entry] of this.pending) entry.reject(new Error(message));
    this.pending.clear();
    this.info = null;
  }

  private request<T>(call: CallBody, progress?: (p: LongFormProgress) => void, signal?: AbortSignal): Promise<T> {
    const channel = this.connect();
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject, progress });
      signal?.addEventListener('abort', () => channel.post({ id: this.nextId++, op: 'cancel', target: id }), { once: true });
      channel.post({ ...call, id });
    });
  }

  async load(model: InstalledModel, options: LoadOptions): Promise<EngineInfo> {
    this.info = await this.request<EngineInfo>({ op: 'load', model, options });
    return this.info;
  }

  current(): EngineInfo | null {
    return this.info;
  }

  generate(request: LongFormRequest, hooks: { signal?: AbortSignal; onProgress?: (p: LongFormProgress) => void }): Promise<HostResult> {
    if (hooks.signal?.aborted) return Promise.reject(Object.assign(new Error('Generation was cancelled.'), { name: 'AbortError' }));
    return this.request<HostResult>({ op: 'generate', request }, hooks.onProgress, hooks.signal);
  }

  encode(audio: PlanarAudio): Promise<Codes> {
    return this.request({ op: 'encode', audio });
  }

  decode(codes: Codes[]): Promise<PlanarAudio[]> {
    return this.request({ op: 'decode', codes });
  }

  async unload(): Promise<void> {
    this.info = null;
    if (this.channel) await this.request({ op: 'unload' });
  }

  async shutdown(): Promise<void> {
    const channel = this.channel;
    this.channel = undefined;
    this.failAll('The engine was shut down.');
    await channel?.close?.();
  }
}

/** The worker side: runs an in-process engine host and answers calls from the channel. */
export function serveEngine(channel: Channel): void {
  const host = new InProcessEngineHost();
  const running = new Map<number, AbortController>();
  channel.onMessage(async (raw) => {
    const call = raw as Call;
    if (call.op === 'cancel') return running.get(call.target)?.abort();
    const reply = (value: unknown) => channel.post({ id: call.id, ok: true, value });
    try {
      switch (call.op) {
        case 'load':
          return reply(await host.load(call.model, call.options));
        case 'generate': {
          const controller = new AbortController();
          running.set(call.id, controller);
          try {
            return reply(
              await host.generate(call.request, { signal: controller.signal, onProgress: (progress) => channel.post({ id: call.id, progress }) }),
            );
          } finally {
            running.delete(call.id);
          }
        }
        case 'encode':
          return reply(await host.encode(call.audio));
        case 'decode':
          return reply(await host.decode(call.codes));
        case 'unload':
          return reply(await host.unload());
      }
    } catch (error) {
      const e = error as Error & { code?: string };
      channel.post({ id: call.id, ok: false, error: { name: e.name, message: e.message, code: e.code } });
    }
  });
}
