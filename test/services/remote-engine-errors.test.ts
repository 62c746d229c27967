/**
 * The engine's message protocol when things go wrong: a worker that cannot start, a message that
 * cannot be posted, garbage from either side, a worker that ends twice. Every failure rejects the
 * call it belongs to; none reaches the process as an uncaught exception or unhandled rejection.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { InstalledModel } from '../../src/main/models/installed';
import { RemoteEngineHost, serveEngine, type Channel } from '../../src/main/services/remote-engine';
import { sleep, watchProcess } from '../transport/ws-raw';

/** A channel pair in one process: what one side posts, the other receives on the next tick. */
function pipePair(): {
  caller: Channel & { fail?: (m: unknown) => boolean };
  worker: Channel & { fail?: (m: unknown) => boolean };
  toCaller: unknown[];
} {
  const callerListeners: ((m: unknown) => void)[] = [];
  const workerListeners: ((m: unknown) => void)[] = [];
  const toCaller: unknown[] = [];
  const caller: Channel & { fail?: (m: unknown) => boolean } = {
    post(m) {
      if (caller.fail?.(m)) throw new Error('could not be cloned');
      setImmediate(() => workerListeners.forEach((l) => l(m)));
    },
    onMessage: (l) => void callerListeners.push(l),
  };
  const worker: Channel & { fail?: (m: unknown) => boolean } = {
    post(m) {
      if (worker.fail?.(m)) throw new Error('could not be cloned');
      toCaller.push(m);
      setImmediate(() => callerListeners.forEach((l) => l(m)));
    },
    onMessage: (l) => void workerListeners.push(l),
  };
  return { caller, worker, toCaller };
}

const MODEL = { id: 'nope', dir: '/nonexistent/continuo-model', isTestModel: false } as unknown as InstalledModel;

describe('engine protocol failures', () => {
  let watch: ReturnType<typeof watchProcess>;
  beforeEach(() => {
    watch = watchProcess();
  });
  afterEach(async () => {
    await sleep(20);
    watch.stop();
    expect(watch.errors).toEqual([]);
  });

  it('rejects (never throws) when the worker cannot start', async () => {
    const host = new RemoteEngineHost(() => {
      throw new Error('spawn failed');
    });
    let result: Promise<unknown> | undefined;
    expect(() => {
      result = host.generate({} as never, {});
    }).not.toThrow();
    await expect(result).rejects.toThrow('The engine could not start: spawn failed');
    await expect(host.encode({} as never)).rejects.toThrow('spawn failed');
  });

  it('rejects when the worker ends while starting', async () => {
    const host = new RemoteEngineHost((exited) => {
      exited('it died at once');
      return { post: () => {}, onMessage: () => {} };
    });
    await expect(host.decode([])).rejects.toThrow('it died at once');
  });

  it('rejects the call whose message cannot be posted, and leaves nothing pending', async () => {
    const { caller, worker } = pipePair();
    serveEngine(worker);
    caller.fail = (m) => (m as { op?: string }).op === 'encode';
    const host = new RemoteEngineHost(() => caller);
    await expect(host.encode({} as never)).rejects.toThrow('The engine could not be reached: could not be cloned');
    // The channel still works for the next call.
    await expect(host.unload()).resolves.toBeUndefined();
    expect((host as unknown as { pending: Map<number, unknown> }).pending.size).toBe(0);
  });

  it('a cancel that cannot be posted does not throw from the abort signal', async () => {
    const posted: unknown[] = [];
    const channel: Channel = {
      post(m) {
        posted.push(m);
        if ((m as { op?: string }).op === 'cancel') throw new Error('worker gone');
      },
      onMessage: () => {},
    };
    let exited!: (reason: string) => void;
    const host = new RemoteEngineHost((e) => {
      exited = e;
      return channel;
    });
    const controller = new AbortController();
    const job = host.generate({} as never, { signal: controller.signal });
    controller.abort();
    exited('the engine stopped');
    await expect(job).rejects.toThrow('the engine stopped');
    expect(posted.map((m) => (m as { op: string }).op)).toEqual(['generate', 'cancel']);
  });

  it('ignores garbage from the worker and still matches the real reply', async () => {
    let listener!: (m: unknown) => void;
    const host = new RemoteEngineHost(() => ({
      post(m) {
        const { id } = m as { id: number };
        setImmediate(() => {
          for (const junk of [null, undefined, 42, 'x', [], { id: 'x' }, { id }.constructor, { id: 999 }, { id, progress: { step: 1 } }])
            listener(junk);
          listener({ id, ok: false, error: null });
        });
      },
      onMessage: (l) => void (listener = l),
    }));
    const progress: unknown[] = [];
    await expect(
      host.generate({} as never, {
        onProgress: (p) => {
          progress.push(p);
          throw new Error('a progress listener that throws');
        },
      }),
    ).rejects.toThrow('The engine answered with an unreadable error.');
    expect(progress).toEqual([{ step: 1 }]);
  });

  it('fails only the calls of the worker that ended, once, however many ways it ends', async () => {
    const exits: ((reason: string) => void)[] = [];
    const channels: Channel[] = [];
    const host = new RemoteEngineHost((exited) => {
      exits.push(exited);
      const channel: Channel = { post: () => {}, onMessage: () => {} };
      channels.push(channel);
      return channel;
    });
    const first = host.decode([]);
    await host.shutdown(); // fails `first`, forgets the worker
    await expect(first).rejects.toThrow('The engine was shut down.');
    const second = host.decode([]); // a new worker
    expect(channels).toHaveLength(2);
    exits[0]('the old worker exited late'); // must not fail a call of the new worker
    exits[1]('error');
    exits[1]('exit'); // error, then exit: reported once
    await expect(second).rejects.toThrow(/^error$/);
  });

  it('the worker side answers garbage, unknown operations and unpostable results without throwing', async () => {
    const { caller, worker, toCaller } = pipePair();
    serveEngine(worker);
    for (const junk of [null, undefined, 7, 'x', [], { op: 'load' }, { id: 'x', op: 'unload' }, { id: 1, op: 'cancel', target: 99 }])
      caller.post(junk);
    caller.post({ id: 2, op: 'rm -rf' });
    caller.post({ id: 3, op: 'load', model: MODEL, options: { variant: 'fp32', device: 'cpu' } });
    // The result of `unload` cannot be posted: it becomes an error reply. Then the error reply
    // itself cannot be posted either: dropped, not thrown.
    worker.fail = (m) => (m as { id?: number }).id === 4 && (m as { ok?: boolean }).ok === true;
    caller.post({ id: 4, op: 'unload' });
    await sleep(300);
    worker.fail = () => true;
    caller.post({ id: 5, op: 'unload' });
    await sleep(50);
    const byId = (id: number) =>
      toCaller.find((m) => (m as { id: number }).id === id) as { ok: boolean; error?: { message: string } } | undefined;
    expect(byId(2)).toMatchObject({ ok: false, error: { message: 'Unknown engine operation "rm -rf".' } });
    expect(byId(3)).toMatchObject({ ok: false });
    expect(byId(4)).toMatchObject({ ok: false, error: { message: 'could not be cloned' } });
    expect(byId(5)).toBeUndefined();
    expect(toCaller.every((m) => typeof (m as { id: unknown }).id === 'number')).toBe(true);
  });
});
