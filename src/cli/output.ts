/** Where the CLI writes takes (--out): checked before any work, then written whole (atomically). */
import { lstatSync, readlinkSync, statSync, type Stats } from 'node:fs';
import { dirname, extname, join, resolve } from 'node:path';
import { encodeWav, type AudioData, type SampleFormat } from '../main/audio';
import { writeFileAtomic } from '../main/atomic-file';
import { insertWavChunks } from '../main/audio/bext';
import { wavMetadataChunks } from '../main/services/export';
import type { TakeMusic } from '../shared/contract';
import { CliError } from './errors';

export type { SampleFormat };
export const SAMPLE_FORMATS = ['pcm16', 'pcm24', 'float32'] as const;

/** `out.wav` for one take; `out-1.wav`, `out-2.wav`, … for several. */
export function takePaths(out: string, count: number): string[] {
  if (count === 1) return [out];
  const ext = extname(out) || '.wav';
  const base = extname(out) ? out.slice(0, -ext.length) : out;
  return Array.from({ length: count }, (_, i) => `${base}-${i + 1}${ext}`);
}

/** One output file: the path the user named, and the regular file that will be replaced. */
export interface OutputFile {
  path: string;
  /** `path`, or where its symlink (chain) points: the link stays, its target is replaced. */
  target: string;
}

/**
 * Checks where the takes will be written before any work is done: the folder must exist, and
 * each name must be a regular file or nothing yet. A symlink is followed (its target is replaced
 * atomically, the link kept); a pipe, device, socket or folder is refused, because replacing it
 * with a file would quietly break whatever it was.
 */
export function prepareOutputs(out: string, count: number): OutputFile[] {
  return takePaths(out, count).map((path) => {
    const { target, stats } = followLinks(path);
    const via = target === path ? '' : ` (where the link ${path} points)`;
    if (stats?.isDirectory())
      throw new CliError(`Cannot write ${target}${via}: it is a folder. Give a file name, e.g. --out ${join(path, 'take.wav')}.`);
    if (stats && !stats.isFile()) {
      const kind = stats.isFIFO() ? 'a named pipe (FIFO)' : stats.isSocket() ? 'a socket' : 'a device';
      throw new CliError(
        `Cannot write ${target}${via}: it is ${kind}, not a file. Continuo writes whole files (a temporary file renamed into place), so it cannot write into it. Give the name of a regular file.`,
      );
    }
    const folder = dirname(target);
    let folderStats: Stats | undefined;
    try {
      folderStats = statSync(folder);
    } catch {
      throw new CliError(`Could not write ${path}: its folder does not exist. Create the folder or choose another path.`);
    }
    if (!folderStats.isDirectory()) throw new CliError(`Could not write ${path}: ${folder} is not a folder. Choose another path.`);
    return { path, target };
  });
}

/** The file a path ends at after symlinks (up to 40, as the kernel allows), and what is there now. */
function followLinks(path: string): { target: string; stats?: Stats } {
  let target = path;
  for (let hops = 0; hops <= 40; hops++) {
    let stats: Stats;
    try {
      stats = lstatSync(target);
    } catch {
      return { target }; // nothing there yet (a dangling link's target is created)
    }
    if (!stats.isSymbolicLink()) return { target, stats };
    target = resolve(dirname(target), readlinkSync(target));
  }
  throw new CliError(`Cannot write ${path}: it is a symlink that loops (more than 40 links).`);
}

/**
 * Encodes every take first, then writes them; nothing is written if any encode fails. A take's
 * tempo and signature go in as the export's `acid` chunk, so a DAW lands it on its grid.
 */
export function writeTakes(audio: AudioData[], outputs: OutputFile[], format: SampleFormat, music: (TakeMusic | null)[] = []): string[] {
  const files = audio.map((take, i) => {
    const chunks = wavMetadataChunks(take, { tempoBpm: music[i]?.tempoBpm, timeSignature: music[i]?.timeSignature });
    const bytes = encodeWav(take, format);
    return chunks.length ? insertWavChunks(bytes, chunks) : bytes;
  });
  files.forEach((bytes, i) => writeFileAtomic(outputs[i].target, bytes));
  return outputs.map((o) => o.path);
}
