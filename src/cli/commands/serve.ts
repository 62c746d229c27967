/**
 * `continuo serve`: the studio in a browser. Hosts the services on 127.0.0.1 over WebSocket with
 * a per-run token, serves the built renderer, prints the URL and opens it in the browser (unless
 * --no-open). The engine runs in a worker thread so that generation never stalls the page.
 */
import { execFileSync, spawn } from 'node:child_process';
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
  execFileSync(process.execPath, [join(ROOT, 'node_modules', 'electron-vite', 'bin', 'electron-vite.js'), 'build'], {
    cwd: ROOT,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}

/**
 * Opens `url` in the user's browser: the command in $BROWSER when set (one executable, as git and
 * Python's webbrowser honour it), else the platform's opener. Never throws: the URL is printed
 * anyway, so a missing browser only costs a click. Resolves once the opener has started.
 */
export function openBrowser(url: string, env: NodeJS.ProcessEnv = process.env): Promise<{ opened: boolean; reason?: string }> {
  let command: string;
  let args: string[];
  if (env.BROWSER) [command, args] = [env.BROWSER, [url]];
  else if (process.platform === 'darwin') [command, args] = ['open', [url]];
  else if (process.platform === 'win32') [command, args] = ['rundll32', ['url.dll,FileProtocolHandler', url]];
  else if (!env.DISPLAY && !env.WAYLAND_DISPLAY) return Promise.resolve({ opened: false, reason: 'there is no graphical display' });
  else [command, args] = ['xdg-open', [url]];
  return new Promise((resolve) => {
    const child = spawn(command, args, { stdio: 'ignore', detached: true, env });
    child.once('error', (error: NodeJS.ErrnoException) =>
      resolve({ opened: false, reason: `${command} could not be started (${error.code ?? error.message})` }),
    );
    child.once('spawn', () => {
      child.unref();
      resolve({ opened: true });
    });
  });
}

export function serveCommand(globals: () => GlobalFlags): Command {
  return new Command('serve')
    .description('open the studio in a browser: serves it on 127.0.0.1, prints the URL and opens it')
    .option('--port <port>', 'port to listen on (default: a free one)', integer(0, 65535))
    .option('--no-open', 'only print the URL; do not open a browser')
    .option('--hub <url>', 'Hugging Face Hub base URL or mirror for model downloads')
    .option('--allow-insecure', 'allow an http:// mirror on another machine for model downloads')
    .action(async (flags: { port?: number; open: boolean; hub?: string; allowInsecure?: boolean }) => {
      ensureRendererBuilt();
      const services = createServices({
        dataDir: globals().dataDir,
        host: startThreadEngineHost(),
        hubBaseUrl: flags.hub,
        allowInsecureHub: flags.allowInsecure,
        version: process.env.npm_package_version,
      });
      const host = await startBrowserHost({ services, port: flags.port ?? 0, rendererDir: RENDERER_DIR });
      process.stdout.write(`Continuo studio: ${host.url}\nData folder: ${services.dataDir}\nPress Ctrl-C to stop.\n`);
      if (flags.open) {
        const { opened, reason } = await openBrowser(host.url);
        process.stdout.write(opened ? 'Opened it in your browser.\n' : `Not opened in a browser (${reason}): open the URL above.\n`);
      }
      const stop = async () => {
        await host.close();
        await services.close();
        process.exit(0);
      };
      process.once('SIGINT', () => void stop());
      process.once('SIGTERM', () => void stop());
    });
}
