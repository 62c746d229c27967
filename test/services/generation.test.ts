import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { collect, finished, testServices } from '../helpers/services';

describe('services: generate, continue, reproduce', () => {
  const services = testServices();

  it('generate → job progress events → take saved → take.created', async () => {
    const jobs = collect(services, 'job.updated');
    const created = collect(services, 'take.created');
    const job = await services.call('jobs/generate', { prompt: 'warm lo-fi piano', seconds: 1, seed: 42 });
    expect(job.status).toBe('queued');
    const done = await finished(services, job.id);
    expect(done.status).toBe('done');
    expect(done.takeIds).toHaveLength(1);
    const statuses = jobs.filter((j) => j.id === job.id).map((j) => j.status);
    expect(statuses[0]).toBe('queued');
    expect(statuses).toContain('running');
    const progress = jobs.filter((j) => j.id === job.id && j.progress).map((j) => j.progress!.step);
    expect(progress.length).toBeGreaterThan(10);
    expect(progress.at(-1)).toBe(jobs.find((j) => j.progress)!.progress!.total);

    const take = await services.call('takes/get', { id: done.takeIds[0] });
    expect(created.map((t) => t.id)).toEqual([take.id]);
    expect(take).toMatchObject({
      kind: 'generate',
      prompt: 'warm lo-fi piano',
      seed: 42,
      frames: 50,
      contextFrames: 0,
      sampleRate: 32000,
      channels: 1,
      parentId: null,
    });
    expect(take.durationSeconds).toBeCloseTo(1, 5);
    expect(existsSync(services.library.audioPath(take.id))).toBe(true);
    expect(services.library.getCodes(take.id)![0]).toHaveLength(50);
    const listed = await services.call('takes/list', { search: 'piano' });
    expect(listed.takes.map((t) => t.id)).toContain(take.id);
  });

  it("regenerates a take's codes exactly from its stored seed and settings", async () => {
    const job = await services.call('jobs/generate', {
      prompt: 'dusty jazz drums',
      seconds: 1.5,
      variations: 2,
      seed: 7,
      sampling: { topK: 50, temperature: 0.9, topP: 0.95, greedy: false },
    });
    const done = await finished(services, job.id);
    const second = await services.call('takes/get', { id: done.takeIds[1] });
    expect(second.seed).toBe(8);
    const again = await finished(
      services,
      (
        await services.call('jobs/generate', {
          prompt: second.prompt,
          seconds: second.settings.seconds,
          guidanceScale: second.settings.guidanceScale,
          sampling: second.settings.sampling,
          seed: second.seed,
        })
      ).id,
    );
    expect(services.library.getCodes(again.takeIds[0])).toEqual(services.library.getCodes(second.id));
  });

  it('continues from a region: lineage points at the parent and region, context codes unchanged', async () => {
    const parent = await services.call('takes/get', {
      id: (await finished(services, (await services.call('jobs/generate', { prompt: 'funk bass', seconds: 2, seed: 1 })).id)).takeIds[0],
    });
    const job = await services.call('jobs/continue', { takeId: parent.id, region: { start: 0.5, end: 1.5 }, seconds: 1, seed: 2 });
    expect(job.parentId).toBe(parent.id);
    const done = await finished(services, job.id);
    const child = await services.call('takes/get', { id: done.takeIds[0] });
    expect(child).toMatchObject({
      kind: 'continue',
      parentId: parent.id,
      region: { start: 0.5, end: 1.5 },
      contextFrames: 50,
      frames: 100,
      prompt: 'funk bass',
    });
    const parentCodes = services.library.getCodes(parent.id)!;
    expect(services.library.getCodes(child.id)!.map((r) => r.slice(0, 50))).toEqual(parentCodes.map((r) => r.slice(25, 75)));
    const lineage = await services.call('takes/lineage', { id: child.id });
    expect(lineage.ancestors.map((t) => t.id)).toEqual([parent.id]);
  });

  it('extends a take: the whole take followed by the new audio', async () => {
    const parent = await services.call('takes/get', {
      id: (await finished(services, (await services.call('jobs/generate', { prompt: 'synth arp', seconds: 2, seed: 3 })).id)).takeIds[0],
    });
    const done = await finished(
      services,
      (await services.call('jobs/continue', { takeId: parent.id, extend: true, seconds: 1, seed: 4 })).id,
    );
    const child = await services.call('takes/get', { id: done.takeIds[0] });
    expect(child.frames).toBe(150);
    expect(child.durationSeconds).toBeCloseTo(3, 5);
    expect(services.library.getCodes(child.id)!.map((r) => r.slice(0, 100))).toEqual(services.library.getCodes(parent.id));
  });

  it('cancels a queued job at once and a running one between steps, saving nothing', async () => {
    const before = (await services.call('takes/list', {})).total;
    const running = await services.call('jobs/generate', { prompt: 'long', seconds: 30 });
    const queued = await services.call('jobs/generate', { prompt: 'queued', seconds: 1 });
    const cancelledQueued = await services.call('jobs/cancel', { id: queued.id });
    expect(cancelledQueued.status).toBe('cancelled');
    await new Promise<void>((resolve) => {
      const off = services.events.on('job.updated', (j) => {
        if (j.id === running.id && j.progress && j.progress.step >= 3) {
          off();
          resolve();
        }
      });
    });
    await services.call('jobs/cancel', { id: running.id });
    expect((await finished(services, running.id)).status).toBe('cancelled');
    expect((await services.call('takes/list', {})).total).toBe(before);
  });

  it('rejects invalid payloads with messages a person can act on', async () => {
    await expect(services.call('jobs/generate', { seconds: 1 })).rejects.toMatchObject({
      code: 'invalid-params',
      message: expect.stringMatching(/Invalid jobs\/generate request \(prompt\)/),
    });
    await expect(services.call('jobs/generate', { prompt: 'x', seconds: 9999 })).rejects.toMatchObject({
      code: 'invalid-params',
      message: expect.stringMatching(/seconds/),
    });
    await expect(services.call('jobs/generate', { prompt: 'x', sampling: { topP: 7 } })).rejects.toMatchObject({ code: 'invalid-params' });
    await expect(services.call('takes/get', { id: 'no-such-take' })).rejects.toMatchObject({
      code: 'not-found',
      message: expect.stringMatching(/not in the library/),
    });
    await expect(services.call('nope/nothing' as 'takes/get', {})).rejects.toMatchObject({ code: 'unknown-method' });
    await expect(services.call('jobs/continue', { takeId: 'missing', seconds: 1 })).rejects.toMatchObject({ code: 'not-found' });
    await expect(services.call('models/pull', { id: 'musicgen-small' })).rejects.toMatchObject({
      code: 'invalid-params',
      message: expect.stringMatching(/licence/),
    });
  });
});
