/**
 * Vitest global set-up: no test may touch the user's data. Before any worker starts, HOME, the
 * XDG folders and CONTINUO_DATA_DIR point into one temporary folder, so every test file, every
 * CLI it spawns and every browser it launches inherits them. The real data folder (as it resolves
 * from the real environment) is fingerprinted now and again at the end; any difference fails the
 * run, naming what changed.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultDataDir } from '../../src/main/paths';
import { diffSnapshots, snapshotFolder } from './folder-snapshot';

export const ISOLATION_VARS = [
  'HOME',
  'XDG_CONFIG_HOME',
  'XDG_DATA_HOME',
  'XDG_CACHE_HOME',
  'XDG_STATE_HOME',
  'CONTINUO_DATA_DIR',
] as const;

export default function setup(): () => void {
  const realDataDir = defaultDataDir({ ...process.env, CONTINUO_DATA_DIR: undefined });
  const before = snapshotFolder(realDataDir);
  const root = mkdtempSync(join(tmpdir(), 'continuo-test-home-'));
  const home = join(root, 'home');
  const paths: Record<(typeof ISOLATION_VARS)[number], string> = {
    HOME: home,
    XDG_CONFIG_HOME: join(home, '.config'),
    XDG_DATA_HOME: join(home, '.local', 'share'),
    XDG_CACHE_HOME: join(home, '.cache'),
    XDG_STATE_HOME: join(home, '.local', 'state'),
    CONTINUO_DATA_DIR: join(root, 'data'),
  };
  for (const [name, path] of Object.entries(paths)) {
    mkdirSync(path, { recursive: true });
    process.env[name] = path;
  }
  process.env.CONTINUO_REAL_DATA_DIR = realDataDir;

  return () => {
    rmSync(root, { recursive: true, force: true });
    const changes = diffSnapshots(before, snapshotFolder(realDataDir));
    if (changes.length > 0) {
      // Vitest reports an error thrown here but still exits 0: set the code ourselves.
      process.exitCode = 1;
      throw new Error(`The test suite changed the user's real data folder ${realDataDir}:\n  ${changes.slice(0, 20).join('\n  ')}`);
    }
  };
}
