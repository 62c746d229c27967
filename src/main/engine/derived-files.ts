/**
 * The files derived beside a decoder (see onnx-split) and the stamp that vouches for them. They
 * are named after the decoder's split key: the merged file, or the with-past file of the unmerged
 * pair (`merged` below is that key). They are a cache: the stamp records the verdict of the probe,
 * the size and mtime of every file the derived graphs read (the decoder file or files and any
 * external-data file they point into, `*.onnx_data`) and the sha256 of each derived file, so a
 * stale, changed or foreign derived file is noticed, discarded and rebuilt. No onnxruntime here:
 * `models verify` checks these files from the main process.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, rmSync, statSync } from 'node:fs';
import { basename, dirname, join, relative, sep } from 'node:path';
import { writeFileAtomic } from '../atomic-file';
import { splitFilesFor, type SplitFiles } from './onnx-split/split-decoder';

/**
 * 3: the stamp records every source file's identity and each derived file's sha256.
 * 4: the probe compares like with like (position-by-position prefill against the same on the
 *    merged file) and feeds the cross-attention graph the first step's inputs, so verdicts of 3
 *    that refused q8, fp16 and exporter-shaped decoders are made again.
 */
const SPLIT_VERSION = 4;

/** `two-block`: the cache in an old and a recent block; `concat`: the export's own cached branch. */
export type CacheLayout = 'two-block' | 'concat';

/** A file the derived graphs read, as it was when they were derived. */
interface SourceIdentity {
  /** Relative to the merged decoder's folder. */
  file: string;
  size: number;
  mtimeMs: number;
}

export interface Stamp {
  version: number;
  /** The decoder file(s), the split key first, and every external-data file they point into. */
  sources: SourceIdentity[];
  /** sha256 of each derived file, by file name. */
  derived: Record<string, string>;
  valid: boolean;
  multiTokenPrefill: boolean;
  maxDifference: number;
  /** Which cached graph passed the probe. */
  cache?: CacheLayout;
  reason?: string;
}

const stampPath = (merged: string) => `${merged}.continuo-split.json`;

function identity(merged: string, path: string): SourceIdentity {
  const { size, mtimeMs } = statSync(path);
  return { file: relative(dirname(merged), path).split(sep).join('/'), size, mtimeMs };
}

function sha256(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

/** The stamp, if it is of this version and every source file is still the one it was made from. */
export function readStamp(merged: string): Stamp | undefined {
  try {
    const stamp = JSON.parse(readFileSync(stampPath(merged), 'utf8')) as Stamp;
    if (
      stamp.version !== SPLIT_VERSION ||
      !Array.isArray(stamp.sources) ||
      stamp.sources[0]?.file !== basename(merged) ||
      typeof stamp.derived !== 'object'
    )
      return undefined;
    const unchanged = stamp.sources.every((s) => {
      const now = identity(merged, join(dirname(merged), s.file));
      return now.size === s.size && now.mtimeMs === s.mtimeMs;
    });
    return unchanged ? stamp : undefined;
  } catch {
    return undefined;
  }
}

export function writeStamp(
  merged: string,
  sources: string[],
  files: SplitFiles,
  verdict: Omit<Stamp, 'version' | 'sources' | 'derived'>,
): void {
  try {
    const derived = Object.fromEntries(
      Object.values(files)
        .filter((f) => existsSync(f))
        .map((f) => [basename(f), sha256(f)]),
    );
    const stamp: Stamp = { version: SPLIT_VERSION, sources: sources.map((s) => identity(merged, s)), derived, ...verdict };
    writeFileAtomic(stampPath(merged), Buffer.from(JSON.stringify(stamp, null, 2)));
  } catch {
    // A read-only model folder only costs the check again next time.
  }
}

/** Why a derived file cannot be trusted, or undefined when it is the one the stamp recorded. */
export function derivedProblem(file: string, stamp: Stamp): string | undefined {
  if (!existsSync(file)) return 'missing';
  const recorded = stamp.derived[basename(file)];
  if (!recorded) return 'not recorded when the decoder was split';
  try {
    return sha256(file) === recorded ? undefined : 'contents changed since the decoder was split';
  } catch (error) {
    return `unreadable (${(error as Error).message})`;
  }
}

/** Removes the derived files and the stamp, so the next load splits and checks again. */
export function discardDerived(merged: string): void {
  for (const file of [...Object.values(splitFilesFor(merged)), stampPath(merged)]) {
    try {
      rmSync(file, { force: true });
    } catch {
      // A read-only folder: the next load cannot split either, and keeps the merged file.
    }
  }
}

export interface DerivedFileReport {
  /** Absolute path of the derived file. */
  path: string;
  state: 'ok' | 'removed';
  problem?: string;
}

/**
 * Checks the files derived from a decoder (see onnx-split) for `continuo models verify`: each one
 * must be the file recorded when the decoder was split, from the decoder as it is now. When one is
 * not, all of them and the stamp are removed, so the next load splits and checks the decoder again.
 */
export function checkDerivedFiles(merged: string): DerivedFileReport[] {
  const files = Object.values(splitFilesFor(merged)).filter((f) => existsSync(f));
  const hasStamp = existsSync(stampPath(merged));
  if (files.length === 0 && !hasStamp) return [];
  const stamp = readStamp(merged);
  const problems = files.map((f) =>
    stamp
      ? derivedProblem(f, stamp)
      : hasStamp
        ? 'derived from an older or different decoder file'
        : 'no record of the split it belongs to',
  );
  if (stamp && problems.every((p) => p === undefined)) return files.map((path) => ({ path, state: 'ok' }));
  discardDerived(merged);
  return files.map((path, i) => ({ path, state: 'removed', problem: problems[i] ?? 'belongs to a split that is rebuilt' }));
}
