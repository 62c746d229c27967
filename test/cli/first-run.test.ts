/** First-run papercuts: help that says what commands do, and read-only commands that create nothing. */
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openBrowser } from '../../src/cli/commands/serve';
import { runCli } from '../helpers/cli';
import { tempDir } from '../helpers/models';

const home = tempDir('continuo-home-');
/** Never the user's real data folder: HOME and XDG_CONFIG_HOME point at a temp folder. */
const env = { HOME: home, XDG_CONFIG_HOME: join(home, '.config'), CONTINUO_DATA_DIR: '' };

describe('serve --help', () => {
  it('lists each default once, --no-open, and the global --data-dir', async () => {
    const { code, stdout } = await runCli(['serve', '--help'], env);
    expect(code).toBe(0);
    expect(stdout).toMatch(/prints the URL and opens\s+it/);
    const optionLines = stdout.split('\n').filter((l) => /^\s+--/.test(l));
    for (const line of optionLines) expect(line.match(/\(default:/g)?.length ?? 0, line).toBeLessThanOrEqual(1);
    expect(stdout).toMatch(/--port <port> +port to listen on \(default: a free one\)\n/);
    expect(stdout).toMatch(/--no-open +only print the URL; do not open a browser/);
    expect(stdout).toMatch(/Global Options:\n +--data-dir <dir>/);
  });

  it('every subcommand shows --data-dir in its help', async () => {
    for (const args of [['library', 'list'], ['models', 'verify'], ['generate']]) {
      expect((await runCli([...args, '--help'], env)).stdout, args.join(' ')).toMatch(/Global Options:\n +--data-dir <dir>/);
    }
  });
});

describe('opening the browser', () => {
  it('runs $BROWSER with the URL, and says why when it cannot', async () => {
    const dir = tempDir();
    const log = join(dir, 'opened.txt');
    const browser = join(dir, 'browser.sh');
    writeFileSync(browser, `#!/bin/sh\nprintf '%s' "$1" > '${log}'\n`);
    chmodSync(browser, 0o755);
    const url = 'http://127.0.0.1:4321/#token=abc';
    expect(await openBrowser(url, { ...process.env, BROWSER: browser })).toEqual({ opened: true });
    await expect.poll(() => existsSync(log) && readFileSync(log, 'utf8')).toBe(url);
    expect(await openBrowser(url, { ...process.env, BROWSER: join(dir, 'no-such-browser') })).toMatchObject({
      opened: false,
      reason: expect.stringMatching(/could not be started \(ENOENT\)/),
    });
  });
});

describe('read-only commands on a data folder that does not exist', () => {
  it('say so instead of creating it', async () => {
    const missing = join(tempDir(), 'typo');
    for (const args of [
      ['library', 'list'],
      ['library', 'search', 'piano'],
      ['library', 'show', 'abcd1234'],
      ['models', 'list'],
      ['models', 'verify', 'musicgen-small'],
    ]) {
      const result = await runCli(['--data-dir', missing, ...args], env);
      expect(result.code, args.join(' ')).toBe(1);
      expect(result.stderr, args.join(' ')).toBe(
        `continuo: No Continuo data folder at ${missing}: check --data-dir (or CONTINUO_DATA_DIR). Nothing has been generated or downloaded there yet.\n`,
      );
      expect(existsSync(missing), args.join(' ')).toBe(false);
    }
  });

  it('work on an existing, empty one', async () => {
    const empty = tempDir();
    const result = await runCli(['--data-dir', empty, 'library', 'list'], env);
    expect(result).toMatchObject({ code: 0, stdout: 'No takes found.\n' });
  });
});
