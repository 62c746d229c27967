/**
 * Formats no tool here can write, encoded by Chromium itself: MediaRecorder's WebM/Opus (what a
 * browser's recorder or a voice memo gives a musician), imported through the services.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/models';
import { testServices } from '../helpers/services';
import { hasChromium, launchChromium } from './helpers/studio-browser';

/** One second of a 440 Hz sine at 0.4, recorded by Chromium's MediaRecorder as `type`. */
async function recordInChromium(type: string): Promise<Buffer> {
  const browser = await launchChromium();
  try {
    const page = await browser.newPage();
    const base64 = await page.evaluate(async (mimeType) => {
      const ctx = new AudioContext({ sampleRate: 48000 });
      await ctx.resume();
      const destination = ctx.createMediaStreamDestination();
      const osc = new OscillatorNode(ctx, { frequency: 440 });
      osc.connect(new GainNode(ctx, { gain: 0.4 })).connect(destination);
      osc.start();
      const recorder = new MediaRecorder(destination.stream, { mimeType });
      const chunks: Blob[] = [];
      recorder.ondataavailable = (e) => chunks.push(e.data);
      const stopped = new Promise((resolve) => (recorder.onstop = resolve));
      recorder.start();
      await new Promise((resolve) => setTimeout(resolve, 1000));
      recorder.stop();
      await stopped;
      await ctx.close();
      const bytes = new Uint8Array(await new Blob(chunks).arrayBuffer());
      let text = '';
      for (const b of bytes) text += String.fromCharCode(b);
      return btoa(text);
    }, type);
    return Buffer.from(base64, 'base64');
  } finally {
    await browser.close();
  }
}

describe.skipIf(!hasChromium)('import of browser-encoded audio', () => {
  const services = testServices();

  it('WebM/Opus from MediaRecorder imports as the sine it recorded (48 kHz, 440 Hz, level 0.4)', async () => {
    const path = join(tempDir('continuo-opus-'), 'memo.webm');
    writeFileSync(path, await recordInChromium('audio/webm;codecs=opus'));
    const take = await services.call('takes/import', { path });
    expect(take).toMatchObject({ kind: 'import', title: 'memo', sampleRate: 48000, device: 'memo.webm' });
    expect(take.durationSeconds).toBeGreaterThan(0.5);
    const samples = services.library.readAudio(take.id).channels[0];
    // Measure the pitch over the sounding part only: how much near-silence the recorder puts around
    // the sine depends on the machine's load, and noise there crosses zero at any rate.
    const loud = (i: number) => Math.abs(samples[i]) > 0.2;
    let first = 0;
    while (first < samples.length && !loud(first)) first++;
    let last = samples.length - 1;
    while (last > first && !loud(last)) last--;
    let crossings = 0;
    let peak = 0;
    for (let i = first + 1; i <= last; i++) {
      if (samples[i - 1] < 0 && samples[i] >= 0) crossings++;
      peak = Math.max(peak, Math.abs(samples[i]));
    }
    const seconds = (last - first) / take.sampleRate;
    expect(seconds).toBeGreaterThan(0.5);
    expect(crossings / seconds).toBeGreaterThan(430);
    expect(crossings / seconds).toBeLessThan(450);
    expect(peak).toBeGreaterThan(0.35);
    expect(peak).toBeLessThan(0.45);
  }, 60_000);
});
