/**
 * The services for one `generate` or `continue` run, in this process with the engine in-process,
 * as the studio's. The run's --model, --variant, --device and --threads are session choices (never
 * saved to the library's settings). With --no-save the library lives in a temporary folder that is
 * removed when the run ends, so nothing is left in the user's library; models still come from the
 * data folder, and takes that cannot be kept are still recovered there.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServices, type Services } from '../main/services';
import type { SessionChoice } from '../main/services/engine-choice';
import { AUDIO_DIR } from '../main/library/audio-store';
import { CliError, errnoCode, explainWriteFailure } from './errors';

export interface RunServices {
  services: Services;
  /** False with --no-save: the library is a temporary one, and its takes are not the user's. */
  save: boolean;
  close(): Promise<void>;
}

const LIBRARY_ADVICE =
  'Nothing was generated. Repair the library or move it aside, choose another data folder with --data-dir, or add --no-save to keep only --out.';

export function openRunServices(dataDir: string, options: { save: boolean; session: SessionChoice }): RunServices {
  const scratch = options.save ? undefined : mkdtempSync(join(tmpdir(), 'continuo-unsaved-'));
  // A second Ctrl-C exits at once: the temporary library goes with the process all the same.
  const removeScratch = () => {
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  };
  process.on('exit', removeScratch);
  const dispose = () => {
    removeScratch();
    process.off('exit', removeScratch);
  };
  let services: Services;
  try {
    services = createServices({ dataDir, libraryDir: scratch, session: options.session, version: process.env.npm_package_version });
  } catch (error) {
    dispose();
    throw explainLibraryFailure(error, dataDir);
  }
  const close = async () => {
    try {
      await services.close();
    } finally {
      dispose();
    }
  };
  // Checked now, so a library that cannot take audio is reported before minutes of generation.
  const audio = join(scratch ?? dataDir, AUDIO_DIR);
  try {
    mkdirSync(audio, { recursive: true });
  } catch (error) {
    void close();
    throw new CliError(
      `The library's audio folder ${audio} cannot be created: ${explainWriteFailure(errnoCode(error), (error as Error).message)}. Nothing was generated.`,
    );
  }
  return { services, save: options.save, close };
}

function explainLibraryFailure(error: unknown, dataDir: string): CliError {
  const code = errnoCode(error);
  if (code === 'ENOSPC' || code === 'EDQUOT')
    return new CliError(`Could not open the library in ${dataDir}: ${explainWriteFailure(code, '')}. Nothing was generated.`);
  return new CliError(`${(error as Error).message.replace(/\.$/, '')}. ${LIBRARY_ADVICE}`);
}
