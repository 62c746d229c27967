import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decodeWav } from '../../src/main/audio';
import { createServices } from '../../src/main/services';
import { tempDir } from '../helpers/models';
import { collect, finished, testServices } from '../helpers/services';

describe('services: edits, trash, projects, export, models, settings', () => {
  const services = testServices();

  async function take(prompt: string, seconds = 1, seed = 1) {
    const job = await finished(services, (await services.call('jobs/generate', { prompt, seconds, seed })).id);
    return services.call('takes/get', { id: job.takeIds[0] });
  }

  it('edits make a new take and keep the original', async () => {
    const original = await take('strings', 2);
    const edited = await services.call('takes/edit', { takeId: original.id, trim: { start: 0.5, end: 1.5 }, fadeIn: 0.1, gainDb: -6 });
    expect(edited).toMatchObject({ kind: 'edit', parentId: original.id, region: { start: 0.5, end: 1.5 } });
    expect(edited.durationSeconds).toBeCloseTo(1, 3);
    const before = services.library.readAudio(original.id).channels[0];
    const after = services.library.readAudio(edited.id).channels[0];
    // -6 dB halves the level; the fade starts at silence.
    expect(Math.abs(after[0])).toBe(0);
    const i = Math.round(0.8 * 32000);
    expect(after[i - 16000]).toBeCloseTo(before[i] * 10 ** (-6 / 20), 5);
    expect((await services.call('takes/get', { id: original.id })).durationSeconds).toBeCloseTo(2, 5);
    await expect(services.call('takes/edit', { takeId: original.id })).rejects.toMatchObject({
      code: 'invalid-params',
      message: /Nothing to change/,
    });
  });

  it('delete goes to the trash, restore brings it back, empty trash removes it for good', async () => {
    const removed = collect(services, 'take.removed');
    const t = await take('to be deleted');
    await services.call('takes/delete', { id: t.id });
    expect((await services.call('takes/list', {})).takes.map((x) => x.id)).not.toContain(t.id);
    expect((await services.call('takes/list', { trash: true })).takes.map((x) => x.id)).toContain(t.id);
    await services.call('takes/restore', { id: t.id });
    expect((await services.call('takes/list', {})).takes.map((x) => x.id)).toContain(t.id);
    await services.call('takes/delete', { id: t.id });
    expect(await services.call('trash/empty', {})).toEqual({ removed: 1 });
    expect(removed).toEqual([
      { id: t.id, permanently: false },
      { id: t.id, permanently: false },
      { id: t.id, permanently: true },
    ]);
    await expect(services.call('takes/get', { id: t.id })).rejects.toMatchObject({ code: 'not-found' });
  });

  it('exports a take resampled to 48 kHz', async () => {
    const t = await take('export me');
    const { file } = await services.call('export/take', { id: t.id, format: 'wav24', sampleRate: 48000 });
    const wav = decodeWav(readFileSync(file));
    expect(wav.sampleRate).toBe(48000);
    expect(wav.channels[0]).toHaveLength(48000);
  });

  it('exports aligned stems and their mix', async () => {
    const a = await take('drums', 1, 10);
    const b = await take('bass', 1, 11);
    let project = await services.call('projects/create', { name: 'Sketch 1' });
    project = await services.call('tracks/add', { projectId: project.id });
    project = await services.call('tracks/add', { projectId: project.id, name: 'Bass' });
    const [drums, bass] = project.tracks;
    expect(drums.name).toBe('Track 1');
    await services.call('clips/add', { trackId: drums.id, takeId: a.id, startSeconds: 0 });
    project = await services.call('clips/add', {
      trackId: bass.id,
      takeId: b.id,
      startSeconds: 0.5,
      offsetSeconds: 0.25,
      durationSeconds: 0.5,
    });
    expect(project.tracks.map((t) => t.clips.map((c) => c.takeId))).toEqual([[a.id], [b.id]]);
    const result = await services.call('export/stems', { projectId: project.id, format: 'wav32f', sampleRate: 32000 });
    expect(result.seconds).toBeCloseTo(1, 5);
    const [s1, s2] = result.stems.map((s) => decodeWav(readFileSync(s.file)).channels[0]);
    const mix = decodeWav(readFileSync(result.mix)).channels[0];
    expect(s1).toHaveLength(32000);
    expect(s2).toHaveLength(32000);
    expect(mix).toHaveLength(32000);
    const bassAudio = services.library.readAudio(b.id).channels[0];
    expect(s2[0]).toBe(0);
    expect(s2[16000 + 100]).toBeCloseTo(bassAudio[8000 + 100], 6);
    for (const i of [0, 5000, 20000, 31999]) expect(mix[i]).toBeCloseTo(s1[i] + s2[i], 6);
    await expect(
      services.call('export/stems', { projectId: (await services.call('projects/create', { name: 'Empty' })).id }),
    ).rejects.toThrow(/no clips yet/);
  });

  it('lists the catalog and the built-in test model, and saves settings', async () => {
    const models = await services.call('models/list', {});
    expect(models.map((m) => m.id)).toEqual(expect.arrayContaining(['musicgen-small', 'continuo-test-tiny']));
    const small = models.find((m) => m.id === 'musicgen-small')!;
    expect(small.licence?.id).toBe('CC-BY-NC-4.0');
    expect(small.installedVariants).toEqual([]);
    expect(models.find((m) => m.isTestModel)).toMatchObject({ active: true, installedVariants: ['fp32'] });
    const settings = await services.call('settings/update', { exportFormat: 'flac16', exportSampleRate: 44100 });
    expect(settings).toMatchObject({ exportFormat: 'flac16', exportSampleRate: 44100, device: 'auto' });
    await expect(services.call('settings/update', { device: 'gpu' as 'cpu' })).rejects.toMatchObject({ code: 'invalid-params' });
  });
});

describe('services: start-up after a crash', () => {
  it('marks jobs a crash interrupted as failed', async () => {
    const dataDir = tempDir('continuo-crash-');
    const first = createServices({ dataDir });
    first.library.recordJob({ id: 'job-1', kind: 'generate', request: { prompt: 'x' }, createdAt: new Date().toISOString() });
    first.library.markJob('job-1', 'running');
    first.library.close();
    const second = createServices({ dataDir });
    expect(second.interruptedJobs).toEqual(['job-1']);
    expect(second.library.getJob('job-1')).toMatchObject({ status: 'failed' });
    await second.close();
  });
});
