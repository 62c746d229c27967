/**
 * The engine in another thread or process. onnxruntime-node runs a decoder step synchronously,
 * so in the app the engine lives in an Electron utilityProcess (and under `continuo serve` in a
 * worker thread) and the main event loop stays free for IPC, audio and the UI. This module is the
 * message protocol: `RemoteEngineHost` (caller side) and `serveEngine` (worker side).
 */
import type { AudioChunk, Codes, LongFormProgress, LongFormRequest, PlanarAudio } from '../engine';
import type { InstalledModel } from '../models/installed';
import {
  InProcessEngineHost,
  type EngineHost,
  type EngineInfo,
  type GenerateHostHooks,
  type HostResult,
  type LoadOptions,
} from './engine-host';

/** The two ends of a message channel, as worker_threads and Electron's utilityProcess offer. */
export interface Channel {
  /** `transfer`: buffers the message owns and may move rather than copy (preview PCM). */
  post(message: unknown, transfer?: ArrayBuffer[]): void;
  onMessage(listener: (message: unknown) => void): void;
  close?(): void | Promise<void>;
}

/** Starts the worker; `exited` must be called if it dies, with a sentence saying why. */
export type StartWorker = (exited: (reason: string) => void) => Channel;

type Call =
  | { id: number; op: 'load'; model: InstalledModel; options: LoadOptions }
  | { id: number; op: 'generate'; request: LongFormRequest; stream?: boolean }
  | { id: number; op: 'encode'; audio: PlanarAudio }
  | { id: number; op: 'decode'; codes: Codes[] }
  | { id: number; op: 'unload' }
  | { id: number; op: 'cancel'; target: number };

/** A call without its id: distributes Omit over the union so each op keeps its own fields. */
type CallBody = Call extends infer C ? (C extends Call ? Omit<C, 'id'> : never) : never;

type Reply =
  | { id: number; ok: true; value: unknown }
  | { id: number; ok: false; error: { name: string; message: string; code?: string } }
  | { id: number; progress: LongFormProgress }
  | { id: number; audio: AudioChunk };

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
  private readonly pending = new Map<
    number,
    {
      channel: Channel;
      resolve: (v: unknown) => void;
      reject: (e: Error) => void;
      progress?: (p: LongFormProgress) => void;
      audio?: (chunk: AudioChunk) => void;
    }
  >();

  constructor(private readonly start: StartWorker) {}

  private connect(): Channel {
    if (this.channel) return this.channel;
    let ended: string | undefined;
    // A worker reports its end once here however many ways it ends (error, then exit); only the
    // calls sent to that worker fail, not those of a worker started after it.
    let started: Channel | undefined;
    const channel = (started = this.start((reason) => {
      if (ended !== undefined) return;
      ended = reason;
      if (!started) return; // ended while starting: connect() throws below
      if (this.channel === started) {
        this.channel = undefined;
        this.info = null;
      }
      this.failAll(reason, started);
    }));
    if (ended !== undefined) throw new Error(ended);
    channel.onMessage((raw) => {
      // Anything that is not a reply to a call in flight is dropped: a listener that throws here
      // would be an uncaught exception in the main process.
      if (typeof raw !== 'object' || raw === null) return;
      const reply = raw as Reply;
      const entry = this.pending.get(reply.id);
      if (!entry) return;
      if ('progress' in reply) {
        try {
          entry.progress?.(reply.progress);
        } catch {
          // A progress listener's failure is not the call's.
        }
        return;
      }
      if ('audio' in reply) {
        try {
          entry.audio?.(reply.audio);
        } catch {
          // Nor is a preview listener's.
        }
        return;
      }
      this.pending.delete(reply.id);
      if (reply.ok === true) entry.resolve(reply.value);
      else
        entry.reject(
          revive(
            typeof reply.error === 'object' && reply.error
              ? reply.error
              : { name: 'Error', message: 'The engine answered with an unreadable error.' },
          ),
        );
    });
    this.channel = channel;
    return channel;
  }

  /** Fails every call in flight (on one worker, when it died; on all, at shutdown). */
  private failAll(message: string, channel?: Channel): void {
    for (const [id, entry] of this.pending) {
      if (channel && entry.channel !== channel) continue;
      this.pending.delete(id);
      entry.reject(new Error(message));
    }
    if (!channel) this.info = null;
  }

  /**
   * One call to the worker. Never throws synchronously: a worker that cannot start, or a message
   * that cannot be posted (the worker is gone, the data cannot be cloned), rejects this call alone.
   */
  private request<T>(call: CallBody, hooks: Omit<GenerateHostHooks, 'signal'> = {}, signal?: AbortSignal): Promise<T> {
    let channel: Channel;
    try {
      channel = this.connect();
    } catch (error) {
      return Promise.reject(new Error(`The engine could not start: ${(error as Error).message}`));
    }
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      const onAbort = () => {
        try {
          channel.post({ id: this.nextId++, op: 'cancel', target: id });
        } catch {
          // The worker is gone; its exit fails the call.
        }
      };
      const settle = () => signal?.removeEventListener('abort', onAbort);
      this.pending.set(id, {
        channel,
        resolve: (v) => {
          settle();
          resolve(v as T);
        },
        reject: (e) => {
          settle();
          reject(e);
        },
        progress: hooks.onProgress,
        audio: hooks.onAudio,
      });
      signal?.addEventListener('abort', onAbort, { once: true });
      try {
        channel.post({ ...call, id });
      } catch (error) {
        this.pending.get(id)?.reject(new Error(`The engine could not be reached: ${(error as Error).message}`));
        this.pending.delete(id);
      }
    });
  }

  async load(model: InstalledModel, options: LoadOptions): Promise<EngineInfo> {
    this.info = await this.request<EngineInfo>({ op: 'load', model, options });
    return this.info;
  }

  current(): EngineInfo | null {
    return this.info;
  }

  generate(request: LongFormRequest, hooks: GenerateHostHooks): Promise<HostResult> {
    if (hooks.signal?.aborted) return Promise.reject(Object.assign(new Error('Generation was cancelled.'), { name: 'AbortError' }));
    const { onProgress, onAudio } = hooks;
    // Streams only when someone listens: the worker skips the chunk decodes otherwise.
    return this.request<HostResult>({ op: 'generate', request, stream: onAudio !== undefined }, { onProgress, onAudio }, hooks.signal);
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
  /** Posts to the caller; a message that cannot be posted (caller gone) is dropped, never thrown. */
  const post = (message: unknown, transfer?: ArrayBuffer[]): boolean => {
    try {
      channel.post(message, transfer);
      return true;
    } catch {
      return false;
    }
  };
  const fail = (id: number, error: unknown) => {
    const e = (error ?? {}) as Error & { code?: string };
    post({
      id,
      ok: false,
      error: { name: String(e.name ?? 'Error'), message: String(e.message ?? e), code: typeof e.code === 'string' ? e.code : undefined },
    });
  };
  channel.onMessage((raw) => {
    void handle(raw).catch(() => undefined);
  });

  async function handle(raw: unknown): Promise<void> {
    if (typeof raw !== 'object' || raw === null || typeof (raw as Call).id !== 'number') return;
    const call = raw as Call;
    if (call.op === 'cancel') return running.get(call.target)?.abort();
    const reply = (value: unknown) => {
      // A result that cannot be posted (e.g. not cloneable) becomes an error reply.
      try {
        channel.post({ id: call.id, ok: true, value });
      } catch (error) {
        fail(call.id, error);
      }
    };
    try {
      switch (call.op) {
        case 'load':
          return reply(await host.load(call.model, call.options));
        case 'generate': {
          const controller = new AbortController();
          running.set(call.id, controller);
          try {
            return reply(
              await host.generate(call.request, {
                signal: controller.signal,
                onProgress: (progress) => void post({ id: call.id, progress }),
                // The chunk's PCM is its own (sliced), so its buffers move instead of being copied.
                onAudio: call.stream
                  ? (audio) =>
                      void post(
                        { id: call.id, audio },
                        audio.channels.map((ch) => ch.buffer as ArrayBuffer),
                      )
                  : undefined,
              }),
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
        default:
          return fail((raw as { id: number }).id, new Error(`Unknown engine operation "${String((raw as { op?: unknown }).op)}".`));
      }
    } catch (error) {
      fail(call.id, error);
    }
  }
}
