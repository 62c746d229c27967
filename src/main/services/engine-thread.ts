/** Worker-thread entry: the engine behind a RemoteEngineHost (used by `continuo serve`). */
import { parentPort } from 'node:worker_threads';
import { serveEngine } from './remote-engine';

if (!parentPort) throw new Error('engine-thread must run in a worker thread.');
const port = parentPort;
serveEngine({ post: (m, transfer) => port.postMessage(m, transfer), onMessage: (listener) => port.on('message', listener) });
