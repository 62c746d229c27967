import { readFile } from 'node:fs/promises';
import decodeWithAudioDecode from 'audio-decode';
import { AudioFileAccessError, AudioFormatError, describeSource } from './errors';
import { decodeFlac } from './flac';
import { decodeWav } from './wav';
import type { AudioData } from './types';

const READABLE_FORMATS = 'WAV, FLAC, MP3, OGG, Opus, M4A/AAC or AIFF';
const DAMAGED_ADVICE = 'The file may be damaged; export it again, preferably as WAV or FLAC.';

/**
 * Decodes any audio file a musician might import. WAV and FLAC go to our own decoders (exact
 * integer scaling, errors that say what is wrong); everything else goes to audio-decode, whose
 * WASM decoders cover the lossy and less common formats. The format is sniffed from the bytes,
 * never from the file name, because extensions lie.
 */
export async function decodeAudioFile(bytes: Uint8Array, source?: string): Promise<AudioData> {
  if (bytes.length === 0) throw new AudioFormatError(source, 'is empty (0 bytes)', 'Choose another file or export it again.');
  if (startsWith(bytes, 'RIFF') && startsWith(bytes.subarray(8), 'WAVE')) return decodeWav(bytes, source);
  if (startsWith(bytes, 'fLaC')) return decodeFlac(bytes, source);
  return decodeOtherFormat(bytes, source);
}

async function decodeOtherFormat(bytes: Uint8Array, source: string | undefined): Promise<AudioData> {
  const { channelData, sampleRate } = await decodeWithAudioDecode(bytes).catch((error: unknown) => {
    const reason = error instanceof Error ? error.message : String(error);
    if (/unknown audio format/i.test(reason)) {
      throw new AudioFormatError(source, 'is not in an audio format Continuo can read', `Use ${READABLE_FORMATS}.`);
    }
    throw new AudioFormatError(source, `could not be decoded (${reason})`, DAMAGED_ADVICE);
  });
  if (channelData.length === 0 || channelData[0].length === 0 || !(sampleRate > 0)) {
    throw new AudioFormatError(source, 'contains no audio that could be decoded', DAMAGED_ADVICE);
  }
  // Copy: decoders may hand out views into their own reusable WASM memory.
  return { sampleRate, channels: channelData.map((channel) => Float32Array.from(channel)) };
}

/** Reads and decodes a file, turning file-system failures into messages a musician can act on. */
export async function readAudioFile(path: string): Promise<AudioData> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (error) {
    throw toAccessError(path, error);
  }
  return decodeAudioFile(bytes, path);
}

function toAccessError(path: string, error: unknown): unknown {
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
