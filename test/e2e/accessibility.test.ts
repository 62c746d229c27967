/**
 * Accessibility end to end: every view of the built studio, empty and with takes, a track and a
 * clip, checked with axe-core's WCAG 2.0/2.1 A and AA rules in Debian's Chromium (driven by
 * playwright-core) against the real services and the built-in test model.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BrowserHost } from '../../src/main/transport/browser-host';
import { testServices } from '../helpers/services';
import { hasChromium, openStudio } from './helpers/studio-browser';

const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
const TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];

interface Violation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: unknown[]; failureSummary?: string }[];
}

/** Runs axe over the whole document and returns its violations, one readable line per node. */
async function audit(page: Page, where: string): Promise<string[]> {
  // The studio's CSP refuses inline script tags (addScriptTag); evaluating the source over the
  // DevTools protocol is not subject to it, so the page runs under its real policy.
  if (!(await page.evaluate(() => 'axe' in window))) await page.evaluate(AXE_SOURCE);
  const violations = await page.evaluate(async (values) => {
    const axe = (window as unknown as { axe: { run: (ctx: Document, opts: unknown) => Promise<{ violations: unknown[] }> } }).axe;
    const result = await axe.run(document, { runOnly: { type: 'tag', values }, resultTypes: ['violations'] });
    return result.violations as Violation[];
  }, TAGS);
  return violations.flatMap((v) =>
    v.nodes.map(
      (n) =>
        `[${where}] ${v.id} (${v.impact ?? 'n/a'}): ${v.help}\n  at ${JSON.stringify(n.target)}\n  ${(n.failureSummary ?? '').replace(/\n/g, '\n  ')}`,
    ),
  );
}

describe.skipIf(!hasChromium)('accessibility (axe-core, WCAG 2 A/AA)', () => {
  const services = testServices();
  let host: BrowserHost;
  let browser: Browser;
  let page: Page;
  const errors: string[] = [];
  const T = (id: string) => page.getByTestId(id);
  const found: string[] = [];
  const check = async (where: string) => {
    // Let transitions and late renders settle so colours are measured at rest.
    await page.waitForTimeout(300);
    found.push(...(await audit(page, where)));
  };

  beforeAll(async () => {
    ({ host, browser, page } = await openStudio(services, errors));
  }, 300_000);

  afterAll(async () => {
    await browser?.close();
    await host?.close();
  });

  it('every view passes, without takes', async () => {
    await T('history-empty').waitFor();
    await check('studio, empty');
    await T('trash-filter').click();
    await page.waitForTimeout(300);
    await check('studio, empty trash');
    await T('trash-filter').click();
    await page.keyboard.press('?');
    await page.locator('dialog[open]').waitFor();
    await check('shortcuts dialog');
    await page.keyboard.press('Escape');
    await page.locator('dialog[open]').waitFor({ state: 'detached' });
    await T('nav-arrange').click();
    await T('arrange-empty').waitFor();
    await check('arrange, empty');
    await T('nav-models').click();
    await page.locator('[data-testid="model-card"]').first().waitFor();
    await check('models');
    await T('nav-settings').click();
    await check('settings');
    await T('nav-studio').click();
    await T('history-empty').waitFor();
    expect(found, found.join('\n\n')).toEqual([]);
    expect(errors).toEqual([]);
  }, 60_000);

  it('every view passes, with takes, a track and a clip', async () => {
    found.length = 0;
    await T('prompt-input').fill('warm lo-fi piano with vinyl crackle, 80 bpm');
    await T('duration-input').fill('2');
    await T('duration-input').press('Tab');
    await T('generate-button').click();
    await page.locator('[data-testid="job-row"][data-status="done"]').first().waitFor({ timeout: 120_000 });
    const row = T('history-row').first();
    await row.waitFor();
    const takeId = (await row.getAttribute('data-take-id'))!;
    await page.locator(`[data-testid="take-editor"][data-take-id="${takeId}"]`).waitFor({ timeout: 10_000 });
    await page.locator('[data-testid="waveform"][data-ready="true"]').waitFor({ timeout: 30_000 });
    await check('studio, history and the take editor with a take selected');

    await T('region-start').fill('0.5');
    await T('region-start').press('Enter');
    await T('region-end').fill('1.5');
    await T('region-end').press('Enter');
    await check('studio, take editor with a region');

    // Loop and song modes, and a song in the editor with a section picked for a re-roll.
    await T('mode-loop').check();
    await check('studio, loop mode');
    await T('mode-song').check();
    await T('prompt-tempo').fill('120');
    await T('prompt-tempo').press('Tab');
    await T('song-preset').selectOption('aba');
    for (let i = 0; i < 3; i++) {
      await T('section-bars').nth(i).fill('1');
      await T('section-bars').nth(i).press('Tab');
    }
    await check('studio, song plan');
    await T('generate-button').click();
    await page.locator('[data-testid="job-row"][data-status="done"]').nth(1).waitFor({ timeout: 120_000 });
    await T('section-block').nth(1).waitFor({ timeout: 10_000 });
    await page.locator('[data-testid="waveform"][data-ready="true"]').waitFor({ timeout: 30_000 });
    await T('section-block').nth(1).click();
    await T('section-panel').waitFor();
    await check('studio, a song in the editor with a section picked');
    await T('mode-take').check();

    await T('nav-arrange').click();
    await T('arrange-empty').waitFor();
    await T('project-name').fill('Accessible');
    await T('project-create').click();
    await T('arrangement').waitFor();
    if (!(await T('track').count())) await T('track-add').click();
    await T('track').first().waitFor();
    await T('place-clip').click();
    await T('clip').first().waitFor();
    await check('arrange, a track and a clip');
    await T('clip').first().click();
    await T('clip-inspector').waitFor();
    await check('arrange, clip selected');

    await T('nav-models').click();
    await page.locator('[data-testid="model-card"]').first().waitFor();
    await check('models, with takes');
    await T('nav-settings').click();
    await check('settings, with takes');
    await T('nav-studio').click();
    expect(found, found.join('\n\n')).toEqual([]);
    expect(errors).toEqual([]);
  }, 240_000);
});
