import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { decodeAudioFile, probeAudioFile, readAudioFile } from '../../src/main/audio/decode';
import { AudioFileAccessError, AudioFormatError } from '../../src/main/audio/errors';
import { encodeFlac } from '../../src/main/audio/flac';
import { encodeWav } from '../../src/main/audio/wav';
import { aiff, silentMp3, scramble, sparseWav } from './fixtures';
import { audio, noise, onGrid } from './signals';

async function formatError(run: Promise<unknown>): Promise<AudioFormatError> {
  const error = await run.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(AudioFormatError);
  return error as AudioFormatError;
}

const take = audio(32000, onGrid(noise(3000, 1, 0.5), 16), onGrid(noise(3000, 2, 0.5), 16));

describe('decodeAudioFile', () => {
  it('sniffs WAV from the bytes, whatever the name says', async () => {
    const decoded = await decodeAudioFile(encodeWav(take, 'pcm16'), 'actually-a-wav.mp3');
    expect(decoded.sampleRate).toBe(32000);
    expect(decoded.channels).toEqual(take.channels);
  });

  it('sniffs FLAC', async () => {
    const decoded = await decodeAudioFile(await encodeFlac(take), 'take.flac');
    expect(decoded.channels).toEqual(take.channels);
  });

  it('hands other formats to audio-decode (AIFF here)', async () => {
    const decoded = await decodeAudioFile(aiff([16384, -32768, 0]), 'loop.aif');
    expect(decoded.sampleRate).toBe(44100);
    expect(decoded.channels).toHaveLength(1);
    expect(Array.from(decoded.channels[0])).toEqual([expect.closeTo(0.5, 4), expect.closeTo(-1, 4), 0]);
  });

  it('names the file and lists readable formats for unknown data', async () => {
    const bytes = Buffer.from(Array.from({ length: 300 }, (_, i) => (i * 37 + 11) % 251));
    const error = await formatError(decodeAudioFile(bytes, 'notes.txt'));
    expect(error.message).toBe('"notes.txt" is not in an audio format Continuo can read. Use WAV, FLAC, MP3, OGG, Opus, M4A/AAC or AIFF.');
  });

  it('reports an empty file', async () => {
    expect((await formatError(decodeAudioFile(new Uint8Array(0), 'empty.wav'))).message).toMatch(/^"empty\.wav" is empty \(0 bytes\)\./);
  });

  it('reports a recognised container holding no decodable audio', async () => {
    const bytes = Buffer.concat([Buffer.from('OggS'), Buffer.alloc(300, 3)]);
    expect((await formatError(decodeAudioFile(bytes, 'song.ogg'))).message).toBe(
      '"song.ogg" contains no audio that could be decoded. The file may be damaged; export it again, preferably as WAV or FLAC.',
    );
  });

  it("passes on the decoder's reason when a file is corrupt", async () => {
    const bytes = Buffer.concat([Buffer.from('wvpk'), Buffer.alloc(200, 9)]);
    expect((await formatError(decodeAudioFile(bytes, 'take.wv'))).message).toMatch(
      /^"take\.wv" could not be decoded \(WavPack: .+\)\. The file may be damaged/,
    );
  });

  it("keeps the WAV and FLAC decoders' own error messages", async () => {
    const truncated = encodeWav(take).subarray(0, 100);
    expect((await formatError(decodeAudioFile(truncated, 'cut.wav'))).message).toMatch(/^"cut\.wav" is truncated/);
    const flac = await encodeFlac(take);
    expect((await formatError(decodeAudioFile(flac.subarray(0, flac.length - 500), 'cut.flac'))).message).toMatch(
      /^"cut\.flac" is truncated/,
    );
  });
});

describe('readAudioFile', () => {
  const dir = mkdtempSync(join(tmpdir(), 'continuo-read-'));

  it('reads and decodes a file from disk', async () => {
    const path = join(dir, 'take.wav');
    writeFileSync(path, encodeWav(take, 'pcm16'));
    const decoded = await readAudioFile(path);
    expect(decoded.channels).toEqual(take.channels);
  });

  it('explains a missing file', async () => {
    const path = join(dir, 'moved.wav');
    const error = await readAudioFile(path).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AudioFileAccessError);
    expect(error).toMatchObject({
      code: 'ENOENT',
      path,
      message: `"${path}" could not be found. It may have been moved, renamed or deleted.`,
    });
  });

  it('explains a folder given instead of a file', async () => {
    const error = await readAudioFile(dir).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'EISDIR', message: `"${dir}" is a folder, not an audio file.` });
  });

  it('explains a file it may not read', async () => {
    // Simulated, because permission bits mean nothing to root (as on many CI machines).
    vi.resetModules();
    const denied = async () => Promise.reject(Object.assign(new Error('EACCES: permission denied'), { code: 'EACCES' }));
    vi.doMock('node:fs/promises', () => ({ readFile: denied, open: denied, stat: denied }));
    try {
      const { readAudioFile: readLocked } = await import('../../src/main/audio/decode');
      const error = await readLocked('/music/locked.wav').catch((e: unknown) => e);
      expect(error).toMatchObject({
        name: 'AudioFileAccessError',
        code: 'EACCES',
        message: '"/music/locked.wav" cannot be opened: Continuo does not have permission to read it. Check the file\'s permissions.',
      });
    } finally {
      vi.doUnmock('node:fs/promises');
    }
  });

  it('names the path when the content is bad', async () => {
    const path = join(dir, 'fake.wav');
    writeFileSync(path, 'not audio at all, just text that is long enough to sniff');
    expect((await formatError(readAudioFile(path))).source).toBe(path);
  });
});

describe('import checks', () => {
  const dir = mkdtempSync(join(tmpdir(), 'continuo-import-'));

  it('accepts a sound MP3 and keeps the decoder quiet', async () => {
    const errors = vi.spyOn(console, 'error');
    try {
      const decoded = await decodeAudioFile(silentMp3(200, { info: true }), 'loop.mp3');
      expect(decoded.sampleRate).toBe(44100);
      expect(decoded.channels[0].length).toBeGreaterThan(199 * 1152 - 2 * 1152);
      expect(errors).not.toHaveBeenCalled();
    } finally {
      errors.mockRestore();
    }
  });

  it('refuses an MP3 with damaged frames instead of importing what the decoder patched over', async () => {
    const errors = vi.spyOn(console, 'error');
    try {
      const damaged = scramble(silentMp3(200), 4000, 80_000);
      const error = await formatError(decodeAudioFile(damaged, 'song.mp3'));
      expect(error.message).toMatch(
        /^"song\.mp3" is damaged: the decoder hit \d+ errors \(.*MPG123.*\) and could only patch over them \(0\.\d s decoded\)\. The file may be damaged; export it again/,
      );
      // The decoder's own complaints are part of the message, not printed on the terminal.
      expect(errors).not.toHaveBeenCalled();
    } finally {
      errors.mockRestore();
    }
  });

  it('keeps the complaints of concurrent decodes apart, and puts console.error back', async () => {
    const before = console.error;
    const [good, bad] = await Promise.allSettled([
      decodeAudioFile(silentMp3(300), 'good.mp3'),
      decodeAudioFile(scramble(silentMp3(300), 4000, 100_000), 'bad.mp3'),
    ]);
    expect(good.status).toBe('fulfilled');
    expect(bad.status === 'rejected' && (bad.reason as Error).message).toMatch(/^"bad\.mp3" is damaged/);
    expect(console.error).toBe(before);
  });

  it('refuses an MP3 that decodes to much less than its header declares', async () => {
    const cut = silentMp3(200, { info: true }).subarray(0, 417 * 50);
    expect((await formatError(decodeAudioFile(cut, 'cut.mp3'))).message).toMatch(
      /^"cut\.mp3" is damaged: its header declares 5\.2 s of audio but only 1\.\d s could be decoded\./,
    );
  });

  it('refuses a WAV with no samples', async () => {
    const empty = encodeWav(audio(44100, []), 'pcm16');
    expect((await formatError(decodeAudioFile(empty, 'blank.wav'))).message).toBe(
      '"blank.wav" holds no audio (0 samples). Choose another file or export it again.',
    );
    const path = join(dir, 'blank.wav');
    writeFileSync(path, empty);
    expect((await formatError(readAudioFile(path))).message).toMatch(/holds no audio \(0 samples\)/);
    expect((await formatError(readAudioFile(path, { start: 0, end: 1 }))).message).toMatch(/holds no audio \(0 samples\)/);
    expect((await formatError(probeAudioFile(path))).message).toMatch(/holds no audio \(0 samples\)/);
  });

  it('refuses NaN and infinite samples', async () => {
    const allBad = encodeWav(audio(8000, new Float32Array(800).fill(Number.NaN), new Float32Array(800).fill(Infinity)), 'float32');
    expect((await formatError(decodeAudioFile(allBad, 'nan.wav'))).message).toMatch(
      /^"nan\.wav" holds no usable audio: every sample is NaN or infinite/,
    );
    const someBad = noise(800);
    someBad[10] = Number.NaN;
    someBad[20] = -Infinity;
    const path = join(dir, 'some-nan.wav');
    writeFileSync(path, encodeWav(audio(8000, someBad), 'float32'));
    expect((await formatError(readAudioFile(path))).message).toMatch(
      /^".*some-nan\.wav" is damaged: 2 of its 800 samples are NaN or infinite/,
    );
  });

  it('probes the length from the header without decoding', async () => {
    const wav = join(dir, 'probe.wav');
    writeFileSync(wav, encodeWav(take, 'pcm16'));
    expect(await probeAudioFile(wav)).toEqual({ format: 'wav', sampleRate: 32000, channelCount: 2, durationSeconds: 3000 / 32000 });
    const flac = join(dir, 'probe.flac');
    writeFileSync(flac, await encodeFlac(take));
    expect(await probeAudioFile(flac)).toEqual({ format: 'flac', sampleRate: 32000, channelCount: 2, durationSeconds: 3000 / 32000 });
    const mp3 = join(dir, 'probe.mp3');
    writeFileSync(mp3, silentMp3(101, { info: true }));
    expect(await probeAudioFile(mp3)).toEqual({ format: 'mp3', sampleRate: 44100, channelCount: 1, durationSeconds: (100 * 1152) / 44100 });
    writeFileSync(mp3, silentMp3(101));
    expect(await probeAudioFile(mp3)).toEqual({ format: 'mp3', sampleRate: 44100, channelCount: 1, durationSeconds: undefined });
  });

  it('reads a region of a WAV exactly as the same slice of the whole file', async () => {
    const path = join(dir, 'region.wav');
    writeFileSync(path, encodeWav(take, 'pcm24'));
    const whole = await readAudioFile(path);
    const region = await readAudioFile(path, { start: 0.01, end: 0.05 });
    expect(region.channels).toEqual(whole.channels.map((c) => c.slice(320, 1600)));
    const tail = await readAudioFile(path, { start: 0.09 });
    expect(tail.channels[0]).toEqual(whole.channels[0].slice(2880));
    await expect(readAudioFile(path, { start: 0.2 })).rejects.toThrow(/starts at 0\.2 s, at or after the end of the 0\.1 s file/);
  });

  it('reads ten seconds of a 3.5-hour WAV (over 2 GiB) without reading the rest', async () => {
    const path = join(dir, 'long.wav');
    const seconds = 3.5 * 3600;
    const size = sparseWav(path, seconds, 48_000);
    expect(size).toBeGreaterThan(2 ** 31); // more than Node's readFile can hold at all
    expect((await probeAudioFile(path)).durationSeconds).toBe(seconds);
    const started = performance.now();
    const region = await readAudioFile(path, { start: seconds - 10, end: seconds });
    expect(region.channels).toHaveLength(2);
    expect(region.channels[0]).toHaveLength(480_000);
    expect(performance.now() - started).toBeLessThan(5000);
  });
});
