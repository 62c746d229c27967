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

describe('streaming preview through the services', () => {
  it('streams a job in process: chunks before the end that join into the saved takes', async () => {
    const services = createServices({ dataDir: tempDir('continuo-stream-') });
    try {
      await streamsAJob(services);
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
