/**
 * Which files the studio may hand to the desktop (drag out, show in folder) or download in browser
 * mode: exported files only, i.e. regular files inside the data folder's `exports/`, resolved
 * through symlinks, so a path from the page can never reach anything else. Electron-free.
 */
import { realpathSync, statSync } from 'node:fs';
import { isAbsolute, join, sep } from 'node:path';

export function exportsDirOf(dataDir: string): string {
  return join(dataDir, 'exports');
}

/** The real path of `path` when it is an exported file; null for anything else. */
export function exportedFile(dataDir: string, path: unknown): string | null {
  if (typeof path !== 'string' || !path || path.includes('\0') || !isAbsolute(path)) return null;
  try {
    const root = realpathSync(exportsDirOf(dataDir));
    const real = realpathSync(path);
    if (!real.startsWith(root + sep) || !statSync(real).isFile()) return null;
    return real;
  } catch {
    return null;
  }
}
