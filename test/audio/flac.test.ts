import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { AudioFormatError } from '../../src/main/audio/errors';
import { decodeFlac, encodeFlac } from '../../src/main/audio/flac';
import { loadLibFlac } from '../../src/main/audio/libflac';
import { encodeWav } from '../../src/main/audio/wav';
import { audio, noise, onGrid, sine } from './signals';

/** The STREAMINFO fields, read straight from the bytes rather than through libFLAC. */
function streamInfo(bytes: Buffer) {
  const packed = bytes.readBigUInt64BE(18); // rate:20 channels-1:3 bits-1:5 total:36
  return {
    sampleRate: Number(packed >> 44n),
    channels: Number((packed >> 41n) & 7n) + 1,
    bitsPerSample: Number((packed >> 36n) & 31n) + 1,
    totalSamples: Number(packed & 0xfffffffffn),
    md5: bytes.toString('hex', 26, 42),
  };
}

async function expectFormatError(run: Promise<unknown>, message: RegExp): Promise<void> {
  const error = await run.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(AudioFormatError);
  expect((error as Error).message).toMatch(/^"mix\.flac" /);
  expect((error as Error).message).toMatch(message);
}

/** A 20-bit FLAC written with libFLAC directly: valid, but a depth Continuo does not decode. */
async function twentyBitFlac(): Promise<Buffer> {
  const flac = await loadLibFlac();
  const encoder = flac.create_libflac_encoder(44100, 1, 20, 5, 1000, false);
  const pieces: Uint8Array[] = [];
  flac.init_encoder_stream(encoder, (data) => void pieces.push(data));
  flac.FLAC__stream_encoder_process_interleaved(encoder, new Int32Array(1000).fill(1000), 1000);
  flac.FLAC__stream_encoder_finish(encoder);
  flac.FLAC__stream_encoder_delete(encoder);
  return Buffer.concat(pieces);
}

describe('FLAC round trip', () => {
  const stereo16 = audio(32000, onGrid(noise(70000, 1, 0.9), 16), onGrid(sine(440, 70000 / 32000, 32000, 0.7), 16));

  it('is lossless for 16-bit-quantised input', async () => {
    const decoded = await decodeFlac(await encodeFlac(stereo16, 16));
    expect(decoded.sampleRate).toBe(32000);
    expect(decoded.channels).toEqual(stereo16.channels);
  });

  it('is lossless for quiet and silent 16-bit passages (bytes 0x00/0xFF trip up libflac.js repacking)', async () => {
    const quiet = onGrid(noise(50000, 5, 300 / 32767), 16);
    const steps = Float32Array.from({ length: 50000 }, (_, i) => [0, 0, 1, -1, 255, 256, -256, -255][(i >> 5) % 8] / 32767);
    const input = audio(
      44100,
      quiet,
      steps.map((x, i) => (i % 4096 < 2048 ? 0 : x)),
    );
    const decoded = await decodeFlac(await encodeFlac(input, 16));
    expect(decoded.channels).toEqual(input.channels);
  });

  it('is lossless for 24-bit-quantised input, across several libFLAC calls', async () => {
    const long = audio(48000, onGrid(noise(150000, 2), 24));
    const decoded = await decodeFlac(await encodeFlac(long, 24));
    expect(decoded.channels).toEqual(long.channels);
  });

  it('rounds and clamps exactly like the 16-bit WAV encoder, MD5 included', async () => {
    const raw = audio(44100, [0.5, -0.5, 1.5, -1.5, 1e-6, 0.123456], [0, 1, -1, 0.25, NaN, -0.75]);
    const bytes = await encodeFlac(raw, 16);
    const wavData = encodeWav(raw, 'pcm16').subarray(44);
    expect(streamInfo(bytes).md5).toBe(createHash('md5').update(wavData).digest('hex'));
    const decoded = await decodeFlac(bytes);
    expect(encodeWav(decoded, 'pcm16').subarray(44).equals(wavData)).toBe(true);
  });

  it('writes a complete STREAMINFO header', async () => {
    const bytes = await encodeFlac(stereo16, 16);
    expect(bytes.toString('latin1', 0, 4)).toBe('fLaC');
    expect(streamInfo(bytes)).toMatchObject({ sampleRate: 32000, channels: 2, bitsPerSample: 16, totalSamples: 70000 });
    expect(streamInfo(bytes).md5).not.toBe('0'.repeat(32));
    expect(bytes.readUIntBE(15, 3)).toBeGreaterThan(0); // max frame size
  });

  it('compresses a tone well below the size of the WAV', async () => {
    const tone = audio(32000, onGrid(sine(440, 5, 32000, 0.5), 16));
    expect((await encodeFlac(tone)).length).toBeLessThan(encodeWav(tone).length / 3);
  });

  it('round-trips mono, odd lengths and empty audio', async () => {
    for (const frames of [1, 4097, 0]) {
      const mono = audio(22050, onGrid(noise(frames, frames + 1), 16));
      const decoded = await decodeFlac(await encodeFlac(mono));
      expect(decoded.sampleRate).toBe(22050);
      expect(decoded.channels).toEqual(mono.channels);
    }
  });

  it('refuses more than 8 channels', async () => {
    const many = audio(48000, ...Array.from({ length: 9 }, () => [0]));
    await expect(encodeFlac(many)).rejects.toThrow(/at most 8 channels/);
  });
});

describe('decodeFlac errors', () => {
  const tone = audio(44100, onGrid(sine(440, 1, 44100, 0.5), 16), onGrid(noise(44100, 3, 0.5), 16));

  it('rejects data without a FLAC header', async () => {
    await expectFormatError(
      decodeFlac(Buffer.from('RIFF....WAVEfmt '), 'mix.flac'),
      /is not a FLAC file \(no "fLaC" header\)\. Export it as FLAC or WAV/,
    );
  });

  it('reports a truncated file', async () => {
    const bytes = await encodeFlac(tone);
    await expectFormatError(
      decodeFlac(bytes.subarray(0, bytes.length >> 1), 'mix.flac'),
      /is truncated \(\d+ of 44100 samples are present\)\. It may not have finished copying/,
    );
  });

  it('reports corrupted frames', async () => {
    const bytes = Buffer.from(await encodeFlac(tone));
    for (let i = 2000; i < 2100; i++) bytes[i] ^= 0x5a;
    await expectFormatError(decodeFlac(bytes, 'mix.flac'), /is damaged \(.+\)\. The file may be damaged; export it again/);
  });

  it('verifies the audio against the MD5 stored in the header', async () => {
    const bytes = Buffer.from(await encodeFlac(tone));
    bytes[30] ^= 0xff;
    await expectFormatError(decodeFlac(bytes, 'mix.flac'), /is damaged \(its audio does not match the MD5 checksum stored in the file\)/);
  });

  it('reports bit depths it cannot read', async () => {
    await expectFormatError(
      decodeFlac(await twentyBitFlac(), 'mix.flac'),
      /uses 20-bit samples, which Continuo cannot read\. Export it as 16- or 24-bit FLAC/,
    );
  });
});
