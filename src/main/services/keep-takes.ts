/**
 * Saving a job's takes. When the library cannot save a generated take (a full disk, a damaged or read-only library),
 * minutes of generation must not be lost: the take's audio (WAV) and codes (JSON, which
 * `continuo continue --codes` reads) are written to the data folder's `recovered/`, else to the
 * temporary folder, and the failure says where. The services do this for every job, so the studio
 * and the CLI keep takes the same way.
 */
import { mkdirSync, rmdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApiError, type Job, type Take } from '../../shared/contract';
import { encodeWav } from '../audio';
import { writeFileAtomic } from '../atomic-file';
import type { Library, NewTake } from '../library';

export const RECOVERED_DIR = 'recovered';

export type JobResult = NonNullable<Job['result']>;
export type Unsaved = NonNullable<JobResult['unsaved']>;

export interface KeepDeps {
  library: Library;
  /** The data folder, whose recovered/ keeps what the library could not. */
  dataDir: string;
  created: (take: Take) => void;
  /** Adds to the running job's result (here: what was not saved, and where it is). */
  record?: (result: Partial<JobResult>) => void;
}

/**
 * Saves each take in order and returns their ids. When one cannot be saved, it and the rest are
 * kept as files instead and the job fails with a message saying where they are.
 */
export function saveTakes(deps: KeepDeps, takes: NewTake[]): string[] {
  const ids: string[] = [];
  for (const [index, take] of takes.entries()) {
    let saved: Take;
    try {
      saved = deps.library.saveTake(take);
    } catch (error) {
      const rest = takes.slice(index).map((t, i) => ({ index: index + i, take: t }));
      const unsaved: Unsaved = { reason: (error as Error).message, savedTakeIds: ids, ...keepElsewhere(deps.dataDir, rest) };
      deps.record?.({ unsaved });
      throw new ApiError('io', unsavedMessage(unsaved));
    }
    deps.created(saved);
    ids.push(saved.id);
  }
  return ids;
}

/** The folders tried in order: the data folder's recovered/, then the temporary folder. */
export function recoveryFolders(dataDir: string): string[] {
  return [join(dataDir, RECOVERED_DIR), join(tmpdir(), 'continuo-recovered')];
}

/**
 * Writes each take's audio and codes to the first folder that takes them all. `index` is the
 * take's place in its job, reported back with its files.
 */
export function keepElsewhere(dataDir: string, takes: { index: number; take: NewTake }[]): Pick<Unsaved, 'kept' | 'lost'> {
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  let lastError: unknown;
  for (const folder of recoveryFolders(dataDir)) {
    try {
      mkdirSync(folder, { recursive: true });
      const kept = takes.map(({ index, take }) => {
        const base = join(folder, `${stamp}-seed${take.seed}`);
        writeFileAtomic(`${base}.wav`, encodeWav(take.audio, 'float32'));
        const codes = {
          codes: take.codes,
          prompt: take.prompt,
          seed: take.seed,
          contextFrames: take.contextFrames,
          model: take.modelId,
          variant: take.modelVariant,
        };
        writeFileAtomic(`${base}.json`, Buffer.from(`${JSON.stringify(codes)}\n`));
        return { take: index, audio: `${base}.wav`, codes: `${base}.json` };
      });
      return { kept };
    } catch (error) {
      lastError = error;
      try {
        rmdirSync(folder); // only succeeds while it is still empty
      } catch {
        // it holds earlier recoveries, or was never made
      }
    }
  }
  return { kept: [], lost: (lastError as Error).message };
}

/**
 * One sentence for the musician: why the takes were not saved (`reasonSuffix` lets a caller add
 * advice of its own), then where each take is — `written`: files a caller wrote them to itself
 * (the CLI's --out), in place of the recovered copies.
 */
export function unsavedMessage(
  unsaved: { reason: string } & TakesWhere,
  options: { written?: string[]; reasonSuffix?: string } = {},
): string {
  const why = `Could not save the take in the library: ${unsaved.reason.replace(/\.$/, '')}${options.reasonSuffix ?? ''}.`;
  return [why, whereTakesAre({ ...unsaved, written: options.written ?? [] })].filter(Boolean).join(' ');
}

/** Where takes are after a failure: takes saved, takes recovered as files, and why others could not be kept. */
export interface TakesWhere {
  savedTakeIds: string[];
  kept: { audio: string }[];
  lost?: string;
}

/** Where takes are after a failure: files written (`written`), takes saved, takes recovered, takes lost. */
export function whereTakesAre(where: TakesWhere & { written: string[] }): string {
  const parts: string[] = [];
  if (where.written.length) parts.push(`The audio is in ${where.written.join(', ')}.`);
  const saved = where.savedTakeIds;
  if (saved.length)
    parts.push(`Saved in the library as take${saved.length > 1 ? 's' : ''} ${saved.map((id) => id.slice(0, 8)).join(', ')}.`);
  if (where.kept.length) {
    const files = where.kept.map((k) => k.audio).join(', ');
    parts.push(`The audio was kept in ${files} (and its codes beside it, for "continuo continue --codes").`);
  }
  if (where.lost !== undefined) parts.push(`The audio could not be kept anywhere either (${where.lost}).`);
  return parts.join(' ');
}
