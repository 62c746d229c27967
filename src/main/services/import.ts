/**
 * Import: an audio file from the musician becomes an `import` take. The one decoding path is
 * `audio.readAudioFile` (format sniffed from the bytes; empty, damaged and NaN/Inf files refused),
 * so a bad file fails before anything is written and nothing is saved. The audio is stored as
 * decoded — its own sample rate and channels — and converted only when it is used as context
 * (generation.ts re-encodes it with the model's codec encoder at the model's rate and channels).
 *
 * An import take has no model: its `modelId` is "import", its `modelVariant` the format the
 * header names (wav, flac, mp3, other) and its `device` the name of the file it came from, so the
 * lineage can say "imported from NAME" even after the take is renamed. Imported audio codes are
 * the exception: they belong to a model, whose id they carry (importCodes).
 */
import { stat } from 'node:fs/promises';
import { basename, extname, isAbsolute } from 'node:path';
import { ApiError, GenerateParamsSchema, type Take, type TakeSettings } from '../../shared/contract';
import { durationSeconds, probeAudioFile, readAudioFile } from '../audio';
import type { Codes } from '../engine';
import type { Library } from '../library';
import type { EngineHost, EngineInfo } from './engine-host';
import { toApiError } from './errors';

export const IMPORT_MODEL_ID = 'import';

export interface ImportOptions {
  /** The take's title; default: the file's name without its extension. */
  title?: string;
  /** The file's name as the musician knows it, when `path` is a temporary copy (a browser upload). */
  name?: string;
}

/** The largest file an import reads (decoded whole in memory for formats other than WAV). */
export const MAX_IMPORT_BYTES = 2 * 1024 ** 3;
/** The longest audio an import keeps: decoded, an hour of 48 kHz stereo is 1.4 GB of float samples. */
export const MAX_IMPORT_SECONDS = 60 * 60;

export async function importTake(library: Library, path: string, options: ImportOptions = {}): Promise<Take> {
  // Trust: Electron's renderer sends only paths the preload read off a dropped or chosen File, and
  // the CLI resolves what the user typed; the path is still only read, never written, and must be
  // absolute and a regular file (no pipes or devices: readAudioFile checks), so a request cannot
  // aim it at something relative to wherever the main process happens to run.
  if (!isAbsolute(path)) throw new ApiError('invalid-params', `Import needs the full path of the file, not "${path}".`);
  const name = cleanName(options.name ?? basename(path));
  if (options.name === undefined) return saveImport(library, path, name, options.title);
  try {
    return await saveImport(library, path, name, options.title);
  } catch (error) {
    // The messages name the temporary copy: name the file the musician chose instead.
    const api = toApiError(error);
    throw new ApiError(api.code, api.message.replaceAll(`"${path}"`, `"${name}"`).replaceAll(path, name));
  }
}

async function saveImport(library: Library, path: string, name: string, title: string | undefined): Promise<Take> {
  // The header first: the format is recorded, and a file that is not audio fails before it is read whole.
  const info = await probeAudioFile(path);
  const size = (await stat(path)).size;
  // Refused before decoding: a file this size or length would take the whole memory to read.
  if (size > MAX_IMPORT_BYTES) {
    throw new ApiError('invalid-params', `"${path}" is ${(size / 1024 ** 3).toFixed(1)} GB; Continuo imports files up to 2 GB. ${SHORTER}`);
  }
  if ((info.durationSeconds ?? 0) > MAX_IMPORT_SECONDS) {
    const minutes = Math.round(info.durationSeconds! / 60);
    throw new ApiError('invalid-params', `"${path}" is ${minutes} minutes long; Continuo imports up to 60 minutes. ${SHORTER}`);
  }
  const audio = await readAudioFile(path);
  if (durationSeconds(audio) > MAX_IMPORT_SECONDS) {
    const minutes = Math.round(durationSeconds(audio) / 60);
    throw new ApiError('invalid-params', `"${path}" is ${minutes} minutes long; Continuo imports up to 60 minutes. ${SHORTER}`);
  }
  return library.saveTake({
    kind: 'import',
    prompt: '',
    title: title?.trim() || stem(name) || name,
    modelId: IMPORT_MODEL_ID,
    modelVariant: info.format,
    device: name,
    seed: 0,
    settings: importSettings(durationSeconds(audio)),
    audio,
    codes: null,
    contextFrames: 0,
  });
}

/** Nothing generated an import here: the contract's defaults, so anything that reads them gets sane values. */
function importSettings(seconds: number): TakeSettings {
  const defaults = GenerateParamsSchema.parse({ prompt: '' });
  return { seconds, maxNewTokens: 0, guidanceScale: defaults.guidanceScale, sampling: defaults.sampling, variations: 1 };
}

/**
 * Audio codes (as "continuo generate --json" prints them, or a recovered take keeps them) become an
 * `import` take of the model in use: its audio decoded from the codes and the codes stored, so that
 * continuing it uses exactly these codes (generation.ts) instead of re-encoding the audio. Its
 * `modelVariant` is the format, `codes`; codes that do not fit the model fail before anything is saved.
 */
export async function importCodes(
  library: Library,
  host: EngineHost,
  info: EngineInfo,
  codes: Codes,
  options: ImportOptions,
): Promise<Take> {
  const name = cleanName(options.name ?? 'codes');
  const [audio] = await host.decode([codes]);
  return library.saveTake({
    kind: 'import',
    prompt: '',
    title: options.title?.trim() || stem(name) || name,
    modelId: info.modelId,
    modelVariant: 'codes',
    device: name,
    seed: 0,
    settings: importSettings(durationSeconds(audio)),
    audio,
    codes,
    contextFrames: 0,
  });
}

const SHORTER = 'Export the part you want to work with and import that.';

/** A file name fit to show: no folders, no control characters, at most 100 characters. */
function cleanName(name: string): string {
  const cleaned = basename(name.replace(/\\/g, '/'))
    // eslint-disable-next-line no-control-regex
    .replace(/[\u0000-\u001f\u007f]/g, '')
    .trim();
  return (cleaned || 'audio').slice(0, 100);
}

function stem(name: string): string {
  return name.slice(0, name.length - extname(name).length).trim();
}
