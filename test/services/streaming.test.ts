/** Streaming preview through the services: `job.audio` events while a job runs, in process and from a worker thread. */
import { describe, expect, it } from 'vitest';
import { createServices, type Services } from '../../src/main/services';
import { startThreadEngineHost } from '../../src/main/services/thread-engine-host';
import type { JobAudio } from '../../src/shared/contract';
import { tempDir } from '../helpers/models';
import { finished } from '../helpers/services';

/** Preview vs the saved take: the engine's tolerance plus the stored file's rounding. */
const TOLERANCE = 1e-4 + 1 / 32767;

function joined(chunks: JobAudio[], take: number): Float32Array[] {
  const mine = chunks.filter((c) => c.take === take);
  let at = 0;
  const out = mine[0].channels.map(() => [] as number[]);
  for (const chunk of mine) {
    expect(chunk.startSample).toBe(at);
    chunk.channels.forEach((ch, c) => out[c].push(...ch));
    at += chunk.channels[0].length;
  }
  expect(mine.at(-1)!.final).toBe(true);
  return out.map((ch) => Float32Array.from(ch));
}

async function streamsAJob(services: Services): Promise<void> {
  const chunks: JobAudio[] = [];
  let doneSeen = false;
  const arrivedBeforeDone: boolean[] = [];
  services.events.on('job.updated', (j) => j.status === 'done' && (doneSeen = true));
  services.events.on('job.audio', (c) => {
    chunks.push(c);
    arrivedBeforeDone.push(!doneSeen);
  });
  const job = await services.call('jobs/generate', { prompt: 'streamed', seconds: 2, seed: 7, variations: 2 });
  const done = await finished(services, job.id);
  expect(done.status).toBe('done');
  expect(chunks.every((c) => c.jobId === job.id)).toBe(true);
  expect(chunks.filter((c) => !c.final).length).toBeGreaterThanOrEqual(4);
  expect(arrivedBeforeDone.every(Boolean)).toBe(true);
  expect(chunks.every((c) => c.channels[0] instanceof Float32Array)).toBe(true);
  done.takeIds.forEach((id, t) => {
    const saved = services.library.readAudio(id).channels[0];
    const preview = joined(chunks, t)[0];
    expect(preview.length).toBe(saved.length);
    let max = 0;
    for (let i = 0; i < saved.length; i++) max = Math.max(max, Math.abs(saved[i] - preview[i]));
    expect(max).toBeLessThanOrEqual(TOLERANCE);
  });
}

async function cancelStopsTheStream(services: Services): Promise<void> {
  const chunks: JobAudio[] = [];

  services.events.on('job.audio', (c) => chunks.push(c));
  const job = await services.call('jobs/generate', { prompt: 'long', seconds: 30, seed: 1 });
  await new Promise<void>((resolve) => {
    const off = services.events.on('job.audio', () => {
      off();
      resolve();
    });
  });
  await services.call('jobs/cancel', { id: job.id });
  const end = await finished(services, job.id);
  const cancelledAt = chunks.length;
  expect(end.status).toBe('cancelled');
  await new Promise((resolve) => setTimeout(resolve, 200));
  expect(chunks.length).toBe(cancelledAt);
  expect(chunks.some((c) => c.final)).toBe(false);
}

/** Every chunk equals the saved take where it says it starts, and the last one ends with it. */
function placedInSavedTake(services: Services, chunks: JobAudio[], takeId: string): void {
  const saved = services.library.readAudio(takeId).channels[0];
  let max = 0;
  for (const chunk of chunks) {
    chunk.channels[0].forEach((v, i) => (max = Math.max(max, Math.abs(v - saved[chunk.startSample + i]))));
  }
  expect(max).toBeLessThanOrEqual(TOLERANCE);
  const last = chunks.at(-1)!;
  expect(last.final).toBe(true);
  expect(last.startSample + last.channels[0].length).toBe(saved.length);
}

describe('streaming preview through the services', () => {
  it('streams a job in process: chunks before the end that join into the saved takes', async () => {
    const services = createServices({ dataDir: tempDir('continuo-stream-') });
    try {
      await streamsAJob(services);
    } finally {
      await services.close();
    }
  });

  it('places the chunks of a continuation and an extension where they land in the saved take', async () => {
    const services = createServices({ dataDir: tempDir('continuo-stream-continue-') });
    try {
      const chunks: JobAudio[] = [];
      services.events.on('job.audio', (c) => chunks.push(c));
      const parent = await finished(services, (await services.call('jobs/generate', { prompt: 'p', seconds: 8, seed: 2 })).id);
      chunks.length = 0;
      const cont = await finished(
        services,
        (await services.call('jobs/continue', { takeId: parent.takeIds[0], region: { start: 1, end: 3 }, seconds: 2, seed: 3 })).id,
      );
      expect(chunks[0].startSample).toBe(2 * 32000);
      placedInSavedTake(services, chunks, cont.takeIds[0]);
      // Extend keeps the parent's beginning before the context (half a 30 s window): 5 s of a 20 s parent.
      const long = await finished(services, (await services.call('jobs/generate', { prompt: 'p', seconds: 20, seed: 5 })).id);
      chunks.length = 0;
      const ext = await finished(
        services,
        (await services.call('jobs/continue', { takeId: long.takeIds[0], extend: true, seconds: 2, seed: 4 })).id,
      );
      expect(ext.status).toBe('done');
      expect(chunks[0].startSample).toBe(20 * 32000);
      placedInSavedTake(services, chunks, ext.takeIds[0]);
    } finally {
      await services.close();
    }
  });

  it('streams from the engine in a worker thread, and cancel stops the stream', async () => {
    const services = createServices({ dataDir: tempDir('continuo-stream-remote-'), host: startThreadEngineHost() });
    try {
      await streamsAJob(services);
      await cancelStopsTheStream(services);
    } finally {
      await services.close();
    }
  });
});
