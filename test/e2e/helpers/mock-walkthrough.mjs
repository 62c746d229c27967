/**
 * Drives the built renderer against the in-page mock client (no services needed) and writes
 * screenshots: `node test/e2e/helpers/mock-walkthrough.mjs [rendererDir] [shotsDir] [takes]`.
 */
import { createServer } from 'node:http';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import { chromium } from 'playwright-core';

const dir = process.argv[2] ?? 'out/renderer';
const shots = process.argv[3] ?? '/tmp/continuo-shots';
const takes = Number(process.argv[4] ?? 3000);
mkdirSync(shots, { recursive: true });
const TYPES = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css' };
const server = createServer((req, res) => {
  const path = join(dir, new URL(req.url, 'http://x').pathname);
  const file = existsSync(path) && extname(path) ? path : join(dir, 'index.html');
  res.writeHead(200, { 'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream' });
  res.end(readFileSync(file));
}).listen(0, '127.0.0.1');
await new Promise((r) => server.once('listening', r));
const url = `http://127.0.0.1:${server.address().port}/`;

const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
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
const context = await browser.newContext({ viewport: { width: 1440, height: 900 }, bypassCSP: true });
const page = await context.newPage();
const problems = [];
page.on('console', (m) => (m.type() === 'error' || m.type() === 'warning') && problems.push(`${m.type()}: ${m.text()}`));
page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
await page.addInitScript(`window.__MOCK_TAKES__ = ${takes};`);
await page.addInitScript({ path: new URL('./mock-continuo.js', import.meta.url).pathname });
await page.goto(url);
const shot = (name) => page.screenshot({ path: join(shots, `mock-${name}.png`) });

await page.getByTestId('history-row').first().waitFor();
const rows = await page.getByTestId('history-row').count();
console.log(`rows in DOM with ${takes} takes: ${rows}`);
await shot('studio-start');

// Scroll deep into the history: rows must come from later pages.
await page.getByTestId('history-list').evaluate((el) => (el.scrollTop = el.scrollHeight / 2));
await page.waitForTimeout(400);
console.log('rows after scroll:', await page.getByTestId('history-row').count());
await shot('history-scrolled');
await page.getByTestId('history-list').evaluate((el) => (el.scrollTop = 0));

await page.getByTestId('prompt-input').fill('warm lo-fi piano with vinyl crackle, 80 bpm');
await page.getByTestId('generate-button').click();
await page.getByTestId('job-row').first().waitFor();
await page.waitForTimeout(1200);
await shot('generating');
await page.locator('[data-testid="job-row"][data-status="done"]').first().waitFor({ timeout: 15000 });
await page.locator('[data-testid="waveform"][data-ready="true"]').waitFor({ timeout: 15000 });
await page.getByTestId('region-start').fill('1');
await page.getByTestId('region-start').press('Enter');
await page.getByTestId('region-end').fill('4');
await page.getByTestId('region-end').press('Enter');
await shot('editor-region');
await page.getByTestId('continue-button').click();
await page.waitForTimeout(4500);
await shot('after-continue');
console.log('lineage parent:', await page.getByTestId('lineage-parent').count());

await page.getByTestId('nav-arrange').click();
await page.getByTestId('project-name').fill('Demo');
await page.getByTestId('project-create').click();
await page.getByTestId('history-row-select').first().click();
await page.getByTestId('place-clip').click();
await page.getByTestId('place-start').fill('12');
await page.getByTestId('history-row-select').nth(2).click();
await page.getByTestId('place-clip').click();
await page.getByTestId('export-stems').click();
await page.waitForTimeout(500);
await shot('arrange');
await page.getByTestId('nav-models').click();
await page.waitForTimeout(300);
await shot('models');
await page.getByTestId('nav-settings').click();
await page.waitForTimeout(300);
await shot('settings');
console.log(problems.length ? `console problems:\n${problems.join('\n')}` : 'no console problems');
await browser.close();
server.close();
