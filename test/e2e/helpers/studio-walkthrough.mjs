/**
 * Walks the studio end to end in Chromium against the real services (`continuo serve` with a
 * fresh data folder and the built-in test model), taking a screenshot of every view:
 *
 *   node test/e2e/helpers/studio-walkthrough.mjs [shotsDir]
 *
 * Build first (`npx electron-vite build`). Prints what it checked; exits non-zero on a failure.
 * A helper for people, not the formal e2e suite.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const shots = process.argv[2] ?? '/tmp/continuo-shots';
mkdirSync(shots, { recursive: true });
const dataDir = mkdtempSync(join(tmpdir(), 'continuo-e2e-'));
const log = (...a) => console.log('•', ...a);

const server = spawn(
  process.execPath,
  ['--import', 'tsx', join(ROOT, 'src/cli/main.ts'), '--data-dir', dataDir, 'serve', '--no-open', '--port', process.env.PORT ?? '0'],
  {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  },
);
let serverErr = '';
server.stderr.on('data', (d) => (serverErr += d));
const url = await new Promise((resolve, reject) => {
  let out = '';
  server.stdout.on('data', (d) => {
    out += d;
    const m = /(http:\/\/127\.0\.0\.1:\d+\/#token=[\w-]+)/.exec(out);
    if (m) resolve(m[1]);
  });
  server.once('exit', (code) => reject(new Error(`continuo serve exited (${code}): ${serverErr}`)));
  setTimeout(() => reject(new Error(`continuo serve printed no URL: ${out}${serverErr}`)), 60_000);
});
log('serving', url.replace(/token=.*/, 'token=…'));

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  args: [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--no-first-run',
  ],
});
const page = await (await browser.newContext({ viewport: { width: 1440, height: 900 } })).newPage();
const problems = [];
page.on('console', (m) => ['error', 'warning'].includes(m.type()) && problems.push(`${m.type()}: ${m.text()}`));
page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
const shot = (name) => page.screenshot({ path: join(shots, `${name}.png`) });
const a11y = readFileSync(join(ROOT, 'test/e2e/helpers/a11y-names.js'), 'utf8');
const unnamed = async (where) => {
  const missing = await page.evaluate(a11y);
  if (missing.length) problems.push(`${where}: controls without a name: ${missing.join(', ')}`);
};
const T = (id) => page.getByTestId(id);

let failed = false;
try {
  await page.goto(url);
  await T('history-empty').waitFor();
  log('empty history says:', (await T('history-empty').innerText()).replace(/\s+/g, ' '));
  await unnamed('studio');
  await shot('01-studio-empty');

  // Generate with the built-in test model.
  await T('prompt-input').fill('warm lo-fi piano with vinyl crackle, 80 bpm');
  await T('duration-input').fill('4');
  await T('duration-input').press('Tab');
  await T('generate-button').click();
  await T('job-row').first().waitFor();
  await page
    .locator('[data-testid="job-row"][data-status="running"], [data-testid="job-row"][data-status="done"]')
    .first()
    .waitFor({ timeout: 60_000 });
  await shot('02-generating');
  await page.locator('[data-testid="job-row"][data-status="done"]').first().waitFor({ timeout: 180_000 });
  const row = page.locator('[data-testid="history-row"]').first();
  await row.waitFor();
  const takeId = await row.getAttribute('data-take-id');
  log('generated take', takeId, '— header:', (await T('active-model').innerText()).replace(/\s+/g, ' '));

  // The finished job selects its take; the waveform loads through /audio/<id>.
  await page.locator(`[data-testid="take-editor"][data-take-id="${takeId}"]`).waitFor({ timeout: 10_000 });
  await page.locator('[data-testid="waveform"][data-ready="true"]').waitFor({ timeout: 30_000 });
  await unnamed('editor');

  // A region by dragging, then exact values by typing.
  const box = await T('waveform').boundingBox();
  await page.mouse.move(box.x + box.width * 0.25, box.y + box.height * 0.6);
  await page.mouse.down();
  await page.mouse.move(box.x + box.width * 0.6, box.y + box.height * 0.6, { steps: 10 });
  await page.mouse.up();
  log('dragged region', await T('region-start').inputValue(), '→', await T('region-end').inputValue());
  await T('region-start').fill('1');
  await T('region-start').press('Enter');
  await T('region-end').fill('3');
  await T('region-end').press('Enter');
  await T('play-button').click();
  await page.waitForTimeout(600);
  await shot('03-editor-region');
  await T('play-button').click();

  // Continue from the selection.
  await T('continue-button').click();
  await page.locator('[data-testid="job-row"]').nth(1).waitFor();
  await page.locator('[data-testid="job-row"][data-status="done"]').nth(1).waitFor({ timeout: 180_000 });
  const child = page.locator(`[data-testid="history-row"][data-parent-id="${takeId}"]`).first();
  await child.waitFor({ timeout: 10_000 });
  const childId = await child.getAttribute('data-take-id');
  log('continuation', childId, '— row says:', await child.getByTestId('row-lineage').innerText());
  await child.getByTestId('history-row-select').click();
  await T('lineage-parent').waitFor();
  log('lineage parent link:', (await T('lineage-parent').innerText()).trim(), (await T('lineage-region').innerText()).trim());
  await page.locator('[data-testid="waveform"][data-ready="true"]').waitFor({ timeout: 30_000 });
  await shot('04-continuation-lineage');
  await T('lineage-parent').click();
  await page.locator(`[data-testid="take-editor"][data-take-id="${takeId}"]`).waitFor();
  await T('lineage-child').first().waitFor();
  log('parent lists children:', await T('lineage-child').count());

  // An edit: fade out makes a new take, the original stays.
  await page.locator('[data-testid="waveform"][data-ready="true"]').waitFor({ timeout: 30_000 });
  await T('fade-out-button').click();
  await page.locator('[data-testid="toast"]', { hasText: 'Fade out' }).waitFor({ timeout: 30_000 });
  await page.locator(`[data-testid="take-editor"]:not([data-take-id="${takeId}"])`).waitFor();
  log('edit:', await page.locator('[data-testid="toast"]', { hasText: 'Fade out' }).innerText());
  await T('export-button').click();
  await T('export-path').waitFor({ timeout: 30_000 });
  log('exported to', (await T('export-path').innerText()).trim());

  // Search, delete with undo.
  await T('history-search').fill('vinyl');
  await page.waitForTimeout(600);
  log('search "vinyl":', await T('history-count').innerText());
  await T('history-search').fill('');
  await page.waitForTimeout(600);
  const before = await T('history-count').innerText();
  await page.locator(`[data-testid="history-row"][data-take-id="${childId}"]`).getByTestId('delete-take').click();
  await T('undo-delete').waitFor();
  await page.waitForTimeout(500);
  log('after delete:', before, '→', await T('history-count').innerText());
  await shot('05-undo-toast');
  await T('undo-delete').click();
  await page.locator(`[data-testid="history-row"][data-take-id="${childId}"]`).waitFor();
  log('undo restored the take');

  // A long piece in two variations: windows, progress, two takes.
  await T('prompt-input').fill('slow ambient drone with distant bells');
  await T('duration-input').fill('40');
  await T('duration-input').press('Tab');
  await T('windowed-note').waitFor();
  await page.getByRole('radio', { name: '2 variations' }).check();
  await T('generate-button').click();
  await T('job-window')
    .waitFor({ timeout: 60_000 })
    .catch(() => log('(no window progress seen)'));
  await shot('05b-long-job');
  log('long job:', (await T('job-row').first().innerText()).replace(/\s+/g, ' '));
  await page.locator('[data-testid="job-row"][data-status="done"]').nth(2).waitFor({ timeout: 300_000 });
  log('long job done; history:', await T('history-count').innerText());

  // Arrange: a project, two clips, stems.
  await T('nav-arrange').click();
  await T('project-name').fill('First sketch');
  await T('project-create').click();
  await T('place-bar').waitFor();
  await page.locator(`[data-testid="history-row"][data-take-id="${takeId}"]`).getByTestId('history-row-select').click();
  await T('place-clip').click();
  await T('clip').first().waitFor();
  await T('place-start').fill('4');
  await page.locator(`[data-testid="history-row"][data-take-id="${childId}"]`).getByTestId('history-row-select').click();
  await T('place-clip').click();
  await page.waitForFunction(() => document.querySelectorAll('[data-testid="clip"]').length === 2);
  await T('clip-fadeInSeconds').fill('0.5');
  await T('clip-fadeInSeconds').press('Tab');
  await T('export-stems').click();
  await T('stems-result').waitFor({ timeout: 60_000 });
  log('stems:', (await T('stems-result').innerText()).replace(/\s+/g, ' '));
  await unnamed('arrange');
  await shot('06-arrange');

  await T('nav-models').click();
  await T('model-card').first().waitFor();
  await unnamed('models');
  await shot('07-models');
  await T('nav-settings').click();
  await T('settings-data-dir').waitFor();
  log('data folder shown:', await T('settings-data-dir').inputValue());
  await unnamed('settings');
  await shot('08-settings');
  await T('nav-studio').click();
  await page.locator('[data-testid="waveform"][data-ready="true"]').waitFor({ timeout: 30_000 });
  await shot('09-studio-after');
} catch (e) {
  failed = true;
  console.error('FAILED:', e.message);
  await shot('zz-failure').catch(() => undefined);
} finally {
  if (problems.length) console.log(`console problems:\n  ${problems.join('\n  ')}`);
  await browser.close();
  server.kill('SIGTERM');
  await new Promise((r) => server.once('exit', r));
  rmSync(dataDir, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);
