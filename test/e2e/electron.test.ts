/**
 * The same studio through Playwright's Electron driver, where the Electron binary exists.
 * Electron 42+ downloads its binary on first run from outside the npm registry, so on machines
 * without it this suite reports itself as skipped, with the reason.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { _electron as electron } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/models';

const ROOT = join(import.meta.dirname, '..', '..');
const electronDir = dirname(createRequire(import.meta.url).resolve('electron/package.json'));
const pathFile = join(electronDir, 'path.txt');
const binary = existsSync(pathFile) ? join(electronDir, 'dist', readFileSync(pathFile, 'utf8').trim()) : '';
const binding = join(ROOT, 'node_modules', '.continuo-electron', 'better-sqlite3', 'build', 'Release', 'better_sqlite3.node');
const reason = !existsSync(binary)
  ? 'the Electron binary is not installed (Electron 42+ downloads it on first run; run "npx install-electron" where github.com is reachable)'
  : !existsSync(binding)
    ? 'better-sqlite3 is not built for Electron yet (run "npm start" once where github.com is reachable)'
    : '';

describe.skipIf(reason !== '')(`studio in Electron${reason ? ` — skipped: ${reason}` : ''}`, () => {
  it('opens a sandboxed window, generates and lists the take', async () => {
    const app = await electron.launch({
      executablePath: binary,
      args: [join(ROOT, 'out', 'main', 'index.js')],
      env: { ...process.env, CONTINUO_SQLITE_BINDING: binding, CONTINUO_DATA_DIR: tempDir('continuo-electron-') },
    });
    try {
      const page = await app.firstWindow();
      // The renderer comes from the app's own origin, not file://.
      expect(page.url()).toBe('continuo://app/index.html');
      const prefs = await app.evaluate(({ BrowserWindow }) =>
        (
          BrowserWindow.getAllWindows()[0].webContents as unknown as { getLastWebPreferences(): Record<string, unknown> }
        ).getLastWebPreferences(),
      );
      expect(prefs).toMatchObject({ contextIsolation: true, sandbox: true, nodeIntegration: false });
      expect(await page.evaluate(() => typeof (window as unknown as { require?: unknown }).require)).toBe('undefined');
      // Drag-out and "Show in folder" are there, and hand the desktop nothing but exported files.
      type Shell = { continuoShell?: { startDrag: unknown; showInFolder(path: string): Promise<boolean> } };
      expect(await page.evaluate(() => typeof (window as unknown as Shell).continuoShell?.startDrag)).toBe('function');
      expect(await page.evaluate(() => (window as unknown as Shell).continuoShell!.showInFolder('/etc/passwd'))).toBe(false);
      await page.getByTestId('prompt-input').fill('electron check');
      await page.getByTestId('generate-button').click();
      await page.locator('[data-testid="job-row"][data-status="done"]').first().waitFor({ timeout: 120_000 });
      await page.getByTestId('history-row').first().waitFor();
    } finally {
      await app.close();
    }
  });
});

if (reason) console.info(`Electron suite skipped: ${reason}`);
