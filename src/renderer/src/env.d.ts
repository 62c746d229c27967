/// <reference types="svelte" />
/// <reference types="vite/client" />
import type { ContinuoClient } from '../../shared/contract';

declare global {
  interface Window {
    /** Installed by the Electron preload; absent in browser mode. */
    continuo?: ContinuoClient;
    /** Installed by the Electron preload: the path of a dropped or chosen file (webUtils.getPathForFile). */
    continuoFiles?: { pathForFile(file: File): string };
    /** Installed by the Electron preload: drag an exported file out of the window, or show it in its folder. */
    continuoShell?: { startDrag(path: string): void; showInFolder(path: string): Promise<boolean> };
  }
}

export {};
