import { createRequire } from 'node:module';
import type { Flac } from 'libflacjs';

const require = createRequire(import.meta.url);
/** Emscripten reports a failed WASM start only by throwing in a callback; without this, callers would wait forever. */
const LOAD_TIMEOUT_MS = 10_000;
let loading: Promise<Flac> | undefined;

/**
 * libflac.js, loaded once per process and shared: the WASM build takes a few milliseconds to
 * compile, and its encoder/decoder handles are cheap once it is ready.
 *
 * libflacjs is an old emscripten build that prefers `fetch()` for its .wasm file whenever a global
 * `fetch` exists, which Node 18+ and Electron provide; fetch cannot load a plain file path, so the
 * load fails. Hiding `fetch` for the synchronous `require` makes it read the file with `fs` as
 * emscripten intends for Node. Nothing else can run in that window (it is all synchronous).
 */
export function loadLibFlac(): Promise<Flac> {
  loading ??= new Promise<Flac>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('libflac.js did not finish loading its WebAssembly module.')), LOAD_TIMEOUT_MS);
    timer.unref();
    const createFlac = require('libflacjs') as (variant: string) => Flac;
    const flac = withoutGlobalFetch(() => createFlac('wasm'));
    const ready = () => {
      clearTimeout(timer);
      resolve(flac);
    };
    if (flac.isReady()) ready();
    else flac.on('ready', ready);
  });
  return loading;
}

function withoutGlobalFetch<T>(load: () => T): T {
  const descriptor = Object.getOwnPropertyDescriptor(globalThis, 'fetch');
  if (descriptor) delete (globalThis as { fetch?: unknown }).fetch;
  try {
    return load();
  } finally {
    if (descriptor) Object.defineProperty(globalThis, 'fetch', descriptor);
  }
}
