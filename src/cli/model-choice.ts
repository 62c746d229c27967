/**
 * The model a `generate` or `continue` run uses, found and read before anything is loaded: --model
 * as an installed id or a folder, else the best installed model, else the built-in test model
 * (generated here on first use). Its config is read now, so a broken model or a request that does
 * not fit it fails in a second, not after the load.
 */
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { EngineError, type ModelSpec, type ModelVariant } from '../main/engine';
import { readModelSpec } from '../main/engine/config';
import { modelDirFor, modelVariants, resolveModel, type InstalledModel } from '../main/models/installed';
import { modelsDir } from '../main/paths';
import type { SessionChoice } from '../main/services/engine-choice';
import { pullCommand } from '../shared/cli-command';
import { CliError, errnoCode, explainWriteFailure } from './errors';
import { userPath } from './user-path';

export const TEST_MODEL_NOTICE =
  "Using Continuo's built-in test model: it has random weights and makes noise, not music. " +
  `For music, download MusicGen once (CC-BY-NC 4.0, non-commercial): ${pullCommand('musicgen-small')}`;

export interface ModelChoice {
  model: InstalledModel;
  variant: ModelVariant;
  /** The folder the engine loads (a catalog model may keep each variant in its own). */
  dir: string;
  spec: ModelSpec;
  /** What the services run with, for this run only. */
  session: SessionChoice;
}

export interface ModelFlags {
  model?: string;
  variant?: ModelVariant;
  device: SessionChoice['device'];
  threads?: number;
}

export function chooseModel(dataDir: string, flags: ModelFlags): ModelChoice {
  const model = findModel(dataDir, flags.model);
  const variant = flags.variant ?? modelVariants(model)[0] ?? 'fp32';
  const dir = modelDirFor(model, variant);
  const spec = readSpec(dir);
  // An installed model by its id, so the services treat it as installed; any other folder by its path.
  const installed = existsSync(join(modelsDir(dataDir), model.id));
  return {
    model,
    variant,
    dir,
    spec,
    session: { model: installed ? model.id : model.dir, variant, device: flags.device, threads: flags.threads },
  };
}

/** --model as an installed id, else as a folder relative to where the user typed the command. */
function findModel(dataDir: string, requested: string | undefined): InstalledModel {
  const asId = requested !== undefined && !/[\\/]/.test(requested) && existsSync(join(modelsDir(dataDir), requested));
  try {
    return resolveModel(dataDir, requested === undefined || asId ? requested : userPath(requested));
  } catch (error) {
    const code = errnoCode(error);
    if (!code) throw error;
    // Only the built-in test model is written here: a fresh data folder on a full or read-only disk.
    throw new CliError(
      `Could not write the built-in test model into ${modelsDir(dataDir)}: ${explainWriteFailure(code, (error as Error).message)}.`,
    );
  }
}

function readSpec(dir: string): ModelSpec {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    throw new EngineError(
      'model-not-found',
      `No model folder at ${dir}. Pass --model DIR, or download one with: ${pullCommand('musicgen-small')}`,
      dir,
    );
  }
  return readModelSpec(dir);
}
