/**
 * Where take audio lives on disk: `<root>/audio/<yyyy-mm>/<takeId>.wav`, 32-bit float WAV (no
 * clipping, exact samples back). Month folders keep any one folder small enough for file browsers.
 * The database stores the path relative to the root, with forward slashes, so a data folder can be
 * moved or synced between machines. Files are written atomically (temp + fsync + rename): a reader
 * sees either no file or the whole file.
 */
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { writeFileAtomic } from '../atomic-file';
import { decodeWav, encodeWav, type AudioData } from '../audio';
import { ioError, LibraryError } from './errors';

export const AUDIO_DIR = 'audio';
export const ORPHANS_DIR = 'orphans';

export function audioRelativePath(takeId: string, createdAt: string): string {
  const month = createdAt.slice(0, 7); // ISO "yyyy-mm"
  if (!/^\d{4}-\d{2}$/.test(month)) throw new LibraryError('invalid', `Cannot file audio under the date "${createdAt}".`);
  return `${AUDIO_DIR}/${month}/${takeId}.wav`;
}

export function absoluteAudioPath(root: string, relativePath: string): string {
  return join(root, ...relativePath.split('/'));
}

export function writeAudio(root: string, relativePath: string, audio: AudioData): string {
  const path = absoluteAudioPath(root, relativePath);
  let bytes: Buffer;
  try {
    bytes = encodeWav(audio, 'float32');
  } catch (error) {
    throw new LibraryError('invalid', `The take's audio cannot be saved: ${(error as Error).message}`, { cause: error });
  }
  try {
    mkdirSync(join(path, '..'), { recursive: true });
    writeFileAtomic(path, bytes);
  } catch (error) {
    // writeFileAtomic's message already names the path and the reason.
    throw new LibraryError('io', error instanceof Error ? error.message : String(error), { cause: error });
  }
  return path;
}

export function readAudio(root: string, relativePath: string): AudioData {
  const path = absoluteAudioPath(root, relativePath);
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (error) {
    throw ioError('read the audio file', path, error);
  }
  try {
    return decodeWav(bytes, path);
  } catch (error) {
    throw new LibraryError('io', `The audio file ${path} is damaged: ${(error as Error).message}`, { cause: error });
  }
}

/** Best effort: a file that cannot be removed now is an orphan that checkIntegrity finds later. */
export function removeAudio(root: string, relativePath: string): boolean {
  try {
    rmSync(absoluteAudioPath(root, relativePath), { force: true });
    return true;
  } catch {
    return false;
  }
}

export function audioExists(root: string, relativePath: string): boolean {
  try {
    return statSync(absoluteAudioPath(root, relativePath)).isFile();
  } catch {
    return false;
  }
}

export interface StoredFile {
  /** Relative to the root, forward slashes: comparable with takes.audio_path. */
  path: string;
  mtimeMs: number;
}

/** Every file under audio/ (temp files included), except what was already moved to orphans/. */
export function listAudioFiles(root: string): StoredFile[] {
  const base = join(root, AUDIO_DIR);
  const files: StoredFile[] = [];
  const walk = (dir: string) => {
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw ioError('list the audio folder', dir, error);
    }
    for (const entry of entries) {
      const full = join(dir, entry.name);
      if (entry.isDirectory()) {
        if (dir === base && entry.name === ORPHANS_DIR) continue;
        walk(full);
      } else if (entry.isFile()) {
        let mtimeMs: number;
        try {
          mtimeMs = statSync(full).mtimeMs;
        } catch {
          continue; // removed while we looked
        }
        files.push({ path: relative(root, full).split(sep).join('/'), mtimeMs });
      }
    }
  };
  walk(base);
  return files;
}

/** Moves a file to audio/orphans/, keeping its month folder, never overwriting an earlier orphan. */
export function moveToOrphans(root: string, relativePath: string): string {
  const inside = relativePath.startsWith(`${AUDIO_DIR}/`) ? relativePath.slice(AUDIO_DIR.length + 1) : relativePath;
  let target = `${AUDIO_DIR}/${ORPHANS_DIR}/${inside}`;
  const from = absoluteAudioPath(root, relativePath);
  try {
    mkdirSync(join(absoluteAudioPath(root, target), '..'), { recursive: true });
    for (let n = 1; audioExists(root, target); n++) target = `${AUDIO_DIR}/${ORPHANS_DIR}/${inside}.${n}`;
    renameSync(from, absoluteAudioPath(root, target));
  } catch (error) {
    throw ioError('move the unreferenced file', from, error);
  }
  return target;
}
