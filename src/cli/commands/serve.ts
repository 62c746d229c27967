/**
 * `continuo serve`: the studio in a browser. Hosts the services on 127.0.0.1 over WebSocket with
 * a per-run token, serves the built renderer, and prints the URL to open. The engine runs in a
 * worker thread so that generation never stalls the page.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { createServices } from '../../main/services';
import { startThreadEngineHost } from '../../main/services/thread-engine-host';
import { startBrowserHost } from '../../main/transport/browser-host';
import { integer } from '../parse';
import type { GlobalFlags } from '../main';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const RENDERER_DIR = join(ROOT, 'out', 'renderer');

/** The newest modification time of the sources the renderer is built from. */
function newestSource(): number {
  let newest = 0;
  for (const dir of ['src/renderer', 'src/shared']) {
    for (const entry of readdirSync(join(ROOT, dir), { recursive: true, withFileTypes: true })) {
      if (entry.isFile()) newest = Math.max(newest, statSync(join(entry.parentPath, entry.name)).mtimeMs);
    }
  }
  return newest;
}

/** Builds the renderer if this checkout has not built it yet, or its sources changed since. */
export function ensureRendererBuilt(): void {
  const index = join(RENDERER_DIR, 'index.html');
  if (existsSync(index) && statSync(index).mtimeMs >= newestSource()) return;
  process.stderr.write('Building the studio…\n');
  execFileSync(process.execPath, [join(ROOT, 'node_modules', 'electron-vite', 'bin', 'electron-vite.js'), 'build'], { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
}

export function serveCommand(globals: () => GlobalFlags): Command {
  return new Command('serve')
    .description('open the studio in a browser: serves it on 127.0.0.1 and prints the URL')
    .option('--port <port>', 'port to listen on (default: a free one)', integer(0, 65535), 0)
    .option('--hub <url>', 'Hugging Face Hub base URL or mirror for model downloads')
    .action(async (flags: { port: number; hub?: string }) => {
      ensureRendererBuilt();
      const services = createServices({ dataDir: globals().dataDir, host: startThreadEngineHost(), hubBaseUrl: flags.hub, version: process.env.npm_package_version });
      const host = await startBrowserHost({ services, port: flags.port, rendererDir: RENDERER_DIR });
      process.stdout.write(`Continuo studio: ${host.url}\nData folder: ${services.dataDir}\nPress Ctrl-C to stop.\n`);
      const stop = async () => {
        await host.close();
        await services.close();
        process.exit(0);
      };
      process.once('SIGINT', () => void stop());
      process.once('SIGTERM', () => void stop());
    });
}
