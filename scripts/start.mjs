// `npm start`: opens the desktop studio. Electron 42+ downloads its binary on first run, from
// outside the npm registry; when it is missing this says so and what to do instead of failing
// somewhere deep. better-sqlite3 needs a build for Electron's Node ABI: it is made once into
// node_modules/.continuo-electron (the Node build stays for the CLI and the tests).
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const dev = process.argv.includes('--dev');

function fail(lines) {
  process.stderr.write(`${lines.join('\n')}\n`);
  process.exit(1);
}

const electronDir = dirname(require.resolve('electron/package.json'));
const electronVersion = JSON.parse(readFileSync(join(electronDir, 'package.json'), 'utf8')).version;
const pathFile = join(electronDir, 'path.txt');
const binary = existsSync(pathFile) ? join(electronDir, 'dist', readFileSync(pathFile, 'utf8').trim()) : undefined;
if (!binary || !existsSync(binary)) {
  fail([
    `The Electron ${electronVersion} binary is not installed.`,
    'Electron 42 and later download it on first run (from github.com), which needs internet access.',
    'On a machine with internet, run:  npx install-electron   then  npm start  again.',
    'Meanwhile the studio runs in your browser:  npm run -s continuo -- serve   (open the URL it prints).',
  ]);
}

const nativeDir = join(root, 'node_modules', '.continuo-electron', 'better-sqlite3');
const nativeBinding = join(nativeDir, 'build', 'Release', 'better_sqlite3.node');
const stamp = join(nativeDir, '.electron-version');
if (!existsSync(nativeBinding) || !existsSync(stamp) || readFileSync(stamp, 'utf8') !== electronVersion) {
  process.stderr.write(`Building better-sqlite3 for Electron ${electronVersion} (once)…\n`);
  rmSync(nativeDir, { recursive: true, force: true });
  cpSync(dirname(require.resolve('better-sqlite3/package.json')), nativeDir, { recursive: true });
  rmSync(join(nativeDir, 'build'), { recursive: true, force: true });
  const built = spawnSync('npx', ['--no-install', 'prebuild-install', '--runtime', 'electron', '--target', electronVersion], {
    cwd: nativeDir,
    stdio: 'inherit',
  });
  if (built.status !== 0 || !existsSync(nativeBinding)) {
    fail([
      'Could not get better-sqlite3 for Electron (it is downloaded from github.com).',
      'Check the internet connection and run npm start again, or use:  npm run -s continuo -- serve',
    ]);
  }
  spawnSync(process.execPath, ['-e', `require('fs').writeFileSync(${JSON.stringify(stamp)}, ${JSON.stringify(electronVersion)})`]);
}

const env = { ...process.env, CONTINUO_SQLITE_BINDING: nativeBinding };
const run = spawnSync(process.execPath, [join(root, 'node_modules', 'electron-vite', 'bin', 'electron-vite.js'), dev ? 'dev' : 'preview'], {
  cwd: root,
  stdio: 'inherit',
  env,
});
process.exit(run.status ?? 1);
