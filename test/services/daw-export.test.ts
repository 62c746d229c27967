import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decodeFlac, decodeWav, loudnessLufs } from '../../src/main/audio';
import { readVorbisComment } from '../../src/main/audio/flac-tags';
import { decodeAcid, decodeBext, readWavChunks } from '../../src/main/audio/bext';
import { truePeakDb } from '../../src/main/audio/true-peak';
import { finished, testServices } from '../helpers/services';

const hasFfprobe = spawnSync('ffprobe', ['-version']).status === 0;

describe('DAW-ready export', () => {
  const services = testServices();

  async function take(prompt: string, seconds = 2, seed = 1) {
    const job = await finished(services, (await services.call('jobs/generate', { prompt, seconds, seed })).id);
    return services.call('takes/get', { id: job.takeIds[0] });
  }

  async function project(loudDb = 0) {
    const a = await take('warm rhodes chords', 2, 21);
    const b = await take('dusty breakbeat', 2, 22);
    let p = await services.call('projects/create', { name: 'DAW test' });
    p = await services.call('tracks/add', { projectId: p.id, name: 'Keys' });
    p = await services.call('tracks/add', { projectId: p.id, name: 'Drums' });
    await services.call('tracks/update', { id: p.tracks[0].id, gainDb: loudDb });
    await services.call('clips/add', { trackId: p.tracks[0].id, takeId: a.id, startSeconds: 0.25 });
    p = await services.call('clips/add', {
      trackId: p.tracks[1].id,
      takeId: b.id,
      startSeconds: 1,
      offsetSeconds: 0.5,
      durationSeconds: 1,
    });
    return { p, a, b };
  }

  it('normalises the mix to a LUFS target under a true-peak ceiling of -1 dBTP by default', async () => {
    const { p } = await project(24);
    const result = await services.call('export/stems', { projectId: p.id, format: 'wav24', sampleRate: 48000, targetLufs: -14 });
    const mix = decodeWav(readFileSync(result.mix));
    expect(mix.sampleRate).toBe(48000);
    expect(truePeakDb(mix)).toBeLessThanOrEqual(-1 + 0.01); // 24-bit rounding
    expect(result.truePeakDb).toBeLessThanOrEqual(-1);
    expect(loudnessLufs(mix)).toBeLessThan(-13);
    // Stems: aligned at sample 0, all the same length as the mix.
    const lengths = result.stems.map((s) => decodeWav(readFileSync(s.file)).channels[0].length);
    expect(new Set([...lengths, mix.channels[0].length]).size).toBe(1);
    expect(lengths[0]).toBe(Math.round(2.25 * 48000));
  });

  it('a fixed-gain export that would clip says so; with the limiter it does not clip', async () => {
    const { p } = await project(24);
    const plain = await services.call('export/stems', { projectId: p.id, format: 'wav24', sampleRate: 48000 });
    expect(plain.warnings.join(' ')).toMatch(/The mix peaks at \+[\d.]+ dBFS and clips/);
    expect(plain.warnings.join(' ')).toMatch(/Track "Keys" peaks/);
    const limited = await services.call('export/stems', {
      projectId: p.id,
      format: 'wav24',
      sampleRate: 48000,
      limit: true,
      ceilingDb: -0.5,
    });
    expect(limited.warnings.join(' ')).not.toMatch(/The mix peaks/);
    expect(truePeakDb(decodeWav(readFileSync(limited.mix)))).toBeLessThanOrEqual(-0.5 + 0.01);
    const quiet = await project(-6);
    expect((await services.call('export/stems', { projectId: quiet.p.id, format: 'wav24' })).warnings).toEqual([]);
  });

  it('writes a Broadcast WAV bext chunk: prompt, seed, model, originator, TimeReference', async () => {
    const t = await take('glassy arpeggio in C minor', 1, 4242);
    const { file } = await services.call('export/take', { id: t.id, format: 'wav24', sampleRate: 44100 });
    const bext = decodeBext(readWavChunks(readFileSync(file)).get('bext')!);
    expect(bext.description).toContain('glassy arpeggio in C minor');
    expect(bext.description).toContain('seed 4242');
    expect(bext.description).toContain(`model ${t.modelId}`);
    expect(bext.originator).toBe('Continuo');
    expect(bext.timeReference).toBe(0);
    expect(bext.version).toBe(2);
    expect(decodeWav(readFileSync(file)).channels[0]).toHaveLength(44100);
  });

  it.skipIf(!hasFfprobe)('ffprobe reads the bext chunk back (skipped without ffprobe: apt-get install ffmpeg)', async () => {
    const t = await take('tape-saturated bass line', 1, 77);
    const { file } = await services.call('export/take', { id: t.id, format: 'wav24', sampleRate: 48000 });
    const out = JSON.parse(
      execFileSync('ffprobe', ['-v', 'error', '-show_format', '-show_streams', '-of', 'json', file], { encoding: 'utf8' }),
    );
    const tags = out.format.tags as Record<string, string>;
    // ffmpeg's WAV demuxer maps bext Description to "comment" and Originator to "encoded_by".
    expect(tags.comment).toContain('tape-saturated bass line | seed 77');
    expect(tags.encoded_by).toBe('Continuo');
    expect(tags.originator_reference).toBe(t.id.slice(0, 32));
    expect(tags.time_reference).toBe('0');
    expect(out.streams[0]).toMatchObject({ sample_rate: '48000', bits_per_raw_sample: '24' });
  });

  it('a silent export reports its loudness and true peak as null (JSON has no -Infinity), and still writes', async () => {
    const { p } = await project(0);
    for (const track of p.tracks) await services.call('tracks/update', { id: track.id, gainDb: -60 });
    await services.call('tracks/update', { id: p.tracks[0].id, muted: true });
    const q = await services.call('tracks/update', { id: p.tracks[1].id, muted: true });
    const result = await services.call('export/stems', { projectId: q.id, format: 'wav16', targetLufs: -14 });
    expect(result).toMatchObject({ loudnessLufs: null, truePeakDb: null });
    expect(result.warnings.join(' ')).toMatch(/silent or shorter than 0.4 s, so it was not loudness-normalised/);
    expect(JSON.parse(JSON.stringify(result))).toEqual(result);
  });

  it('writes the project tempo (acid chunk) into every stem and the mix, and bext into each', async () => {
    const { p } = await project(-6);
    const none = await services.call('export/stems', { projectId: p.id, format: 'wav24' });
    expect(readWavChunks(readFileSync(none.mix)).has('acid')).toBe(false);
    expect((await services.call('projects/music', { id: p.id, tempoBpm: 120 })).tempoBpm).toBe(120);
    const result = await services.call('export/stems', { projectId: p.id, format: 'wav24' });
    for (const file of [result.mix, ...result.stems.map((s) => s.file)]) {
      const chunks = readWavChunks(readFileSync(file));
      expect(decodeAcid(chunks.get('acid')!)).toEqual({ tempoBpm: 120, beats: Math.round(result.seconds * 2), meter: [4, 4] });
      expect(decodeBext(chunks.get('bext')!)).toMatchObject({ originator: 'Continuo', timeReference: 0 });
    }
    expect(decodeBext(readWavChunks(readFileSync(result.stems[0].file)).get('bext')!).description).toMatch(
      /^DAW test - Keys: warm rhodes chords \| seed 21/,
    );
    await expect(services.call('projects/music', { id: p.id, tempoBpm: 1000 })).rejects.toMatchObject({ code: 'invalid-params' });
    expect((await services.call('projects/music', { id: p.id, tempoBpm: null })).tempoBpm).toBeNull();
  });

  it('FLAC exports carry the same facts as Vorbis comments, and still decode', async () => {
    const { p } = await project(-6);
    await services.call('projects/music', { id: p.id, tempoBpm: 96 });
    const result = await services.call('export/stems', { projectId: p.id, format: 'flac24', sampleRate: 44100 });
    const bytes = readFileSync(result.stems[1].file);
    const comment = readVorbisComment(bytes)!;
    expect(comment.vendor).toBe('Continuo');
    expect(comment.tags).toMatchObject({ ENCODED_BY: 'Continuo', TIME_REFERENCE: '0', BPM: '96' });
    expect(comment.tags.COMMENT).toMatch(/^DAW test - Drums: dusty breakbeat \| seed 22/);
    const audio = await decodeFlac(bytes);
    expect(audio.sampleRate).toBe(44100);
    expect(audio.channels[0]).toHaveLength(Math.round(result.seconds * 44100));
    if (hasFfprobe) {
      const out = JSON.parse(execFileSync('ffprobe', ['-v', 'error', '-show_format', '-of', 'json', result.mix], { encoding: 'utf8' }));
      expect(out.format.tags).toMatchObject({ BPM: '96', ENCODED_BY: 'Continuo', TIME_REFERENCE: '0', comment: 'DAW test - mix' });
    }
  });
});
