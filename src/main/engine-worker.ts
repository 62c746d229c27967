/** Electron utilityProcess entry: the engine behind a RemoteEngineHost owned by the main process. */
import { serveEngine } from './services/remote-engine';

interface ParentPort {
  postMessage(message: unknown): void;
  on(event: 'message', listener: (event: { data: unknown }) => void): void;
}

// Electron's parentPort.postMessage takes no transfer list for ArrayBuffers: preview PCM is copied
// by structured clone (still binary, never JSON).
const port = (process as unknown as { parentPort?: ParentPort }).parentPort;
if (!port) throw new Error('engine-worker must be started with utilityProcess.fork.');
serveEngine({ post: (m) => port.postMessage(m), onMessage: (listener) => port.on('message', (e) => listener(e.data)) });
