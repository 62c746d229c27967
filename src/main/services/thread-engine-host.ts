/** The engine in a worker thread, for `continuo serve` (and tests of the remote protocol). */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { RemoteEngineHost } from './remote-engine';

function startWorker(): Worker {
  const fromSource = import.meta.url.endsWith('.ts');
  if (!fromSource) return new Worker(new URL('./engine-thread.js', import.meta.url));
  // Running from TypeScript sources: Node 20 workers ignore loader flags for their entry file,
  // so the worker imports the entry through tsx's API.
  const entry = new URL('./engine-thread.ts', import.meta.url).href;
  const tsxRoot = dirname(createRequire(import.meta.url).resolve('tsx/package.json'));
  const tsx = pathToFileURL(join(tsxRoot, 'dist', 'esm', 'api', 'index.mjs')).href;
  return new Worker(
    `import(${JSON.stringify(tsx)}).then((m) => m.tsImport(${JSON.stringify(entry)}, ${JSON.stringify(import.meta.url)}))`,
    { eval: true },
  );
}

export function startThreadEngineHost(): RemoteEngineHost {
  return new RemoteEngineHost((exited) => {
    const worker = startWorker();
    worker.on('error', (error) => exited(`The engine stopped: ${error.message}`));
    worker.on('exit', (code) => exited(`The engine stopped (exit code ${code}).`));
    // A message that cannot be deserialised would otherwise be an unhandled 'messageerror'; the
    // call it answered fails when the worker is restarted, so ending it is the honest outcome.
    worker.on('messageerror', (error) => {
      exited(`The engine sent a message that could not be read: ${error.message}`);
      void worker.terminate();
    });
    worker.unref();
    return {
      post: (m, transfer) => worker.postMessage(m, transfer),
      onMessage: (listener) => worker.on('message', listener),
      close: async () => {
        await worker.terminate();
      },
    };
  });
}
