import { AsyncLocalStorage } from 'node:async_hooks';
import { readSync } from 'node:fs';
import { open, stat, type FileHandle } from 'node:fs/promises';
import decodeWithAudioDecode from 'audio-decode';
import { AudioFileAccessError, AudioFormatError, describeSource } from './errors';
import { decodeFlac } from './flac';
import { parseMpegHeader } from './mpeg-header';
import { decodeWav, decodeWavFrames, parseWavLayout, type WavLayout } from './wav';
import type { AudioData } from './types';

const READABLE_FORMATS = 'WAV, FLAC, MP3, OGG, Opus, M4A/AAC or AIFF';
const DAMAGED_ADVICE = 'The file may be damaged; export it again, preferably as WAV or FLAC.';
const EMPTY_ADVICE = 'Choose another file or export it again.';

/**
 * Decodes any audio file a musician might import. WAV and FLAC go to our own decoders (exact
 * integer scaling, errors that say what is wrong); everything else goes to audio-decode, whose
 * WASM decoders cover the lossy and less common formats. The format is sniffed from the bytes,
 * never from the file name, because extensions lie.
 *
 * This and `readAudioFile` are the import path: what they return has at least one sample and only
 * finite samples, and a file the decoder had to patch over (a damaged MP3) is refused rather than
 * imported as noise.
 */
export async function decodeAudioFile(bytes: Uint8Array, source?: string): Promise<AudioData> {
  if (bytes.length === 0) throw new AudioFormatError(source, 'is empty (0 bytes)', EMPTY_ADVICE);
  let audio: AudioData;
  if (startsWith(bytes, 'RIFF') && startsWith(bytes.subarray(8), 'WAVE')) audio = decodeWav(bytes, source);
  else if (startsWith(bytes, 'fLaC')) audio = await decodeFlac(bytes, source);
  else audio = await decodeOtherFormat(bytes, source);
  if (frames(audio) === 0) throw noAudio(source);
  checkSamples(audio, source);
  return audio;
}

/** What a file's header says, read without decoding it. */
export interface AudioFileInfo {
  format: 'wav' | 'flac' | 'mp3' | 'other';
  /** Unknown (0) for formats whose header is not read here. */
  sampleRate: number;
  channelCount: number;
  /** The length the header declares, when it declares one (WAV always, FLAC and MP3 usually). */
  durationSeconds?: number;
}

/**
 * The format and, where the header says, the length of an audio file, from its first bytes only:
 * a caller can refuse a file that is too long (or empty) before paying for decoding it.
 */
export async function probeAudioFile(path: string): Promise<AudioFileInfo> {
  const handle = await openForReading(path);
  try {
    const size = (await handle.stat()).size;
    if (size === 0) throw new AudioFormatError(path, 'is empty (0 bytes)', EMPTY_ADVICE);
    const head = readAt(handle, 0, Math.min(size, 64 * 1024));
    if (startsWith(head, 'RIFF') && startsWith(head.subarray(8), 'WAVE')) {
      const layout = wavLayout(handle, size, path);
      if (layout.frames === 0) throw noAudio(path);
      return {
        format: 'wav',
        sampleRate: layout.sampleRate,
        channelCount: layout.channelCount,
        durationSeconds: layout.frames / layout.sampleRate,
      };
    }
    if (startsWith(head, 'fLaC')) return flacInfo(head);
    const mpeg = mpegHeader(head);
    if (mpeg) {
      const durationSeconds = mpeg.declaredFrames !== undefined ? mpeg.declaredFrames / mpeg.sampleRate : undefined;
      return { format: 'mp3', sampleRate: mpeg.sampleRate, channelCount: mpeg.channelCount, durationSeconds };
    }
    return { format: 'other', sampleRate: 0, channelCount: 0 };
  } finally {
    await handle.close();
  }
}

/** A stretch of a file, in seconds from its start; `end` defaults to the end of the file. */
export interface AudioRegion {
  start?: number;
  end?: number;
}

/**
 * Reads and decodes a file, turning file-system failures into messages a musician can act on.
 * With a region, a WAV file is read only where the region lies (a few seconds of a long
 * recording cost a few seconds of memory); other formats are decoded whole and then cut.
 * A region that starts at or after the end of the file is refused.
 */
export async function readAudioFile(path: string, region: AudioRegion = {}): Promise<AudioData> {
  const handle = await openForReading(path);
  let bytes: Uint8Array;
  try {
    const size = (await handle.stat()).size;
    const head = size > 0 ? readAt(handle, 0, 12) : new Uint8Array(0);
    if (startsWith(head, 'RIFF') && startsWith(head.subarray(8), 'WAVE')) {
      return await readWavRegion(handle, size, path, region);
    }
    bytes = await handle.readFile();
  } catch (error) {
    throw toAccessError(path, error);
  } finally {
    await handle.close();
  }
  const audio = await decodeAudioFile(bytes, path);
  return cut(audio, region, path);
}

async function readWavRegion(handle: FileHandle, size: number, path: string, region: AudioRegion): Promise<AudioData> {
  const layout = wavLayout(handle, size, path);
  if (layout.frames === 0) throw noAudio(path);
  const { first, count } = frameRange(layout.frames, layout.sampleRate, region, path);
  const blockAlign = layout.channelCount * layout.bytesPerSample;
  const bytes = new Uint8Array(count * blockAlign);
  const { bytesRead } = await handle.read(bytes, 0, bytes.length, layout.dataOffset + first * blockAlign);
  const audio = decodeWavFrames(bytes.subarray(0, bytesRead - (bytesRead % blockAlign)), layout);
  checkSamples(audio, path);
  return audio;
}

function wavLayout(handle: FileHandle, size: number, path: string): WavLayout {
  return parseWavLayout((offset, length) => readAt(handle, offset, length), size, path);
}

/** The sample frames a region covers, clamped to the file. */
function frameRange(total: number, sampleRate: number, region: AudioRegion, path: string): { first: number; count: number } {
  const start = region.start ?? 0;
  const first = Math.max(0, Math.round(start * sampleRate));
  const end = region.end === undefined ? total : Math.min(total, Math.round(region.end * sampleRate));
  if (first >= total) {
    throw new RangeError(
      `${describeSource(path)}: the region starts at ${start} s, at or after the end of the ${(total / sampleRate).toFixed(1)} s file.`,
    );
  }
  return { first, count: Math.max(0, end - first) };
}

function cut(audio: AudioData, region: AudioRegion, path: string): AudioData {
  if (region.start === undefined && region.end === undefined) return audio;
  const { first, count } = frameRange(frames(audio), audio.sampleRate, region, path);
  return { sampleRate: audio.sampleRate, channels: audio.channels.map((c) => c.slice(first, first + count)) };
}

async function decodeOtherFormat(bytes: Uint8Array, source: string | undefined): Promise<AudioData> {
  const reported: string[] = [];
  const decoded = await collectDecoderErrors(reported, () =>
    decodeWithAudioDecode(bytes).catch((error: unknown) => {
      const reason = error instanceof Error ? error.message : String(error);
      if (/unknown audio format/i.test(reason)) {
        throw new AudioFormatError(source, 'is not in an audio format Continuo can read', `Use ${READABLE_FORMATS}.`);
      }
      throw new AudioFormatError(source, `could not be decoded (${reason})`, DAMAGED_ADVICE);
    }),
  );
  const { channelData, sampleRate } = decoded;
  if (channelData.length === 0 || channelData[0].length === 0 || !(sampleRate > 0)) {
    throw new AudioFormatError(source, 'contains no audio that could be decoded', DAMAGED_ADVICE);
  }
  const got = channelData[0].length;
  if (reported.length > 0) {
    const what = reported[0].replace(DECODER_LINE, '').trim();
    const errors = reported.length === 1 ? '1 error' : `${reported.length} errors`;
    throw new AudioFormatError(
      source,
      `is damaged: the decoder hit ${errors} (${what}) and could only patch over them (${(got / sampleRate).toFixed(1)} s decoded)`,
      DAMAGED_ADVICE,
    );
  }
  const mpeg = mpegHeader(bytes);
  if (mpeg?.declaredFrames) {
    // Encoder delay and padding are trimmed by the decoder; anything beyond a few frames is missing audio.
    const missing = mpeg.declaredFrames - got;
    if (missing > Math.max(0.1 * mpeg.declaredFrames, 4 * mpeg.samplesPerFrame)) {
      throw new AudioFormatError(
        source,
        `is damaged: its header declares ${(mpeg.declaredFrames / mpeg.sampleRate).toFixed(1)} s of audio but only ${(got / sampleRate).toFixed(1)} s could be decoded`,
        DAMAGED_ADVICE,
      );
    }
  }
  // Copy: decoders may hand out views into their own reusable WASM memory.
  return { sampleRate, channels: channelData.map((channel) => Float32Array.from(channel)) };
}

/** How the WASM decoders start a complaint, e.g. "mpg123-decoder: -1 MPG123_ERR". */
const DECODER_LINE = /^[\w@./-]*decoder:/;
const decoderErrors = new AsyncLocalStorage<string[]>();
let collecting = 0;
let consoleError: typeof console.error | undefined;

/**
 * The WASM decoders (mpg123 for MP3) report damaged frames only by printing "<name>-decoder: …"
 * with console.error, and audio-decode drops their error list. While decodes run, such lines go
 * to the list of the decode that printed them (found through its async context, so concurrent
 * imports each get their own) instead of the terminal; any other console output passes through.
 */
async function collectDecoderErrors<T>(into: string[], run: () => Promise<T>): Promise<T> {
  if (collecting++ === 0) {
    const original = console.error;
    consoleError = original;
    console.error = (...args: unknown[]) => {
      const text = args.map(String).join(' ');
      const list = decoderErrors.getStore();
      if (list && DECODER_LINE.test(text)) list.push(text);
      else original.apply(console, args);
    };
  }
  try {
    return await decoderErrors.run(into, run);
  } finally {
    if (--collecting === 0) {
      console.error = consoleError!;
      consoleError = undefined;
    }
  }
}

/** NaN or infinite samples would poison everything downstream (encoders, loudness, the codec). */
function checkSamples(audio: AudioData, source: string | undefined): void {
  let bad = 0;
  let total = 0;
  for (const channel of audio.channels) {
    total += channel.length;
    for (let i = 0; i < channel.length; i++) if (!Number.isFinite(channel[i])) bad++;
  }
  if (bad === 0) return;
  if (bad === total) {
    throw new AudioFormatError(
      source,
      'holds no usable audio: every sample is NaN or infinite, not a number a sound can have',
      DAMAGED_ADVICE,
    );
  }
  throw new AudioFormatError(source, `is damaged: ${bad} of its ${total} samples are NaN or infinite`, DAMAGED_ADVICE);
}

/**
 * The MPEG header of an MP3, but not of another container: the MPEG scan looks for a frame sync
 * (0xFFE) anywhere in the first 4 KiB, which the pages of an OGG or the chunks of an AIFF or MP4
 * can hold by chance (a Vorbis file was probed as MP3).
 */
function mpegHeader(bytes: Uint8Array): ReturnType<typeof parseMpegHeader> {
  if (startsWith(bytes, 'OggS') || startsWith(bytes, 'FORM') || startsWith(bytes.subarray(4), 'ftyp') || startsWith(bytes, 'caff')) {
    return undefined;
  }
  return parseMpegHeader(bytes);
}

function noAudio(source: string | undefined): AudioFormatError {
  return new AudioFormatError(source, 'holds no audio (0 samples)', EMPTY_ADVICE);
}

function frames(audio: AudioData): number {
  return audio.channels[0]?.length ?? 0;
}

function flacInfo(head: Uint8Array): AudioFileInfo {
  // STREAMINFO is always the first metadata block: rate (20 bits), channels - 1 (3), bits - 1 (5), total samples (36).
  if (head.length < 26 || (head[4] & 0x7f) !== 0) return { format: 'flac', sampleRate: 0, channelCount: 0 };
  const sampleRate = (head[18] << 12) | (head[19] << 4) | (head[20] >> 4);
  const channelCount = ((head[20] >> 1) & 7) + 1;
  const total = (head[21] & 0x0f) * 2 ** 32 + ((head[22] << 24) >>> 0) + ((head[23] << 16) | (head[24] << 8) | head[25]);
  return { format: 'flac', sampleRate, channelCount, durationSeconds: total > 0 && sampleRate > 0 ? total / sampleRate : undefined };
}

async function openForReading(path: string): Promise<FileHandle> {
  let handle: FileHandle;
  try {
    // Opening a named pipe would wait for a writer forever; a folder cannot be read as audio.
    const kind = await stat(path);
    if (kind.isDirectory()) throw Object.assign(new Error(`EISDIR: illegal operation on a directory, read '${path}'`), { code: 'EISDIR' });
    if (!kind.isFile())
      throw new AudioFormatError(
        path,
        'is not a regular file (it is a pipe, socket or device)',
        'Save the audio to a file and choose that.',
      );
    handle = await open(path, 'r');
  } catch (error) {
    throw toAccessError(path, error);
  }
  return handle;
}

function readAt(handle: FileHandle, offset: number, length: number): Uint8Array {
  const buffer = new Uint8Array(length);
  const read = readSync(handle.fd, buffer, 0, length, offset);
  return buffer.subarray(0, read);
}

function toAccessError(path: string, error: unknown): unknown {
  if (error instanceof AudioFileAccessError || error instanceof AudioFormatError || error instanceof RangeError) return error;
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  const name = describeSource(path);
  const messages: Record<string, string> = {
    ENOENT: `${name} could not be found. It may have been moved, renamed or deleted.`,
    EACCES: `${name} cannot be opened: Continuo does not have permission to read it. Check the file's permissions.`,
    EPERM: `${name} cannot be opened: the system refused access. Check the file's permissions.`,
    EISDIR: `${name} is a folder, not an audio file.`,
  };
  if (!code || !(code in messages)) return error;
  return new AudioFileAccessError(path, code, messages[code], { cause: error });
}

function startsWith(bytes: Uint8Array, magic: string): boolean {
  if (bytes.length < magic.length) return false;
  for (let i = 0; i < magic.length; i++) if (bytes[i] !== magic.charCodeAt(i)) return false;
  return true;
}
