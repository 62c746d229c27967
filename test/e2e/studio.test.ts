/**
 * End to end in browser mode: the built studio in Debian's Chromium (driven by playwright-core)
 * against the real services and the built-in test model. Screenshots land in a temp folder (docs/screenshots with `npm run screenshots`).
 */
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeWav } from '../../src/main/audio';
import type { BrowserHost } from '../../src/main/transport/browser-host';
import { testServices } from '../helpers/services';
import { SHOTS } from './helpers/screenshots';
import { hasChromium, openStudio } from './helpers/studio-browser';

describe.skipIf(!hasChromium)('studio in the browser', () => {
  const services = testServices();
  let host: BrowserHost;
  let browser: Browser;
  let page: Page;
  const errors: string[] = [];
  const T = (id: string) => page.getByTestId(id);

  beforeAll(async () => {
    ({ host, browser, page } = await openStudio(services, errors));
  }, 300_000);

  afterAll(async () => {
    await browser?.close();
    await host?.close();
  });

  it('generate → progress → history → waveform → region → continue → lineage → search → delete + undo', async () => {
    await T('history-empty').waitFor();
    await expect(T('history-empty').innerText()).resolves.toMatch(/No takes yet/);
    await expect(T('test-model-badge').innerText()).resolves.toMatch(/noise/);
    await page.screenshot({ path: join(SHOTS, 'studio-empty.png') });

    await T('prompt-input').fill('warm lo-fi piano with vinyl crackle, 80 bpm');
    await T('duration-input').fill('4');
    await T('duration-input').press('Tab');
    await T('generate-button').click();
    const job = T('job-row').first();
    await job.waitFor();
    await page.locator('[data-testid="job-progress"]').first().waitFor({ timeout: 60_000 });
    await page.locator('[data-testid="job-row"][data-status="done"]').first().waitFor({ timeout: 120_000 });

    const row = T('history-row').first();
    await row.waitFor();
    const parentId = (await row.getAttribute('data-take-id'))!;
    const parent = await services.call('takes/get', { id: parentId });
    expect(parent.prompt).toBe('warm lo-fi piano with vinyl crackle, 80 bpm');
    expect(parent.durationSeconds).toBeCloseTo(4, 5);

    await page.locator(`[data-testid="take-editor"][data-take-id="${parentId}"]`).waitFor({ timeout: 10_000 });
    await page.locator('[data-testid="waveform"][data-ready="true"]').waitFor({ timeout: 30_000 });
    // The waveform is really drawn: wavesurfer renders into canvases in its shadow root.
    const drawn = await page.getByTestId('waveform').evaluate((el) => {
      const root = el.querySelector('div')?.shadowRoot ?? el.shadowRoot;
      const canvases = [...(root?.querySelectorAll('canvas') ?? el.querySelectorAll('canvas'))] as HTMLCanvasElement[];
      return canvases.some((c) => {
        const ctx = c.getContext('2d');
        if (!ctx || c.width === 0) return false;
        const data = ctx.getImageData(0, 0, c.width, c.height).data;
        for (let i = 3; i < data.length; i += 4) if (data[i] > 0) return true;
        return false;
      });
    });
    expect(drawn).toBe(true);

    await T('region-start').fill('1');
    await T('region-start').press('Enter');
    await T('region-end').fill('3');
    await T('region-end').press('Enter');
    await page.screenshot({ path: join(SHOTS, 'editor-region.png') });
    await T('continue-button').click();
    await page.locator('[data-testid="job-row"][data-status="done"]').nth(1).waitFor({ timeout: 120_000 });

    const childRow = page.locator(`[data-testid="history-row"][data-parent-id="${parentId}"]`).first();
    await childRow.waitFor({ timeout: 10_000 });
    const childId = (await childRow.getAttribute('data-take-id'))!;
    const child = await services.call('takes/get', { id: childId });
    expect(child).toMatchObject({ kind: 'continue', parentId, region: { start: 1, end: 3 }, contextFrames: 100 });
    await childRow.getByTestId('history-row-select').click();
    await T('lineage-parent').waitFor();
    await expect(T('lineage-region').innerText()).resolves.toMatch(/0:01\.0.*0:03\.0/);
    await page.screenshot({ path: join(SHOTS, 'continuation-lineage.png') });

    await T('history-search').fill('vinyl');
    await expect.poll(() => T('history-row').count(), { timeout: 5_000 }).toBe(2);
    await T('history-search').fill('nothing-like-this');
    await expect.poll(() => T('history-row').count(), { timeout: 5_000 }).toBe(0);
    await T('history-search').fill('');
    await expect.poll(() => T('history-row').count(), { timeout: 5_000 }).toBe(2);

    await page.locator(`[data-testid="history-row"][data-take-id="${childId}"]`).getByTestId('delete-take').click();
    await T('undo-delete').waitFor();
    await expect.poll(() => T('history-row').count(), { timeout: 5_000 }).toBe(1);
    expect((await services.call('takes/get', { id: childId })).deletedAt).not.toBeNull();
    await T('undo-delete').click();
    await page.locator(`[data-testid="history-row"][data-take-id="${childId}"]`).waitFor();
    expect((await services.call('takes/get', { id: childId })).deletedAt).toBeNull();
    expect(errors).toEqual([]);
  });

  it('shows the models and arrange views', async () => {
    await T('nav-models').click();
    await page.locator('[data-testid="model-card"][data-model-id="musicgen-small"]').waitFor();
    await expect(T('model-licence').first().innerText()).resolves.toMatch(/NonCommercial/);
    await expect(T('model-download').first().isDisabled()).resolves.toBe(true);
    await page.screenshot({ path: join(SHOTS, 'models.png') });
    await T('nav-arrange').click();
    await page.waitForTimeout(300);
    await page.screenshot({ path: join(SHOTS, 'arrange.png') });
    await T('nav-studio').click();
    expect(errors).toEqual([]);
  });

  it('keeps typed sampling settings in range and in step with their sliders', async () => {
    await page.getByText('Advanced').click();
    const field = (id: string) => page.locator(`#${id}`);
    await field('topk').fill('5000');
    await field('topk').press('Tab');
    await expect(field('topk').inputValue()).resolves.toBe('2048');
    await field('temperature').fill('');
    await field('temperature').press('Tab');
    await expect(field('temperature').inputValue()).resolves.toBe('1');
    await field('guidance-range').fill('6.5');
    await expect(field('guidance').inputValue()).resolves.toBe('6.5');
    await page.getByLabel(/Greedy/).check();
    await expect(field('topp').isDisabled()).resolves.toBe(true);
    await expect(field('topp-range').isDisabled()).resolves.toBe(true);
    expect(errors).toEqual([]);
  });

  it('drop a WAV on the studio → history → region → continue from the imported clip; a bad file is refused', async () => {
    const tone = new Float32Array(3 * 44100).map((_, i) => 0.3 * Math.sin((2 * Math.PI * 220 * i) / 44100));
    const wav = encodeWav({ sampleRate: 44100, channels: [tone, tone] }, 'pcm16').toString('base64');
    // A real drop as the browser delivers it: a DataTransfer holding a File, dropped on History.
    await T('history').evaluate((el, base64) => {
      const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
      const data = new DataTransfer();
      data.items.add(new File([bytes], 'dropped loop.wav', { type: 'audio/wav' }));
      for (const type of ['dragenter', 'dragover', 'drop']) {
        el.dispatchEvent(new DragEvent(type, { bubbles: true, cancelable: true, dataTransfer: data }));
      }
    }, wav);
    await expect.poll(async () => (await services.call('takes/list', { search: 'dropped' })).total, { timeout: 20_000 }).toBe(1);
    const take = (await services.call('takes/list', { search: 'dropped' })).takes[0];
    expect(take).toMatchObject({ kind: 'import', title: 'dropped loop', sampleRate: 44100, channels: 2, device: 'dropped loop.wav' });
    const importRow = page.locator(`[data-testid="history-row"][data-take-id="${take.id}"]`);
    await importRow.waitFor();
    // Nothing to reuse: an import has no prompt, settings or seed.
    await expect(importRow.getByTestId('reuse-take').count()).resolves.toBe(0);
    // The import is selected and opens in the editor like any take.
    await page.locator(`[data-testid="take-editor"][data-take-id="${take.id}"]`).waitFor({ timeout: 10_000 });
    await expect(T('lineage-imported').innerText()).resolves.toMatch(/Imported from “dropped loop\.wav”/);
    await page.locator('[data-testid="waveform"][data-ready="true"]').waitFor({ timeout: 30_000 });
    await T('region-start').fill('0.5');
    await T('region-start').press('Enter');
    await T('region-end').fill('2.5');
    await T('region-end').press('Enter');
    await T('continue-button').click();
    const childRow = page.locator(`[data-testid="history-row"][data-parent-id="${take.id}"]`).first();
    await childRow.waitFor({ timeout: 120_000 });
    const child = await services.call('takes/get', { id: (await childRow.getAttribute('data-take-id'))! });
    expect(child).toMatchObject({ kind: 'continue', parentId: take.id, region: { start: 0.5, end: 2.5 }, contextFrames: 100 });

    // The Import button's file picker, with a file that is not audio: a clear error, nothing saved.
    const before = (await services.call('takes/list', {})).total;
    await T('import-input').setInputFiles({ name: 'broken.wav', mimeType: 'audio/wav', buffer: Buffer.from('RIFF\0\0\0\0WAVEjunk') });
    await expect(T('import-error').innerText()).resolves.toMatch(/broken\.wav/);
    expect((await services.call('takes/list', {})).total).toBe(before);
    // Chromium logs the refused upload's HTTP 400 as a console error; nothing else may appear.
    expect(errors.filter((e) => !/Failed to load resource: .* 400/.test(e))).toEqual([]);
  });
});
