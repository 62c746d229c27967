import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeWav, encodeFlac, encodeWav, type AudioData } from '../../src/main/audio';
import { aiff, scramble, silentMp3, sparseWav } from '../audio/fixtures';
import { audio, noise, onGrid, rms, sine } from '../audio/signals';
import { tempDir } from '../helpers/models';
import { collect, finished, testServices } from '../helpers/services';

function hasSox(): boolean {
  try {
    execFileSync('sox', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Every file under the library's audio folder, relative to it. */
function audioFiles(dataDir: string): string[] {
  const root = join(dataDir, 'audio');
  try {
    return readdirSync(root, { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile())
      .map((e) => relative(root, join(e.parentPath, e.name)));
  } catch {
    return [];
  }
}

describe('services: takes/import', () => {
  const dataDir = tempDir('continuo-import-');
  const services = testServices(dataDir);
  const files = tempDir('continuo-import-files-');

  function file(name: string, bytes: Uint8Array): string {
    const path = join(files, name);
    writeFileSync(path, bytes);
    return path;
  }

  async function importsAs(path: string, expected: AudioData, tolerance = 0) {
    const created = collect(services, 'take.created');
    const take = await services.call('takes/import', { path });
    expect(take).toMatchObject({
      kind: 'import',
      modelId: 'import',
      sampleRate: expected.sampleRate,
      channels: expected.channels.length,
      frames: 0,
      parentId: null,
    });
    expect(created.map((t) => t.id)).toEqual([take.id]);
    const stored = services.library.readAudio(take.id);
    expect(stored.sampleRate).toBe(expected.sampleRate);
    expect(stored.channels).toHaveLength(expected.channels.length);
    stored.channels.forEach((channel, c) => {
      expect(channel.length).toBe(expected.channels[c].length);
      if (tolerance === 0) expect(channel).toEqual(expected.channels[c]);
      else expect(rms(channel.map((x, i) => x - expected.channels[c][i]))).toBeLessThan(tolerance);
    });
    return take;
  }

  const stereo16 = audio(44100, onGrid(noise(4410, 1, 0.5), 16), onGrid(noise(4410, 2, 0.5), 16));

  it('WAV (16-bit stereo 44.1 kHz) keeps its rate, channels and samples; titled after the file', async () => {
    const take = await importsAs(file('drum loop.wav', encodeWav(stereo16, 'pcm16')), stereo16);
    expect(take).toMatchObject({ title: 'drum loop', device: 'drum loop.wav', modelVariant: 'wav', prompt: '', seed: 0 });
    // No model made it: the contract's generation defaults, never degenerate values.
    expect(take.settings).toMatchObject({ guidanceScale: 3, sampling: { topK: 250, temperature: 1, topP: 1, greedy: false } });
    expect(take.durationSeconds).toBeCloseTo(0.1, 6);
  });

  it('WAV 24-bit and 32-bit float, FLAC 16 and 24-bit round-trip exactly', async () => {
    const mono24 = audio(48000, onGrid(sine(220, 0.2, 48000, 0.7), 24));
    await importsAs(file('a.wav', encodeWav(mono24, 'pcm24')), mono24);
    const float = audio(32000, noise(3200, 5, 0.9), noise(3200, 6, 0.9));
    await importsAs(file('b.wav', encodeWav(float, 'float32')), float);
    const flac = await importsAs(file('c.flac', await encodeFlac(stereo16)), stereo16);
    expect(flac.modelVariant).toBe('flac');
    await importsAs(file('d.flac', await encodeFlac(mono24, 24)), mono24);
  });

  it('AIFF and MP3 (through audio-decode) round-trip to their samples', async () => {
    const samples = [16384, -32768, 0, 1234, -1];
    await importsAs(
      file('e.aiff', aiff(samples)),
      audio(
        44100,
        samples.map((s) => s / 32768),
      ),
      1e-6,
    );
    // 20 silent MPEG-1 frames: 1152 samples each, less the decoder's trimmed delay.
    const mp3 = await services.call('takes/import', { path: file('f.mp3', silentMp3(20, { info: true })) });
    expect(mp3).toMatchObject({ kind: 'import', modelVariant: 'mp3', sampleRate: 44100, channels: 1 });
    expect(mp3.durationSeconds).toBeGreaterThan(0.4);
    expect(services.library.readAudio(mp3.id).channels[0].every((x) => x === 0)).toBe(true);
  });

  it('OGG Vorbis (written by sox) decodes to the same sound', async ({ skip }) => {
    skip(!hasSox(), 'sox is not installed, so no Vorbis file can be written here');
    const tone = audio(44100, sine(440, 0.5, 44100, 0.5));
    const wav = file('tone.wav', encodeWav(tone, 'pcm16'));
    const ogg = join(files, 'tone.ogg');
    execFileSync('sox', [wav, '-C', '6', ogg]);
    const take = await services.call('takes/import', { path: ogg, title: 'Vorbis tone' });
    expect(take).toMatchObject({ title: 'Vorbis tone', sampleRate: 44100, channels: 1, device: 'tone.ogg', modelVariant: 'other' });
    const got = services.library.readAudio(take.id).channels[0];
    expect(got.length).toBe(tone.channels[0].length);
    // Lossy: the error is far below the signal (0.35 RMS).
    expect(rms(got.map((x, i) => x - tone.channels[0][i]))).toBeLessThan(0.02);
  });

  it('refuses empty, unknown, damaged and NaN files with a clear error, and saves nothing', async () => {
    const before = (await services.call('takes/list', { limit: 500 })).total;
    const stored = audioFiles(dataDir);
    const created = collect(services, 'take.created');
    const bad: [string, Uint8Array, RegExp][] = [
      ['empty.wav', new Uint8Array(0), /"empty\.wav" is empty \(0 bytes\)/],
      ['notes.txt', Buffer.from('not audio at all, just some words in a file'.repeat(20)), /not in an audio format Continuo can read/],
      ['broken.mp3', scramble(silentMp3(200), 4000, 80_000), /"broken\.mp3" is damaged/],
      ['nan.wav', encodeWav(audio(8000, new Float32Array(800).fill(Number.NaN)), 'float32'), /holds no usable audio/],
      ['cut.flac', (await encodeFlac(stereo16)).subarray(0, 30), /cut\.flac/],
    ];
    for (const [name, bytes, message] of bad) {
      await expect(services.call('takes/import', { path: file(name, bytes) })).rejects.toMatchObject({ code: 'invalid-params', message });
    }
    await expect(services.call('takes/import', { path: join(files, 'missing.wav') })).rejects.toMatchObject({
      code: 'io',
      message: /could not be found/,
    });
    await expect(services.call('takes/import', { path: files })).rejects.toMatchObject({ message: /is a folder/ });
    await expect(services.call('takes/import', { path: 'drum loop.wav' })).rejects.toMatchObject({ message: /full path/ });
    // 3.5 hours of WAV (a sparse file, over 2 GiB): refused from its header and size, never decoded.
    const long = join(files, 'concert.wav');
    sparseWav(long, 3.5 * 3600);
    await expect(services.call('takes/import', { path: long })).rejects.toMatchObject({
      code: 'invalid-params',
      message: /"[^"]*concert\.wav" is 2\.\d GB; Continuo imports files up to 2 GB/,
    });
    const hour = join(files, 'rehearsal.wav');
    sparseWav(hour, 61 * 60, 8000, 1);
    await expect(services.call('takes/import', { path: hour })).rejects.toMatchObject({
      message: /is 61 minutes long; .*up to 60 minutes/,
    });
    expect((await services.call('takes/list', { limit: 500 })).total).toBe(before);
    expect(audioFiles(dataDir)).toEqual(stored);
    expect(created).toEqual([]);
  });

  it("continuing an imported clip gives a take whose context is the clip's region", async () => {
    // A generated take's audio, imported from a WAV file: the test codec encodes decoded audio back
    // to the same codes, so the context must be exactly the original's codes over the region.
    const generated = await finished(services, (await services.call('jobs/generate', { prompt: 'bass', seconds: 1.5, seed: 3 })).id);
    const original = generated.takeIds[0];
    const codes = services.library.getCodes(original)!;
    const path = file('bounce.wav', encodeWav(services.library.readAudio(original), 'float32'));
    const imported = await services.call('takes/import', { path });

    const job = await services.call('jobs/continue', { takeId: imported.id, region: { start: 0.4, end: 1 }, seconds: 0.5, seed: 9 });
    const done = await finished(services, job.id);
    expect(done.status).toBe('done');
    const take = await services.call('takes/get', { id: done.takeIds[0] });
    expect(take).toMatchObject({ kind: 'continue', parentId: imported.id, region: { start: 0.4, end: 1 }, contextFrames: 30 });
    const continued = services.library.getCodes(take.id)!;
    expect(continued.map((row) => row.slice(0, 30))).toEqual(codes.map((row) => row.slice(20, 50)));
    const lineage = await services.call('takes/lineage', { id: take.id });
    expect(lineage.ancestors.map((t) => t.id)).toEqual([imported.id]);
  });

  it('an import can be edited, arranged and exported like any take', async () => {
    const tone = audio(44100, sine(220, 1, 44100, 0.4), sine(330, 1, 44100, 0.4));
    const imported = await services.call('takes/import', { path: file('keys.wav', encodeWav(tone, 'pcm24')) });
    const edited = await services.call('takes/edit', { takeId: imported.id, trim: { start: 0.25, end: 0.75 }, gainDb: -6 });
    expect(edited).toMatchObject({ kind: 'edit', parentId: imported.id, sampleRate: 44100, channels: 2 });
    expect(edited.durationSeconds).toBeCloseTo(0.5, 4);

    const project = await services.call('projects/create', { name: 'With an import' });
    const track = (await services.call('tracks/add', { projectId: project.id })).tracks[0];
    await services.call('clips/add', { trackId: track.id, takeId: imported.id, startSeconds: 0.5 });
    const stems = await services.call('export/stems', { projectId: project.id, format: 'wav16', sampleRate: 48000 });
    expect(stems.seconds).toBeCloseTo(1.5, 2);
    const { file: taken } = await services.call('export/take', { id: imported.id, format: 'wav24', sampleRate: 48000 });
    const exported = decodeWav(readFileSync(taken));
    expect(exported.sampleRate).toBe(48000);
    expect(exported.channels).toHaveLength(2);
    expect(exported.channels[0].length).toBeCloseTo(48000, -1);
  });

  it('converts an import to the model’s rate and channels only when continuing from it', async () => {
    const path = file('stereo48k.wav', encodeWav(audio(48000, sine(110, 1, 48000, 0.4), sine(165, 1, 48000, 0.4)), 'pcm16'));
    const imported = await services.call('takes/import', { path });
    expect(imported).toMatchObject({ sampleRate: 48000, channels: 2 });
    const done = await finished(
      services,
      (await services.call('jobs/continue', { takeId: imported.id, region: { start: 0.2, end: 0.8 }, seconds: 0.4, seed: 1 })).id,
    );
    expect(done.status).toBe('done');
    const take = await services.call('takes/get', { id: done.takeIds[0] });
    expect(take).toMatchObject({ sampleRate: 32000, channels: 1, contextFrames: 30 });
    // The imported take itself is unchanged.
    expect(services.library.readAudio(imported.id).sampleRate).toBe(48000);
  });
});
