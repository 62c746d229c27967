import { AudioFormatError } from './errors';
import { fullScale, quantize } from './pcm';
import { assertAudioData, frameCount, type AudioData, type SampleFormat } from './types';

/** WAVE format tags this module writes or reads. */
export const WAVE_FORMAT = { pcm: 0x0001, float: 0x0003, extensible: 0xfffe } as const;

const FORMATS: Record<SampleFormat, { tag: number; bits: number }> = {
  pcm16: { tag: WAVE_FORMAT.pcm, bits: 16 },
  pcm24: { tag: WAVE_FORMAT.pcm, bits: 24 },
  float32: { tag: WAVE_FORMAT.float, bits: 32 },
};

const PCM16_SCALE = fullScale(16);
const PCM24_SCALE = fullScale(24);

type SampleWriter = (bytes: Uint8Array, view: DataView, offset: number, sample: number) => void;

/** Per-format writers, chosen once per file so the hot loop allocates nothing. */
const WRITERS: Record<SampleFormat, SampleWriter> = {
  pcm16: (_bytes, view, offset, sample) => view.setInt16(offset, quantize(sample, PCM16_SCALE), true),
  pcm24: (bytes, _view, offset, sample) => {
    const value = quantize(sample, PCM24_SCALE);
    bytes[offset] = value;
    bytes[offset + 1] = value >> 8;
    bytes[offset + 2] = value >> 16;
  },
  float32: (_bytes, view, offset, sample) => view.setFloat32(offset, sample, true),
};

/**
 * Writes a canonical RIFF/WAVE file: integer PCM uses format tag 1 with the classic 16-byte
 * `fmt ` chunk (the most widely readable layout); float uses tag 3 with the 18-byte `fmt ` and
 * the `fact` chunk the spec requires for non-PCM data. Float samples are stored unclamped.
 */
export function encodeWav(audio: AudioData, format: SampleFormat = 'pcm16'): Buffer {
  assertAudioData(audio);
  const { tag, bits } = FORMATS[format];
  const channelCount = audio.channels.length;
  const frames = frameCount(audio);
  const bytesPerSample = bits / 8;
  const blockAlign = channelCount * bytesPerSample;
  const dataSize = frames * blockAlign;
  const isFloat = tag === WAVE_FORMAT.float;
  const fmtSize = isFloat ? 18 : 16;
  const headerSize = 12 + (8 + fmtSize) + (isFloat ? 12 : 0) + 8;
  const fileSize = headerSize + dataSize + (dataSize & 1);
  if (fileSize - 8 > 0xffffffff) {
    throw new RangeError('Audio is too long for a WAV file (4 GiB limit). Export it as FLAC instead.');
  }

  const bytes = Buffer.alloc(fileSize);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let offset = writeChunkHeader(bytes, view, 0, 'RIFF', fileSize - 8);
  bytes.write('WAVE', offset, 'latin1');
  offset = writeChunkHeader(bytes, view, offset + 4, 'fmt ', fmtSize);
  view.setUint16(offset, tag, true);
  view.setUint16(offset + 2, channelCount, true);
  view.setUint32(offset + 4, audio.sampleRate, true);
  view.setUint32(offset + 8, audio.sampleRate * blockAlign, true);
  view.setUint16(offset + 12, blockAlign, true);
  view.setUint16(offset + 14, bits, true);
  offset += fmtSize; // cbSize (float only) stays 0
  if (isFloat) {
    offset = writeChunkHeader(bytes, view, offset, 'fact', 4);
    view.setUint32(offset, frames, true);
    offset += 4;
  }
  offset = writeChunkHeader(bytes, view, offset, 'data', dataSize);

  const write = WRITERS[format];
  audio.channels.forEach((channel, index) => {
    let position = offset + index * bytesPerSample;
    for (let frame = 0; frame < frames; frame++, position += blockAlign) {
      write(bytes, view, position, channel[frame]);
    }
  });
  return bytes;
}

function writeChunkHeader(bytes: Buffer, view: DataView, offset: number, id: string, size: number): number {
  bytes.write(id, offset, 'latin1');
  view.setUint32(offset + 4, size, true);
  return offset + 8;
}

const PCM8_SCALE = fullScale(8);
const PCM32_SCALE = fullScale(32);
const EXPORT_ADVICE = 'Export it as WAV or FLAC and try again.';
const REEXPORT_ADVICE = 'The file may be damaged; export it again from the application that made it.';
const TRUNCATED_ADVICE = 'It may not have finished copying or downloading; copy or export it again.';
/** Bytes 2..15 of every KSDATAFORMAT_SUBTYPE_* GUID; bytes 0..1 hold the format tag. */
const SUBFORMAT_GUID_TAIL = [0, 0, 0, 0, 0x10, 0, 0x80, 0, 0, 0xaa, 0, 0x38, 0x9b, 0x71];
const ENCODING_NAMES: Record<number, string> = {
  0x0001: 'PCM',
  0x0002: 'Microsoft ADPCM',
  0x0003: 'floating-point',
  0x0006: 'A-law',
  0x0007: 'µ-law',
  0x0011: 'IMA ADPCM',
  0x0055: 'MP3',
};

export type SampleReader = (bytes: Uint8Array, view: DataView, offset: number) => number;
interface Span {
  offset: number;
  size: number;
}
type Fail = (problem: string, advice?: string) => AudioFormatError;

/** Where a WAV file's samples are and how to read them, learnt from its header alone. */
export interface WavLayout {
  sampleRate: number;
  channelCount: number;
  bytesPerSample: number;
  /** Byte offset of the first sample frame in the file. */
  dataOffset: number;
  /** Bytes of whole sample frames in the data chunk. */
  dataBytes: number;
  /** Sample frames (samples per channel) the file holds. */
  frames: number;
  read: SampleReader;
}

/** Reads `length` bytes at `offset` (fewer at the end of the file). */
export type ReadAt = (offset: number, length: number) => Uint8Array;

/**
 * Reads the WAV variants found in the wild: integer PCM (8-bit unsigned, 16/24/32-bit signed),
 * float 32/64, and WAVE_FORMAT_EXTENSIBLE wrapping any of those. Unknown chunks (LIST, bext, ...)
 * are skipped. Anything else throws an AudioFormatError that names `source` and says what to do.
 */
export function decodeWav(bytes: Uint8Array, source?: string): AudioData {
  const layout = parseWavLayout((offset, length) => bytes.subarray(offset, offset + length), bytes.length, source);
  return decodeWavFrames(bytes.subarray(layout.dataOffset, layout.dataOffset + layout.dataBytes), layout);
}

/**
 * The header of a WAV file, read through `readAt` so that a long file on disk is never loaded
 * whole: only the chunk headers and the 'fmt ' chunk are read.
 */
export function parseWavLayout(readAt: ReadAt, fileSize: number, source?: string): WavLayout {
  const fail: Fail = (problem, advice = REEXPORT_ADVICE) => new AudioFormatError(source, problem, advice);
  const head = readAt(0, 12);
  if (head.length < 12 || fourCC(head, 0) !== 'RIFF') {
    throw fail('is not a WAV file (no RIFF/WAVE header)', EXPORT_ADVICE);
  }
  if (fourCC(head, 8) !== 'WAVE') {
    throw fail(`is a RIFF "${fourCC(head, 8)}" file, not WAV audio (no RIFF/WAVE header)`, EXPORT_ADVICE);
  }
  const { fmt, data } = findChunks(readAt, fileSize, fail);
  if (!fmt) throw fail("has no 'fmt ' chunk describing its audio format");
  if (!data) throw fail("has no 'data' chunk, so it contains no audio");
  const fmtBytes = readAt(fmt.offset, fmt.size);
  const { sampleRate, channelCount, bytesPerSample, read } = parseFormat(
    new DataView(fmtBytes.buffer, fmtBytes.byteOffset, fmtBytes.byteLength),
    { offset: 0, size: fmt.size },
    fail,
  );
  const blockAlign = channelCount * bytesPerSample;
  const frames = Math.floor(data.size / blockAlign);
  return { sampleRate, channelCount, bytesPerSample, dataOffset: data.offset, dataBytes: frames * blockAlign, frames, read };
}

/** Decodes whole sample frames from `bytes`, which start at a frame boundary of `layout`'s data. */
export function decodeWavFrames(bytes: Uint8Array, layout: WavLayout): AudioData {
  const { channelCount, bytesPerSample, read } = layout;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const blockAlign = channelCount * bytesPerSample;
  const frames = Math.floor(bytes.length / blockAlign);
  const channels = Array.from({ length: channelCount }, (_, index) => {
    const channel = new Float32Array(frames);
    let position = index * bytesPerSample;
    for (let frame = 0; frame < frames; frame++, position += blockAlign) {
      channel[frame] = read(bytes, view, position);
    }
    return channel;
  });
  return { sampleRate: layout.sampleRate, channels };
}

function findChunks(readAt: ReadAt, fileSize: number, fail: Fail): { fmt?: Span; data?: Span } {
  const found: { fmt?: Span; data?: Span } = {};
  for (let offset = 12; offset + 8 <= fileSize;) {
    const header = readAt(offset, 8);
    if (header.length < 8) break;
    const id = fourCC(header, 0);
    const span = { offset: offset + 8, size: new DataView(header.buffer, header.byteOffset, 8).getUint32(4, true) };
    if (id === 'fmt ' || id === 'data') {
      const present = fileSize - span.offset;
      if (span.size > present) {
        throw fail(`is truncated: its '${id}' chunk should hold ${span.size} bytes but only ${present} are present`, TRUNCATED_ADVICE);
      }
      found[id === 'fmt ' ? 'fmt' : 'data'] ??= span;
    }
    offset = span.offset + span.size + (span.size & 1); // chunks are padded to an even size
  }
  return found;
}

function parseFormat(view: DataView, fmt: Span, fail: Fail) {
  if (fmt.size < 16) throw fail("has a damaged 'fmt ' chunk (too short)");
  const at = fmt.offset;
  let tag = view.getUint16(at, true);
  const channelCount = view.getUint16(at + 2, true);
  const sampleRate = view.getUint32(at + 4, true);
  const bits = view.getUint16(at + 14, true);
  if (tag === WAVE_FORMAT.extensible) {
    if (fmt.size < 40) throw fail('has a damaged WAVE_FORMAT_EXTENSIBLE header (too short)');
    const knownGuid = SUBFORMAT_GUID_TAIL.every((byte, i) => view.getUint8(at + 26 + i) === byte);
    tag = knownGuid ? view.getUint16(at + 24, true) : -1;
  }
  if (channelCount === 0 || sampleRate === 0) {
    throw fail(`has a damaged header (${channelCount} channels at ${sampleRate} Hz)`);
  }
  const read = sampleReader(tag, bits);
  if (!read) {
    throw fail(
      `uses ${describeEncoding(tag, bits)}, which Continuo cannot read`,
      'Export it as 16- or 24-bit PCM WAV, or as FLAC, and try again.',
    );
  }
  return { sampleRate, channelCount, bytesPerSample: bits / 8, read };
}

function sampleReader(tag: number, bits: number): SampleReader | undefined {
  if (tag === WAVE_FORMAT.float) {
    if (bits === 32) return (_bytes, view, at) => view.getFloat32(at, true);
    if (bits === 64) return (_bytes, view, at) => view.getFloat64(at, true);
    return undefined;
  }
  if (tag !== WAVE_FORMAT.pcm) return undefined;
  switch (bits) {
    case 8:
      return (bytes, _view, at) => (bytes[at] - 128) / PCM8_SCALE;
    case 16:
      return (_bytes, view, at) => view.getInt16(at, true) / PCM16_SCALE;
    case 24:
      return (bytes, _view, at) => (((bytes[at] | (bytes[at + 1] << 8) | (bytes[at + 2] << 16)) << 8) >> 8) / PCM24_SCALE;
    case 32:
      return (_bytes, view, at) => view.getInt32(at, true) / PCM32_SCALE;
    default:
      return undefined;
  }
}

function describeEncoding(tag: number, bits: number): string {
  if (tag === WAVE_FORMAT.pcm || tag === WAVE_FORMAT.float) return `${bits}-bit ${ENCODING_NAMES[tag]} samples`;
  if (tag < 0) return 'an unknown WAVE_FORMAT_EXTENSIBLE sub-format';
  const hex = `0x${tag.toString(16).padStart(4, '0')}`;
  return `${ENCODING_NAMES[tag] ?? 'an unknown encoding'} (format tag ${hex})`;
}

function fourCC(bytes: Uint8Array, offset: number): string {
  return String.fromCharCode(bytes[offset], bytes[offset + 1], bytes[offset + 2], bytes[offset + 3]);
}
