/**
 * Streaming preview in browser mode: the studio in Debian's Chromium receives binary `job.audio`
 * frames while a job runs, draws the growing preview before the job is done, schedules it on its
 * AudioContext, and Cancel stops it.
 */
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BrowserHost } from '../../src/main/transport/browser-host';
import { testServices } from '../helpers/services';
import { SHOTS } from './helpers/screenshots';
import { hasChromium, openStudio } from './helpers/studio-browser';

describe.skipIf(!hasChromium)('streaming preview in the browser', () => {
  const services = testServices();
  let host: BrowserHost;
  let browser: Browser;
  let page: Page;
  const errors: string[] = [];
  const T = (id: string) => page.getByTestId(id);

  beforeAll(async () => {
    // Counts the buffers the studio schedules, to see that the preview is played, not only drawn.
    const countStarts = (p: Page) =>
      p.addInitScript(() => {
        const w = window as unknown as { previewStarts: number };
        w.previewStarts = 0;
        const start = AudioBufferSourceNode.prototype.start;
        AudioBufferSourceNode.prototype.start = function (...args: Parameters<typeof start>) {
          w.previewStarts++;
          return start.apply(this, args);
        };
      });
    ({ host, browser, page } = await openStudio(services, errors, countStarts));
  }, 300_000);

  afterAll(async () => {
    await browser?.close();
    await host?.close();
  });

  it('draws and plays the preview before the job is done; cancel stops it', async () => {
    await T('prompt-input').waitFor();
    await T('prompt-input').fill('streamed noise');
    await T('duration-input').fill('30');
    await T('duration-input').press('Tab');
    await T('generate-button').click();

    const running = page.locator('[data-testid="job-row"][data-status="running"] [data-testid="job-preview"]');
    await running.waitFor({ timeout: 120_000 });
    const seconds = Number(await running.getAttribute('data-seconds'));
    expect(seconds).toBeGreaterThan(0);
    expect(seconds).toBeLessThan(30);
    await page.waitForFunction(() => (window as unknown as { previewStarts: number }).previewStarts > 0, undefined, { timeout: 30_000 });
    await T('job-queue').screenshot({ path: join(SHOTS, 'streaming-preview.png') });

    await T('job-cancel').first().click();
    await page.locator('[data-testid="job-row"][data-status="cancelled"]').first().waitFor({ timeout: 60_000 });
    await expect(page.locator('[data-testid="job-preview"]').count()).resolves.toBe(0);

    // A short job previews to its end: the strip's last chunk is the take's full length.
    await T('duration-input').fill('2');
    await T('duration-input').press('Tab');
    await T('generate-button').click();
    const done = page.locator('[data-testid="job-row"][data-status="done"] [data-testid="job-preview"][data-complete="true"]');
    await done.waitFor({ timeout: 120_000 });
    await expect(done.getAttribute('data-seconds')).resolves.toBe('2.00');
    expect(errors).toEqual([]);
  });
});
