/**
 * After the jobs: each take written to its --out file from what the services kept — the saved take,
 * or, when the library could not save it, the copy the services recovered (which is then removed:
 * the take is in --out). When anything fails, one message says why and where every take is.
 */
import { readFileSync, rmSync, rmdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { decodeWav, type AudioData, type SampleFormat } from '../main/audio';
import type { Library } from '../main/library';
import { keepElsewhere, unsavedMessage, whereTakesAre, type TakesWhere, type Unsaved } from '../main/services/keep-takes';
import type { Take } from '../shared/contract';
import { writeTakes, type OutputFile } from './output';

/** Where one take of the run is once its job ended. */
export type KeptTake = { saved: Take } | { recovered: { audio: string; codes: string } } | { lost: string };

export interface KeepOptions {
  outputs: OutputFile[];
  format: SampleFormat;
  /** The services' library; `save` false when it is a temporary one (--no-save). */
  library: Library;
  save: boolean;
  dataDir: string;
}

export interface Kept {
  /** The --out path of each take (null: none, or not written). */
  paths: (string | null)[];
  /** Files that could not be written, one sentence each. */
  problems: string[];
  /** Where the takes are, for a message when anything failed (see failureMessage). */
  where: TakesWhere & { written: string[] };
}

export function keepOutputs(takes: KeptTake[], options: KeepOptions): Kept {
  const problems: string[] = [];
  const paths = takes.map((take, i) => {
    const output = options.outputs[i];
    if (!output || 'lost' in take) return null;
    try {
      return writeTakes([audioOf(take, options.library)], [output], options.format, ['saved' in take ? take.saved.music : null])[0];
    } catch (error) {
      problems.push((error as Error).message);
      return null;
    }
  });
  // A recovered copy of a take that is now in --out would be a second, unmentioned copy.
  takes.forEach((take, i) => {
    if (paths[i] && 'recovered' in take) removeRecovered(take.recovered);
  });
  // Takes only in a temporary library (--no-save) whose --out failed must be kept somewhere too.
  const unkept = options.save ? [] : takes.flatMap((t, i) => ('saved' in t && !paths[i] ? [{ index: i, take: t.saved }] : []));
  const rescued = unkept.length
    ? keepElsewhere(
        options.dataDir,
        unkept.map(({ index, take }) => ({
          index,
          take: { ...take, audio: options.library.readAudio(take.id), codes: options.library.getCodes(take.id) },
        })),
      )
    : { kept: [] };
  return {
    paths,
    problems,
    where: {
      written: paths.filter((p): p is string => p !== null),
      savedTakeIds: options.save ? takes.flatMap((t) => ('saved' in t ? [t.saved.id] : [])) : [],
      kept: [...takes.flatMap((t, i) => ('recovered' in t && !paths[i] ? [t.recovered] : [])), ...rescued.kept],
      lost: rescued.lost ?? takes.find((t): t is { lost: string } => 'lost' in t)?.lost,
    },
  };
}

/**
 * The one message for a run where something failed: the job's failure (when the library could not
 * save its takes, `unsaved`'s reason), the files that could not be written, then where every take is.
 */
export function failureMessage(kept: Kept, failure?: { message: string; unsaved?: Unsaved }): string {
  const { where } = kept;
  if (failure?.unsaved) {
    const reason = failure.unsaved.reason;
    // The services' advice is the studio's; a terminal can also point the data folder elsewhere.
    const reasonSuffix =
      /the disk is full/i.test(reason) && !/--data-dir/.test(reason) ? ' (or choose another data folder with --data-dir)' : '';
    return [...kept.problems, unsavedMessage({ ...where, reason }, { written: where.written, reasonSuffix })].join(' ');
  }
  return [failure?.message, ...kept.problems, whereTakesAre(where)].filter(Boolean).join(' ');
}

function audioOf(take: Exclude<KeptTake, { lost: string }>, library: Library): AudioData {
  if ('saved' in take) return library.readAudio(take.saved.id);
  return decodeWav(readFileSync(take.recovered.audio), take.recovered.audio);
}

function removeRecovered(files: { audio: string; codes: string }): void {
  rmSync(files.audio, { force: true });
  rmSync(files.codes, { force: true });
  try {
    rmdirSync(dirname(files.audio)); // only succeeds while it is empty
  } catch {
    // it holds other recoveries
  }
}
