/**
 * Where Continuo keeps its data. The default matches Electron's `app.getPath('userData')` for an
 * app named "Continuo", so the CLI and the desktop app share one library and one model folder.
 */
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

export const APP_NAME = 'Continuo';

export function defaultDataDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.CONTINUO_DATA_DIR) return resolve(env.CONTINUO_DATA_DIR);
  const home = homedir();
  switch (process.platform) {
    case 'darwin':
      return join(home, 'Library', 'Application Support', APP_NAME);
    case 'win32':
      return join(env.APPDATA ?? join(home, 'AppData', 'Roaming'), APP_NAME);
    default:
      return join(env.XDG_CONFIG_HOME ?? join(home, '.config'), APP_NAME);
  }
}

export function modelsDir(dataDir: string): string {
  return join(dataDir, 'models');
}
