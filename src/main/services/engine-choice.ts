/**
 * Which model, variant, device and threads a job runs with: the job's own model, else this
 * session's choices (the CLI's --model, --variant, --device and --threads: for one run, never
 * saved), else the saved settings, else the best installed model (the built-in test model on a
 * fresh data folder).
 */
import { isAbsolute } from 'node:path';
import { ApiError, type Settings } from '../../shared/contract';
import { pullCommand } from '../../shared/cli-command';
import type { DeviceChoice, ModelVariant } from '../engine';
import { listInstalledModels, modelDirFor, modelVariants, resolveModel, type InstalledModel } from '../models/installed';
import type { LoadOptions } from './engine-host';

/** Choices that hold for one services instance only (a CLI run). */
export interface SessionChoice {
  /** An installed model's id, or the absolute path of a model folder. */
  model?: string;
  variant?: ModelVariant;
  device?: DeviceChoice;
  threads?: number;
}

export interface EngineChoice {
  /** The model, its `dir` the folder of the chosen variant. */
  model: InstalledModel;
  options: LoadOptions;
}

export function chooseEngine(
  dataDir: string,
  settings: Settings,
  session: SessionChoice,
  modelId?: string,
  variantWanted?: ModelVariant,
): EngineChoice {
  const fromSession = modelId === undefined && session.model !== undefined;
  const wanted = modelId ?? session.model ?? settings.modelId ?? undefined;
  // A folder is the session's own choice (the CLI checked it); only ids must be installed.
  const isFolder = fromSession && isAbsolute(wanted!);
  if (wanted && !isFolder && !listInstalledModels(dataDir).some((m) => m.id === wanted)) {
    throw new ApiError(
      'model-unavailable',
      `The model "${wanted}" is not installed. Download it in the Models view (or: ${pullCommand(wanted)}).`,
    );
  }
  const model = resolveModel(dataDir, wanted);
  const variants = modelVariants(model);
  const asked = variantWanted ?? (fromSession ? session.variant : undefined);
  // A folder without any decoder file fails at load, naming the file that is missing.
  if (asked && !variants.includes(asked) && (variants.length > 0 || !fromSession)) {
    throw new ApiError(
      'model-unavailable',
      `${model.id} has no ${asked} variant installed (installed: ${variants.join(', ') || 'none'}). Download it first: ${pullCommand(model.id, asked)}`,
    );
  }
  const variant = asked ?? (settings.variant && variants.includes(settings.variant) ? settings.variant : (variants[0] ?? 'fp32'));
  return {
    // A model installed one folder per variant loads that variant's folder.
    model: { ...model, dir: modelDirFor(model, variant) },
    options: { variant, device: session.device ?? settings.device, threads: session.threads ?? settings.threads ?? undefined },
  };
}
