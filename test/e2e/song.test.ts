/**
 * Songs end to end in browser mode (real services, the built studio, Debian's Chromium, the
 * built-in test model): build a 3-section plan, generate it, see the sections on the editor's
 * timeline with their seams, re-roll the middle one, and find both versions in the lineage; and
 * make a bar-exact loop that opens looped.
 */
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BrowserHost } from '../../src/main/transport/browser-host';
import { testServices } from '../helpers/services';
import { SHOTS } from './helpers/screenshots';
import { hasChromium, openStudio } from './helpers/studio-browser';

describe.skipIf(!hasChromium)('songs in the browser', () => {
  const services = testServices();
  let host: BrowserHost;
  let browser: Browser;
  let page: Page;
  const errors: string[] = [];
  const T = (id: string) => page.getByTestId(id);
  const attrs = (selector: string, name: string) =>
    page.locator(selector).evaluateAll((els, attr) => els.map((el) => el.getAttribute(attr)), name);

  beforeAll(async () => {
    ({ host, browser, page } = await openStudio(services, errors));
  }, 300_000);

  afterAll(async () => {
    await browser?.close();
    await host?.close();
  });

  it('build a 3-section plan, generate, see the sections on the timeline, re-roll the middle one, find both versions in the lineage', async () => {
    await T('history-empty').waitFor();
    await T('mode-song').check();
    await T('prompt-input').fill('warm lo-fi hip hop, dusty piano');
    await T('prompt-tempo').fill('120');
    await T('prompt-tempo').press('Tab');
    await T('prompt-key').selectOption('A minor');
    await T('song-title').fill('Rainy window');

    // Start from the short preset (intro, verse, chorus, outro), drop the outro, move the chorus up
    // and back, and give every section 2 bars (4 s at 120 BPM) so the test model is quick.
    await T('song-preset').selectOption('short');
    await expect.poll(() => T('song-section-row').count()).toBe(4);
    await T('section-remove').nth(3).click();
    await page.getByRole('button', { name: 'Move Chorus up' }).click();
    await expect.poll(() => attrs('[data-testid="song-block"]', 'data-name')).toEqual(['Intro', 'Chorus', 'Verse']);
    await page.getByRole('button', { name: 'Move Chorus down' }).click();
    for (let i = 0; i < 3; i++) {
      await T('section-bars').nth(i).fill('2');
      await T('section-bars').nth(i).press('Tab');
    }
    await T('section-prompt').nth(2).fill('full drums, the hook');
    await expect.poll(() => attrs('[data-testid="song-block"]', 'data-name')).toEqual(['Intro', 'Verse', 'Chorus']);
    expect(await attrs('[data-testid="song-block"]', 'data-bars')).toEqual(['2', '2', '2']);
    await expect(T('song-summary').innerText()).resolves.toMatch(/3 sections · 6 bars · 12 s at 120 BPM/);
    await page.screenshot({ path: join(SHOTS, 'song-plan.png') });

    await T('generate-button').click();
    await page.locator('[data-testid="job-row"][data-status="done"]').first().waitFor({ timeout: 180_000 });

    // The song opens in the editor: its sections labelled over the waveform, a seam at each join.
    const editor = page.locator('[data-testid="take-editor"]');
    await editor.waitFor({ timeout: 10_000 });
    const songId = (await editor.getAttribute('data-take-id'))!;
    const song = await services.call('takes/get', { id: songId });
    expect(song.music?.song?.sections.map((s) => [s.name, s.bars])).toEqual([
      ['Intro', 2],
      ['Verse', 2],
      ['Chorus', 2],
    ]);
    expect(song.music).toMatchObject({ tempoBpm: 120, key: 'A minor', timeSignature: '4/4' });
    expect(song.durationSeconds).toBeCloseTo(12, 1);
    await page.locator('[data-testid="waveform"][data-ready="true"]').waitFor({ timeout: 30_000 });
    expect(await attrs('[data-testid="section-block"]', 'data-name')).toEqual(['Intro', 'Verse', 'Chorus']);
    const starts = (await attrs('[data-testid="section-block"]', 'data-start')).map(Number);
    expect(starts[1]).toBeCloseTo(4, 1);
    expect(starts[2]).toBeCloseTo(8, 1);
    // Blocks sit on the waveform's time axis: the Verse starts a third of the way across.
    const [wave, verse] = await Promise.all([T('waveform').boundingBox(), T('section-block').nth(1).boundingBox()]);
    expect((verse!.x - wave!.x) / wave!.width).toBeCloseTo(1 / 3, 1);
    // Zoomed in and scrolled, the blocks move with the waveform, and the editor keeps its width.
    const editorWidth = (await editor.boundingBox())!.width;
    await T('zoom-slider').fill('100');
    const scroller = () =>
      T('waveform').evaluate((el) => {
        const scroll = el.querySelector('div')!.shadowRoot!.querySelector('.scroll') as HTMLElement;
        return { left: scroll.scrollLeft, width: scroll.scrollWidth };
      });
    await expect.poll(async () => (await scroller()).width, { timeout: 10_000 }).toBeGreaterThan(1000);
    await T('waveform').evaluate((el) => {
      (el.querySelector('div')!.shadowRoot!.querySelector('.scroll') as HTMLElement).scrollLeft = 300;
    });
    await expect
      .poll(async () => {
        const [box, chorus, { left, width }] = await Promise.all([
          T('waveform').boundingBox(),
          T('section-block').nth(2).boundingBox(),
          scroller(),
        ]);
        return chorus!.x - (box!.x + (starts[2] / song.durationSeconds) * width - left);
      })
      .toBeCloseTo(0, -1);
    expect((await editor.boundingBox())!.width).toBeCloseTo(editorWidth, 0);
    await T('zoom-slider').fill('0');
    expect(await attrs('[data-testid="seam-marker"]', 'data-grade')).toHaveLength(2);
    await expect(T('take-tempo').innerText()).resolves.toMatch(/^120 BPM/);
    await expect(T('take-key').innerText()).resolves.toMatch(/^A minor/);
    await page.screenshot({ path: join(SHOTS, 'song-editor.png') });

    // Re-roll the middle section as a branch: a new take whose parent is the song.
    await T('section-block').nth(1).click();
    await T('section-panel').waitFor();
    await expect(T('region-start').inputValue()).resolves.toBe(String(starts[1]));
    await T('reroll-branch').check();
    await T('reroll-button').click();
    await expect.poll(() => page.locator('[data-testid="job-row"][data-status="done"]').count(), { timeout: 180_000 }).toBe(2);
    await page.locator(`[data-testid="take-editor"]:not([data-take-id="${songId}"])`).waitFor({ timeout: 10_000 });
    const rerollId = (await editor.getAttribute('data-take-id'))!;

    const lineage = await services.call('takes/lineage', { id: songId });
    const reroll = lineage.descendants.find((t) => t.id === rerollId)!;
    expect(reroll).toMatchObject({ parentId: songId });
    expect(reroll.music?.song?.sections.map((s) => s.version)).toEqual([0, 1, 0]);
    expect(reroll.music?.song?.sections[0].seed).toBe(song.music?.song?.sections[0].seed);
    expect(reroll.music?.song?.sections[1].seed).not.toBe(song.music?.song?.sections[1].seed);

    // Both versions are in the lineage, the re-roll named by the section it remade.
    await T('song-versions').waitFor();
    expect(await attrs('[data-testid="song-version"]', 'data-take-id')).toEqual([songId, rerollId]);
    await expect(T('song-version-label').nth(1).innerText()).resolves.toMatch(/^re-rolled Verse \(v2\)/);
    await expect(T('lineage-parent').getAttribute('data-take-id')).resolves.toBe(songId);
    await expect(page.locator('[data-testid="section-block"][data-index="1"]').getAttribute('data-version')).resolves.toBe('1');
    await expect(T('row-lineage').first().innerText()).resolves.toMatch(/^re-rolled Verse \(v2\) of “Rainy window”/);
    await page.locator('[data-testid="waveform"][data-ready="true"]').waitFor({ timeout: 30_000 });
    await page.screenshot({ path: join(SHOTS, 'song-reroll-lineage.png') });

    // From the original, the re-roll is findable too.
    await page.locator(`[data-testid="song-version"][data-take-id="${songId}"] button`).click();
    await page.locator(`[data-testid="take-editor"][data-take-id="${songId}"]`).waitFor();
    await page.locator(`[data-testid="lineage-child"][data-take-id="${rerollId}"]`).waitFor();
    expect(await attrs('[data-testid="song-version"]', 'data-take-id')).toEqual([songId, rerollId]);
    expect(errors).toEqual([]);
  }, 420_000);

  it('shows each section’s progress while a song is made; cancel keeps the finished sections', async () => {
    // 8 bars a section (48 s in all): long enough to watch the second section being made.
    for (let i = 0; i < 3; i++) {
      await T('section-bars').nth(i).fill('8');
      await T('section-bars').nth(i).press('Tab');
    }
    await T('song-title').fill('Long song');
    await T('generate-button').click();
    const plan = T('song-plan');
    const block = (i: number) => plan.locator(`[data-testid="song-block"][data-index="${i}"]`);
    await plan.locator('[data-testid="song-block"][data-index="1"][data-state="running"]').waitFor({ timeout: 120_000 });
    await expect(block(0).getAttribute('data-state')).resolves.toBe('done');
    await expect(block(2).getAttribute('data-state')).resolves.toBe('queued');
    await expect(plan.getByTestId('song-progress-section').innerText()).resolves.toBe('Section 2 of 3: Verse');
    await page.screenshot({ path: join(SHOTS, 'song-progress.png') });

    await plan.getByTestId('song-cancel').click();
    const row = page.locator('[data-testid="job-row"][data-status="cancelled"]');
    await row.waitFor({ timeout: 60_000 });
    await row.getByTestId('job-kept').waitFor();
    const job = (await services.call('jobs/list', {})).find((j) => j.status === 'cancelled')!;
    expect(job.takeIds).toHaveLength(1);
    const kept = await services.call('takes/get', { id: job.takeIds[0] });
    expect(kept.music?.song).toMatchObject({ plannedSections: 3, sections: [{ name: 'Intro' }] });
    // The kept take opens, saying what is missing.
    await page.locator(`[data-testid="take-editor"][data-take-id="${kept.id}"]`).waitFor({ timeout: 10_000 });
    await T('song-partial').waitFor();
    expect(await attrs('[data-testid="section-block"]', 'data-name')).toEqual(['Intro']);

    // Finish it: the sections never made are made as the song would have made them, in a new take.
    await T('finish-song').click();
    await expect.poll(() => page.locator('[data-testid="job-row"][data-status="done"]').count(), { timeout: 240_000 }).toBe(3);
    const finishedSong = (await services.call('takes/lineage', { id: kept.id })).descendants[0];
    expect(finishedSong.music?.song?.sections.map((s) => s.name)).toEqual(['Intro', 'Verse', 'Chorus']);
    expect(services.library.getCodes(finishedSong.id)!.map((row) => row.slice(0, kept.frames))).toEqual(services.library.getCodes(kept.id));
    expect(errors).toEqual([]);
  }, 420_000);

  it('makes a 2-bar loop that opens looped', async () => {
    await T('mode-loop').check();
    await T('prompt-input').fill('boom bap drum loop');
    await T('loop-bars-2').check();
    await expect(T('loop-hint').innerText()).resolves.toMatch(/2 bars of 4\/4 at 120 BPM: 4\.0 s/);
    await T('generate-button').click();
    await expect.poll(() => page.locator('[data-testid="job-row"][data-status="done"]').count(), { timeout: 180_000 }).toBe(4);
    await expect.poll(() => T('loop-badge').count(), { timeout: 10_000 }).toBe(1);
    await expect(T('loop-badge').innerText()).resolves.toBe('2-bar loop');
    const id = (await page.locator('[data-testid="take-editor"]').getAttribute('data-take-id'))!;
    const take = await services.call('takes/get', { id });
    expect(take.music?.loop?.bars).toBe(2);
    expect(take.durationSeconds).toBeCloseTo(4, 2);
    await expect(T('loop-button').getAttribute('aria-pressed')).resolves.toBe('true');
    expect(errors).toEqual([]);
  }, 240_000);
});
