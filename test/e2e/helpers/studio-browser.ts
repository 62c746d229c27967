/**
 * The studio in Debian's Chromium (driven by playwright-core) against real services: one launch
 * and one set-up for every end-to-end test.
 */
import { existsSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';
import { ensureRendererBuilt, RENDERER_DIR } from '../../../src/cli/commands/serve';
import type { Services } from '../../../src/main/services';
import { startBrowserHost, type BrowserHost } from '../../../src/main/transport/browser-host';

export const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
export const hasChromium = existsSync(CHROMIUM);

/**
 * Headless, as root, on a closed network (background connections would be refused, many at a
 * time), and allowed to play audio without a click, since the tests press buttons by script.
 */
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--autoplay-policy=no-user-gesture-required',
];

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: ARGS });
}

export interface Studio {
  host: BrowserHost;
  browser: Browser;
  page: Page;
}

/**
 * Serves the built studio over `services`, opens it in a 1440×900 page and collects the page's
 * errors and console errors into `errors`. `beforeGoto` runs before the first load (init scripts).
 */
export async function openStudio(services: Services, errors: string[], beforeGoto?: (page: Page) => Promise<unknown>): Promise<Studio> {
  ensureRendererBuilt();
  const host = await startBrowserHost({ services, rendererDir: RENDERER_DIR });
  const browser = await launchChromium();
  const page = await (await browser.newContext({ viewport: { width: 1440, height: 900 } })).newPage();
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
  await beforeGoto?.(page);
  await page.goto(host.url);
  return { host, browser, page };
}
