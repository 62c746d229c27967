import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AudioFormatError } from '../../src/main/audio/errors';
import { decodeWav, encodeWav } from '../../src/main/audio/wav';
import type { SampleFormat } from '../../src/main/audio/types';
import { audio, noise, sine } from './signals';

/** Assembles a RIFF file from raw chunks, padding odd-sized ones as the spec requires. */
function riff(chunks: [string, number[] | Uint8Array][], form = 'WAVE', declaredSizes: Record<string, number> = {}): Uint8Array {
  const parts = chunks.map(([id, body]) => {
    const bytes = Buffer.alloc(8 + body.length + (body.length & 1));
    bytes.write(id, 0, 'latin1');
    bytes.writeUInt32LE(declaredSizes[id] ?? body.length, 4);
    Buffer.from(body).copy(bytes, 8);
    return bytes;
  });
  const head = Buffer.alloc(12);
  head.write('RIFF', 0, 'latin1');
  head.writeUInt32LE(4 + parts.reduce((n, p) => n + p.length, 0), 4);
  head.write(form, 8, 'latin1');
  return Buffer.concat([head, ...parts]);
}

function fmt(tag: number, channels: number, rate: number, bits: number, extra: number[] = []): number[] {
  const b = Buffer.alloc(16);
  b.writeUInt16LE(tag, 0);
  b.writeUInt16LE(channels, 2);
  b.writeUInt32LE(rate, 4);
  b.writeUInt32LE((rate * channels * bits) / 8, 8);
  b.writeUInt16LE((channels * bits) / 8, 12);
  b.writeUInt16LE(bits, 14);
  return [...b, ...extra];
}

/** WAVE_FORMAT_EXTENSIBLE tail: cbSize 22, valid bits, channel mask, SubFormat GUID for `subTag`. */
function extensible(validBits: number, mask: number, subTag: number): number[] {
  const b = Buffer.alloc(24);
  b.writeUInt16LE(22, 0);
  b.writeUInt16LE(validBits, 2);
  b.writeUInt32LE(mask, 4);
  b.writeUInt16LE(subTag, 8);
  Buffer.from([0, 0, 0, 0, 0x10, 0, 0x80, 0, 0, 0xaa, 0, 0x38, 0x9b, 0x71]).copy(b, 10);
  return [...b];
}

function expectFormatError(run: () => unknown, message: RegExp): void {
  let caught: unknown;
  try {
    run();
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(AudioFormatError);
  expect((caught as AudioFormatError).source).toBe('take.wav');
  expect((caught as Error).message).toMatch(/^"take\.wav" /);
  expect((caught as Error).message).toMatch(message);
}

const commandExists = (name: string) => {
  try {
    execFileSync('which', [name], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
};

describe('encodeWav headers', () => {
  it('writes the canonical 44-byte PCM header for 16-bit stereo', () => {
    const bytes = encodeWav(audio(48000, [0, 0.5, 1], [0, -0.5, -1]), 'pcm16');
    expect(bytes.length).toBe(44 + 12);
    expect(bytes.toString('latin1', 0, 4)).toBe('RIFF');
    expect(bytes.readUInt32LE(4)).toBe(bytes.length - 8);
    expect(bytes.toString('latin1', 8, 16)).toBe('WAVEfmt ');
    expect(bytes.readUInt32LE(16)).toBe(16);
    expect(bytes.readUInt16LE(20)).toBe(1); // PCM
    expect(bytes.readUInt16LE(22)).toBe(2);
    expect(bytes.readUInt32LE(24)).toBe(48000);
    expect(bytes.readUInt32LE(28)).toBe(192000); // byte rate
    expect(bytes.readUInt16LE(32)).toBe(4); // block align
    expect(bytes.readUInt16LE(34)).toBe(16);
    expect(bytes.toString('latin1', 36, 40)).toBe('data');
    expect(bytes.readUInt32LE(40)).toBe(12);
    const samples = [0, 1, 2, 3, 4, 5].map((i) => bytes.readInt16LE(44 + 2 * i));
    expect(samples).toEqual([0, 0, 16384, -16383, 32767, -32767]); // interleaved L R
  });

  it('pads an odd-sized 24-bit data chunk and counts the pad in the RIFF size', () => {
    const bytes = encodeWav(audio(44100, [0.5, -1, 1]), 'pcm24');
    expect(bytes.readUInt16LE(20)).toBe(1);
    expect(bytes.readUInt32LE(28)).toBe(44100 * 3);
    expect(bytes.readUInt16LE(32)).toBe(3);
    expect(bytes.readUInt16LE(34)).toBe(24);
    expect(bytes.readUInt32LE(40)).toBe(9);
    expect(bytes.length).toBe(44 + 9 + 1);
    expect(bytes.readUInt32LE(4)).toBe(bytes.length - 8);
    expect([...bytes.subarray(44)]).toEqual([0x00, 0x00, 0x40, 0x01, 0x00, 0x80, 0xff, 0xff, 0x7f, 0x00]);
  });

  it('writes float32 with format tag 3, an 18-byte fmt chunk and a fact chunk', () => {
    const bytes = encodeWav(audio(32000, [0.25, -1.5], [1, 0]), 'float32');
    expect(bytes.readUInt32LE(16)).toBe(18);
    expect(bytes.readUInt16LE(20)).toBe(3);
    expect(bytes.readUInt32LE(28)).toBe(32000 * 8);
    expect(bytes.readUInt16LE(32)).toBe(8);
    expect(bytes.readUInt16LE(34)).toBe(32);
    expect(bytes.readUInt16LE(36)).toBe(0); // cbSize
    expect(bytes.toString('latin1', 38, 42)).toBe('fact');
    expect(bytes.readUInt32LE(42)).toBe(4);
    expect(bytes.readUInt32LE(46)).toBe(2); // frames per channel
    expect(bytes.toString('latin1', 50, 54)).toBe('data');
    expect(bytes.readUInt32LE(54)).toBe(16);
    expect([0, 1, 2, 3].map((i) => bytes.readFloatLE(58 + 4 * i))).toEqual([0.25, 1, -1.5, 0]); // not clamped
    expect(bytes.readUInt32LE(4)).toBe(bytes.length - 8);
  });

  it('is deterministic: the same samples give byte-identical files', () => {
    const take = audio(32000, noise(10000, 7, 1.2), sine(440, 10000 / 32000, 32000));
    for (const format of ['pcm16', 'pcm24', 'float32'] as const) {
      const copy = audio(32000, ...take.channels.map((c) => c.slice()));
      expect(encodeWav(take, format).equals(encodeWav(copy, format))).toBe(true);
    }
  });

  it('rejects malformed audio before writing anything', () => {
    expect(() => encodeWav(audio(48000, [0, 0], [0]))).toThrow(/same length/);
  });

  it('encodes minutes of stereo quickly', () => {
    const minutes = audio(48000, noise(48000 * 120, 3), noise(48000 * 120, 4));
    for (const format of ['pcm16', 'pcm24', 'float32'] as const) {
      const start = performance.now();
      encodeWav(minutes, format);
      expect(performance.now() - start).toBeLessThan(3000);
    }
  });
});

describe('WAV round trip', () => {
  const take = audio(48000, noise(48000, 11), sine(997, 1, 48000, 0.8));
  it.each([
    ['pcm16', 0.5 / 32767],
    ['pcm24', 0.5 / 8388607 + 1e-7],
    ['float32', 0],
  ] as [SampleFormat, number][])('%s returns every sample within quantisation error', (format, tolerance) => {
    const decoded = decodeWav(encodeWav(take, format));
    expect(decoded.sampleRate).toBe(48000);
    expect(decoded.channels).toHaveLength(2);
    decoded.channels.forEach((channel, c) => {
      expect(channel.length).toBe(48000);
      let worst = 0;
      for (let i = 0; i < channel.length; i++) worst = Math.max(worst, Math.abs(channel[i] - take.channels[c][i]));
      expect(worst).toBeLessThanOrEqual(tolerance);
    });
  });

  it('re-encoding a decoded 16-bit file gives the same bytes', () => {
    const first = encodeWav(take, 'pcm16');
    expect(encodeWav(decodeWav(first), 'pcm16').equals(first)).toBe(true);
  });

  it('is accepted by sox', ({ skip }) => {
    skip(!commandExists('sox'), 'sox is not installed, so the header is not cross-checked by an independent reader');
    const dir = mkdtempSync(join(tmpdir(), 'continuo-wav-'));
    for (const [format, encoding] of [
      ['pcm16', 'Signed Integer PCM'],
      ['pcm24', 'Signed Integer PCM'],
      ['float32', 'Floating Point PCM'],
    ] as const) {
      const file = join(dir, `${format}.wav`);
      writeFileSync(file, encodeWav(take, format));
      const info = (flag: string) => execFileSync('sox', ['--i', flag, file], { encoding: 'utf8' }).trim();
      expect(info('-c')).toBe('2');
      expect(info('-r')).toBe('48000');
      expect(info('-s')).toBe('48000');
      expect(info('-e')).toBe(encoding);
    }
  });

  it("is read by Python's wave module with the same frames", ({ skip }) => {
    skip(!commandExists('python3'), 'python3 is not installed, so the PCM header is not cross-checked');
    const dir = mkdtempSync(join(tmpdir(), 'continuo-wav-'));
    for (const format of ['pcm16', 'pcm24'] as const) {
      const file = join(dir, `${format}.wav`);
      const bytes = encodeWav(take, format);
      writeFileSync(file, bytes);
      const script =
        'import sys, wave\nw = wave.open(sys.argv[1])\nprint(w.getnchannels(), w.getsampwidth(), w.getframerate(), w.getnframes(), w.readframes(4).hex())';
      const out = execFileSync('python3', ['-c', script, file], { encoding: 'utf8' }).trim().split(' ');
      const width = format === 'pcm16' ? 2 : 3;
      expect(out.slice(0, 4)).toEqual(['2', String(width), '48000', '48000']);
      expect(out[4]).toBe(bytes.subarray(44, 44 + 4 * 2 * width).toString('hex'));
    }
  });
});

describe('decodeWav formats', () => {
  it('reads unsigned 8-bit PCM', () => {
    const decoded = decodeWav(
      riff([
        ['fmt ', fmt(1, 1, 8000, 8)],
        ['data', [0, 128, 255, 64]],
      ]),
    );
    expect(decoded.sampleRate).toBe(8000);
    expect(Array.from(decoded.channels[0])).toEqual([-128 / 127, 0, 1, -64 / 127].map(Math.fround));
  });

  it('reads WAVE_FORMAT_EXTENSIBLE 24-bit, skipping odd-sized LIST and trailing chunks', () => {
    const data = [0x00, 0x00, 0x40, 0xff, 0xff, 0x7f, 0x01, 0x00, 0x80, 0xff, 0xff, 0xff];
    const bytes = riff([
      ['LIST', [...Buffer.from('INFOISFT'), 0x05, 0, 0, 0, ...Buffer.from('abcde')]], // 17 bytes: padded
      ['fmt ', fmt(0xfffe, 2, 96000, 24, extensible(24, 0x3, 1))],
      ['data', data],
      ['bext', [1, 2, 3]],
    ]);
    const decoded = decodeWav(bytes);
    expect(decoded.sampleRate).toBe(96000);
    expect(Array.from(decoded.channels[0])).toEqual([4194304 / 8388607, -8388607 / 8388607].map(Math.fround));
    expect(Array.from(decoded.channels[1])).toEqual([1, -1 / 8388607].map(Math.fround));
  });

  it('reads 32-bit integer, float64 and extensible float32 data', () => {
    const int32 = Buffer.alloc(8);
    int32.writeInt32LE(2147483647, 0);
    int32.writeInt32LE(-1073741824, 4);
    expect(
      Array.from(
        decodeWav(
          riff([
            ['fmt ', fmt(1, 1, 48000, 32)],
            ['data', int32],
          ]),
        ).channels[0],
      ),
    ).toEqual([1, Math.fround(-1073741824 / 2147483647)]);
    const float64 = Buffer.alloc(16);
    float64.writeDoubleLE(0.1, 0);
    float64.writeDoubleLE(-2, 8);
    expect(
      Array.from(
        decodeWav(
          riff([
            ['fmt ', fmt(3, 1, 48000, 64, [0, 0])],
            ['data', float64],
          ]),
        ).channels[0],
      ),
    ).toEqual([Math.fround(0.1), -2]);
    const float32 = Buffer.alloc(4);
    float32.writeFloatLE(0.75, 0);
    expect(
      Array.from(
        decodeWav(
          riff([
            ['fmt ', fmt(0xfffe, 1, 48000, 32, extensible(32, 4, 3))],
            ['data', float32],
          ]),
        ).channels[0],
      ),
    ).toEqual([0.75]);
  });

  it('ignores a trailing partial frame', () => {
    expect(
      decodeWav(
        riff([
          ['fmt ', fmt(1, 2, 8000, 16)],
          ['data', [1, 0, 2, 0, 3]],
        ]),
      ).channels[0].length,
    ).toBe(1);
  });
});

describe('decodeWav errors', () => {
  const valid = encodeWav(audio(48000, noise(500, 5)), 'pcm16');

  it.each([
    [
      'random bytes',
      () => Uint8Array.from(noise(256, 9), (x) => (x + 1) * 127),
      /is not a WAV file \(no RIFF\/WAVE header\)\. Export it as WAV or FLAC and try again\.$/,
    ],
    [
      'a header cut short',
      () => valid.subarray(0, 30),
      /is truncated: its 'fmt ' chunk should hold 16 bytes but only 10 are present\. .*copying or downloading/,
    ],
    [
      'truncated audio data',
      () => valid.subarray(0, 544),
      /is truncated: its 'data' chunk should hold 1000 bytes but only 500 are present/,
    ],
    [
      'a RIFF file that is not WAVE',
      () => riff([['avih', [0, 0, 0, 0]]], 'AVI '),
      /is a RIFF "AVI " file, not WAV audio.*Export it as WAV or FLAC/,
    ],
    [
      'an unsupported codec',
      () =>
        riff([
          ['fmt ', fmt(0x11, 1, 8000, 4)],
          ['data', [0, 0]],
        ]),
      /uses IMA ADPCM \(format tag 0x0011\), which Continuo cannot read\. Export it as 16- or 24-bit PCM WAV, or as FLAC/,
    ],
    [
      'an unknown codec',
      () =>
        riff([
          ['fmt ', fmt(0x1234, 1, 8000, 16)],
          ['data', [0, 0]],
        ]),
      /uses an unknown encoding \(format tag 0x1234\)/,
    ],
    [
      'an unsupported bit depth',
      () =>
        riff([
          ['fmt ', fmt(1, 1, 8000, 12)],
          ['data', [0, 0]],
        ]),
      /uses 12-bit PCM samples, which Continuo cannot read/,
    ],
    [
      '16-bit float',
      () =>
        riff([
          ['fmt ', fmt(3, 1, 8000, 16)],
          ['data', [0, 0]],
        ]),
      /uses 16-bit floating-point samples/,
    ],
    [
      'an unknown extensible sub-format',
      () =>
        riff([
          [
            'fmt ',
            fmt(
              0xfffe,
              1,
              8000,
              16,
              extensible(16, 4, 1).map((b, i) => (i === 23 ? 0 : b)),
            ),
          ],
          ['data', [0, 0]],
        ]),
      /unknown WAVE_FORMAT_EXTENSIBLE sub-format/,
    ],
    ['a missing fmt chunk', () => riff([['data', [0, 0]]]), /has no 'fmt ' chunk/],
    ['a missing data chunk', () => riff([['fmt ', fmt(1, 1, 8000, 16)]]), /has no 'data' chunk, so it contains no audio/],
    [
      'zero channels',
      () =>
        riff([
          ['fmt ', fmt(1, 0, 8000, 16)],
          ['data', [0, 0]],
        ]),
      /has a damaged header \(0 channels at 8000 Hz\)/,
    ],
    [
      'a short fmt chunk',
      () =>
        riff([
          ['fmt ', [1, 0, 1, 0]],
          ['data', [0, 0]],
        ]),
      /has a damaged 'fmt ' chunk \(too short\)/,
    ],
  ])('%s gives an AudioFormatError that says what to do', (_name, bytes, message) => {
    expectFormatError(() => decodeWav(bytes(), 'take.wav'), message);
  });
});
