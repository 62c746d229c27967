/**
 * End to end in browser mode (real services, built studio, Debian's Chromium): takes on tracks →
 * play (the playhead moves, the audio clock advances, start latency measured) → loop → export
 * stems → the files exist and are all the same length.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeWav } from '../../src/main/audio';
import { decodeAcid, readWavChunks } from '../../src/main/audio/bext';
import type { BrowserHost } from '../../src/main/transport/browser-host';
import { tempDir } from '../helpers/models';
import { finished, testServices } from '../helpers/services';
import { hasChromium, openStudio } from './helpers/studio-browser';

describe.skipIf(!hasChromium)('arrangement playback and stems export in the browser', () => {
  const services = testServices();
  let host: BrowserHost;
  let browser: Browser;
  let page: Page;
  const errors: string[] = [];
  const T = (id: string) => page.getByTestId(id);
  const seconds = async (id: string) => Number(await T(id).getAttribute('data-seconds'));

  beforeAll(async () => {
    for (const [prompt, seed] of [
      ['e2e pads', 5],
      ['e2e drums', 6],
    ] as const) {
      await finished(services, (await services.call('jobs/generate', { prompt, seconds: 4, seed })).id);
    }
    ({ host, browser, page } = await openStudio(services, errors));
  }, 300_000);

  afterAll(async () => {
    await browser?.close();
    await host?.close();
  });

  it('takes on tracks → play → the playhead and the audio clock move → export stems of equal length', async () => {
    await T('nav-arrange').click();
    await T('project-name').fill('E2E playback');
    await T('project-create').click();
    await T('track-add').click();
    await expect.poll(() => T('track').count()).toBe(2);
    const takes = T('history-row-select');
    // Place the first take on track 1 at 0 s, the second on track 2 at 1 s.
    const tracks = await T('place-track')
      .locator('option')
      .evaluateAll((os) => os.map((o) => (o as HTMLOptionElement).value));
    for (const [i, start] of [0, 1].entries()) {
      await takes.nth(i).click();
      await T('place-track').selectOption(tracks[i]);
      await T('place-start').fill(String(start));
      await T('place-clip').click();
      await expect.poll(() => T('clip').count()).toBe(i + 1);
    }
    await expect.poll(() => T('transport-play').isEnabled(), { timeout: 15_000 }).toBe(true);
    await expect.poll(() => T('transport-rendering').count(), { timeout: 15_000 }).toBe(0);

    const audioTime = () =>
      page.evaluate(() => (window as unknown as { __continuoAudioTime?: () => number }).__continuoAudioTime?.() ?? -1);
    await T('transport-play').click();
    await expect.poll(() => seconds('playhead'), { timeout: 5000 }).toBeGreaterThan(0.3);
    const latency = Number((await T('transport-latency').innerText()).match(/(\d+) ms/)![1]);
    expect(latency).toBeLessThanOrEqual(200);
    console.log(`2-track project: playback started ${latency} ms after pressing play`);
    expect(await audioTime()).toBeGreaterThan(0.2);
    await page.keyboard.press('Space'); // pause
    const paused = await seconds('playhead');
    await page.waitForTimeout(300);
    expect(await seconds('playhead')).toBe(paused);

    // Click on the ruler seeks; the loop keeps the playhead inside its range.
    const ruler = T('ruler');
    const box = (await ruler.boundingBox())!;
    const pxPerSec = Number(await ruler.getAttribute('data-px-per-sec'));
    await page.mouse.click(box.x + 2 * pxPerSec, box.y + box.height / 2);
    expect(await seconds('playhead')).toBeCloseTo(2, 1);
    await T('loop-start').fill('0.5');
    await T('loop-start').press('Tab');
    await T('loop-end').fill('1');
    await T('loop-end').press('Tab');
    await T('transport-loop').check();
    // Shift + drag on the ruler sets the loop range too (here back to 0.5–1 s after a detour).
    await page.keyboard.down('Shift');
    await page.mouse.move(box.x + 1 * pxPerSec, box.y + box.height / 2);
    await page.mouse.down();
    await page.mouse.move(box.x + 3 * pxPerSec, box.y + box.height / 2, { steps: 4 });
    await page.mouse.up();
    await page.keyboard.up('Shift');
    expect([Number(await T('loop-start').inputValue()), Number(await T('loop-end').inputValue())]).toEqual([1, 3]);
    await T('loop-start').fill('0.5');
    await T('loop-start').press('Tab');
    await T('loop-end').fill('1');
    await T('loop-end').press('Tab');
    await T('transport-play').click();
    await page.waitForTimeout(1500);
    const inLoop = await seconds('playhead');
    expect(inLoop).toBeGreaterThanOrEqual(0.5);
    expect(inLoop).toBeLessThan(1.01);
    await T('transport-stop').click();
    expect(await seconds('playhead')).toBe(0.5);

    await T('project-tempo').fill('120');
    await T('project-tempo').press('Tab');
    await expect.poll(async () => (await services.call('projects/list', {})).find((p) => p.name === 'E2E playback')?.tempoBpm).toBe(120);
    await T('export-stems').click();
    await T('stems-result').waitFor({ timeout: 30_000 });
    const project = (await services.call('projects/list', {})).find((p) => p.name === 'E2E playback')!;
    const files = await T('exported-file').evaluateAll((els) => els.map((e) => e.getAttribute('data-path')!));
    expect(files.length).toBe(3); // mix + two stems
    const lengths = files.map((f) => decodeWav(readFileSync(f)).channels[0].length);
    expect(new Set(lengths).size).toBe(1);
    expect(lengths[0]).toBe(5 * 48000);
    expect(files.map((f) => decodeAcid(readWavChunks(readFileSync(f)).get('acid')!).tempoBpm)).toEqual([120, 120, 120]);
    // Browser mode's "drag out": the mix downloads as a real file; "Show in folder" shows where it is.
    const mixRow = T('exported-file').first();
    const [download] = await Promise.all([page.waitForEvent('download'), mixRow.getByTestId('exported-download').click()]);
    const saved = join(tempDir('continuo-download-'), download.suggestedFilename());
    await download.saveAs(saved);
    expect(download.suggestedFilename()).toBe('mix.wav');
    expect(readFileSync(saved)).toEqual(readFileSync(files[0]));
    await mixRow.getByTestId('exported-reveal').click();
    expect(await mixRow.getByTestId('exported-folder').innerText()).toBe(dirname(files[0]));
    expect(project).toBeTruthy();
    expect(errors).toEqual([]);
  }, 120_000);

  it('a take exports normalised from the editor, and its file can be downloaded', async () => {
    await T('nav-studio').click();
    await T('history-row-select').first().click();
    await T('export-normalise-take').check();
    await T('export-button').click();
    await expect
      .poll(() => T('editor-note').innerText(), { timeout: 30_000 })
      .toMatch(/Exported: -1[3-5]\.\d LUFS, true peak -[\d.]+ dBTP/);
    const path = await T('exported-file').getAttribute('data-path');
    const [download] = await Promise.all([page.waitForEvent('download'), T('exported-download').click()]);
    const saved = join(tempDir('continuo-download-'), download.suggestedFilename());
    await download.saveAs(saved);
    expect(readFileSync(saved)).toEqual(readFileSync(path!));
  }, 60_000);

  it('a 3-minute, 8-track project starts playing within 200 ms of pressing play', async () => {
    const takes = (await services.call('takes/list', {})).takes;
    let p = await services.call('projects/create', { name: 'Long eight' });
    for (let t = 0; t < 8; t++) p = await services.call('tracks/add', { projectId: p.id, name: `T${t + 1}` });
    for (const [t, track] of p.tracks.entries()) {
      for (let at = 0; at < 180; at += 4) {
        await services.call('clips/add', { trackId: track.id, takeId: takes[(t + at / 4) % takes.length].id, startSeconds: at });
      }
    }
    p = await services.call('tracks/update', { id: p.tracks[0].id, gainDb: -6 });
    const before = performance.now();
    const render = await services.call('projects/render', { id: p.id });
    const renderMs = performance.now() - before;
    expect(render.seconds).toBeCloseTo(180, 3);

    await page.reload();
    await T('nav-arrange').click();
    await T('project-select').selectOption(p.id);
    await expect.poll(() => T('clip').count(), { timeout: 15_000 }).toBe(8 * 45);
    await expect.poll(() => T('transport-play').isEnabled(), { timeout: 30_000 }).toBe(true);
    await expect.poll(() => T('transport-rendering').count(), { timeout: 30_000 }).toBe(0);
    const latencies: number[] = [];
    for (let i = 0; i < 3; i++) {
      await T('transport-play').click();
      await T('transport-latency').waitFor();
      await expect.poll(() => seconds('playhead'), { timeout: 5000 }).toBeGreaterThan(0.2);
      latencies.push(Number((await T('transport-latency').innerText()).match(/(\d+) ms/)![1]));
      await T('transport-stop').click();
    }
    console.log(
      `3-min 8-track project: render in the services ${Math.round(renderMs)} ms (cold); play started after ${latencies.join(', ')} ms`,
    );
    expect(Math.max(...latencies)).toBeLessThanOrEqual(200);

    // Playing past the visible part of the lane pages the timeline along with the playhead.
    const scrollLeft = () => page.evaluate(() => document.querySelector('[data-testid="arrangement"] .scroller')!.scrollLeft);
    const view = await page.evaluate(() => document.querySelector('[data-testid="arrangement"] .scroller')!.clientWidth);
    const ruler = (await T('ruler').boundingBox())!;
    expect(await scrollLeft()).toBe(0);
    await page.mouse.click(ruler.x + view - 190 - 30, ruler.y + ruler.height / 2);
    await T('transport-play').click();
    await expect.poll(scrollLeft, { timeout: 5000 }).toBeGreaterThan(0);
    await T('transport-stop').click();
    expect(errors).toEqual([]);
  }, 180_000);
});
