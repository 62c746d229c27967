import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decodeWav } from '../../src/main/audio';
import { finished, testServices } from '../helpers/services';

describe('arrangement playback: what is heard is what is exported', () => {
  const services = testServices();

  async function take(prompt: string, seconds: number, seed: number) {
    const job = await finished(services, (await services.call('jobs/generate', { prompt, seconds, seed })).id);
    return services.call('takes/get', { id: job.takeIds[0] });
  }

  it('the rendered preview equals the exported mix, sample for sample, with gains, fades, mute and solo', async () => {
    const [a, b, c] = [await take('pads', 2, 1), await take('drums', 2, 2), await take('bass', 2, 3)];
    let p = await services.call('projects/create', { name: 'Playback' });
    for (const name of ['Pads', 'Drums', 'Bass']) p = await services.call('tracks/add', { projectId: p.id, name });
    const [t1, t2, t3] = p.tracks;
    await services.call('clips/add', { trackId: t1.id, takeId: a.id, startSeconds: 0.1 });
    await services.call('clips/add', { trackId: t2.id, takeId: b.id, startSeconds: 0.5, offsetSeconds: 0.3, durationSeconds: 1.2 });
    p = await services.call('clips/add', { trackId: t3.id, takeId: c.id, startSeconds: 1 });
    const clip = p.tracks[0].clips[0];
    await services.call('clips/update', { id: clip.id, gainDb: -3, fadeInSeconds: 0.4, fadeOutSeconds: 0.7 });
    await services.call('tracks/update', { id: t2.id, gainDb: 4 });
    p = await services.call('tracks/update', { id: t3.id, muted: true });

    const preview = await services.call('projects/render', { id: p.id });
    expect(preview).toMatchObject({ sampleRate: 32000, channels: 1 });
    expect(preview.seconds).toBeCloseTo(3, 5);
    const heard = decodeWav(readFileSync(services.audioPath(preview.audioId!)));
    const exported = await services.call('export/stems', { projectId: p.id, format: 'wav32f', sampleRate: 32000 });
    const written = decodeWav(readFileSync(exported.mix));
    expect(heard.channels[0]).toHaveLength(written.channels[0].length);
    expect(heard.channels[0]).toEqual(written.channels[0]);
    // The muted bass is not in it; its stem is still exported.
    const bass = decodeWav(readFileSync(exported.stems[2].file)).channels[0];
    expect(bass.some((x) => x !== 0)).toBe(true);

    // Solo: only the soloed track is heard, in the preview and in the export alike.
    p = await services.call('tracks/update', { id: t2.id, solo: true });
    expect(p.tracks.map((t) => t.solo)).toEqual([false, true, false]);
    const soloed = await services.call('projects/render', { id: p.id });
    expect(soloed.audioId).not.toBe(preview.audioId);
    const soloHeard = decodeWav(readFileSync(services.audioPath(soloed.audioId!))).channels[0];
    const soloExport = await services.call('export/stems', { projectId: p.id, format: 'wav32f', sampleRate: 32000 });
    expect(soloHeard).toEqual(decodeWav(readFileSync(soloExport.mix)).channels[0]);
    expect(soloHeard).toEqual(decodeWav(readFileSync(soloExport.stems[1].file)).channels[0]);

    // The same project renders to the same id (cached); an unknown id is not found.
    expect((await services.call('projects/render', { id: p.id })).audioId).toBe(soloed.audioId);
    expect(() => services.audioPath('mix-00000000000000000000000000000000')).toThrow(/gone/);
  });

  it('an empty project renders to nothing', async () => {
    const p = await services.call('projects/create', { name: 'Nothing yet' });
    expect(await services.call('projects/render', { id: p.id })).toMatchObject({ audioId: null, seconds: 0 });
  });
});
