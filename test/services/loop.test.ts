/**
 * N-bar loops through the services: exactly N bars long (to the sample, at the take's rate and at
 * every export rate), cut on bar lines, and exported with loop points (`smpl`) and tempo (`acid`).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decodeFlac, decodeWav } from '../../src/main/audio';
import { decodeAcid, decodeSmpl, readWavChunks } from '../../src/main/audio/bext';
import { readVorbisComment } from '../../src/main/audio/flac-tags';
import { barToSample, type MusicalTime } from '../../src/shared/musical-time';
import { finished, testServices } from '../helpers/services';

describe('services: loops', () => {
  const services = testServices();

  it.each([
    [4, 97, '4/4'],
    [2, 128, '3/4'],
    [1, 84.5, '6/8'],
  ] as const)(
    'a %d-bar loop at %d bpm in %s is exactly that long and exports with smpl and acid',
    async (bars, tempoBpm, timeSignature) => {
      const time: MusicalTime = { tempoBpm, timeSignature };
      const job = await finished(
        services,
        (await services.call('jobs/loop', { prompt: 'dusty breakbeat', tempoBpm, timeSignature, bars, seed: 3 })).id,
      );
      expect(job.status).toBe('done');
      const take = await services.call('takes/get', { id: job.takeIds[0] });
      const audio = services.library.readAudio(take.id);
      const length = barToSample(bars, time, 32000);
      expect(audio.channels[0]).toHaveLength(length);
      expect(take.title).toBe(`${bars}-bar loop`);
      expect(take.music).toMatchObject({ tempoBpm, timeSignature, loop: { bars, startSample: 0, endSample: length } });
      expect(take.music!.loop!.seam.score).toBeGreaterThanOrEqual(0);

      for (const sampleRate of [48000, 44100] as const) {
        const exported = await services.call('export/take', { id: take.id, format: 'wav24', sampleRate });
        const bytes = readFileSync(exported.file);
        const frames = decodeWav(bytes).channels[0].length;
        expect(frames).toBe(barToSample(bars, time, sampleRate));
        const chunks = readWavChunks(bytes);
        const smpl = decodeSmpl(chunks.get('smpl')!);
        expect(smpl.loops).toEqual([{ start: 0, end: frames, type: 0 }]);
        expect(smpl.sampleRate).toBe(sampleRate);
        const [numerator, denominator] = timeSignature.split('/').map(Number);
        expect(decodeAcid(chunks.get('acid')!)).toEqual({
          tempoBpm: Math.fround(tempoBpm),
          beats: Math.round((frames / sampleRate) * (tempoBpm / 60)),
          meter: [numerator, denominator],
        });
      }
      const flac = await services.call('export/take', { id: take.id, format: 'flac16', sampleRate: 48000 });
      const flacBytes = readFileSync(flac.file);
      expect((await decodeFlac(flacBytes)).channels[0]).toHaveLength(barToSample(bars, time, 48000));
      expect(readVorbisComment(flacBytes)!.tags).toMatchObject({
        BPM: String(tempoBpm),
        TIMESIGNATURE: timeSignature,
        LOOPSTART: '0',
        LOOPLENGTH: String(barToSample(bars, time, 48000)),
      });
    },
  );

  it('a take without a loop exports without smpl; with a tempo, with acid', async () => {
    const job = await finished(services, (await services.call('jobs/generate', { prompt: 'pads', tempoBpm: 120, bars: 2, seed: 1 })).id);
    const take = await services.call('takes/get', { id: job.takeIds[0] });
    expect(take.durationSeconds).toBe(4);
    expect(take.music).toMatchObject({ tempoBpm: 120, timeSignature: '4/4', loop: null });
    const chunks = readWavChunks(readFileSync((await services.call('export/take', { id: take.id, format: 'wav16' })).file));
    expect(chunks.has('smpl')).toBe(false);
    expect(decodeAcid(chunks.get('acid')!).tempoBpm).toBe(120);
  });
});
