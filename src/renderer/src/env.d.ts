/// <reference types="svelte" />
/// <reference types="vite/client" />
import type { ContinuoClient } from '../../shared/contract';

declare global {
  interface Window {
    /** Installed by the Electron preload; absent in browser mode. */
    continuo?: ContinuoClient;
  }
}

export {};
