/**
 * Options shared by `generate` and `continue`, and their translation into an engine request.
 * Defaults follow the model's generation_config.json (guidance 3, top-k 250, sampling on); a
 * default top-k above the model's codebook size keeps the whole codebook, as in transformers.
 */
import { Option, type Command } from 'commander';
import {
  DEVICES,
  MAX_SEED,
  MODEL_VARIANTS,
  type DeviceChoice,
  type GenerateRequest,
  type ModelSpec,
  type ModelVariant,
} from '../main/engine';
import { maxNewTokensForFrames, secondsToFrames } from '../shared/units';
import { CliError } from './errors';
import { collect, decimal, integer, oneOf } from './parse';
import { SAMPLE_FORMATS, type SampleFormat } from './output';

export interface GenerationFlags {
  model?: string;
  device: DeviceChoice;
  variant?: ModelVariant;
  threads?: number;
  prompt?: string[];
  maxNewTokens?: number;
  seconds?: number;
  guidance?: number;
  greedy?: boolean;
  seed?: number;
  topK?: number;
  topP?: number;
  temperature?: number;
  variations: number;
  out?: string;
  format: SampleFormat;
  save: boolean;
  json?: boolean;
  progress?: boolean;
}

export function addGenerationOptions(command: Command, defaultSeconds: number): Command {
  return command
    .option('--model <dir|id>', 'model folder or installed model id (default: the best installed model)')
    .addOption(new Option('--device <device>', 'execution provider').choices(DEVICES).default('auto'))
    .addOption(new Option('--variant <variant>', 'model file variant (default: the best one installed)').choices(MODEL_VARIANTS))
    .option('--threads <n>', 'CPU threads for inference (default: all cores)', integer(1, 256))
    .option('--prompt <text>', 'what to generate; repeat for a batch of prompts', collect)
    .addOption(
      new Option('--max-new-tokens <n>', 'decoder steps, as transformers (frames = n + 1 - codebooks)')
        .argParser(integer(1, 100_000))
        .conflicts('seconds'),
    )
    .option('--seconds <s>', `length of new audio in seconds (default ${defaultSeconds})`, decimal(0.05, 600))
    .option('--guidance <g>', 'classifier-free guidance scale, 1 = off (default from the model, usually 3)', decimal(1, 20))
    .addOption(
      new Option('--greedy', 'always pick the most likely token (no randomness)').conflicts(['seed', 'topK', 'topP', 'temperature']),
    )
    .option('--seed <n>', 'random seed; take i uses seed + i (default: random)', integer(0, MAX_SEED))
    .option('--top-k <k>', 'sample among the k most likely codes, 0 = all (default from the model, usually 250)', integer(0, 1_000_000))
    .option('--top-p <p>', 'sample within the most likely tokens summing to p (default 1 = off)', decimal(0.01, 1))
    .option('--temperature <t>', 'sampling temperature (default 1)', decimal(0.01, 10))
    .option('--variations <n>', 'takes per prompt, generated together', integer(1, 16), 1)
    .option('--out <file.wav>', 'write the audio here (several takes: name-1.wav, name-2.wav, …)')
    .addOption(new Option('--format <format>', 'WAV sample format').argParser(oneOf(SAMPLE_FORMATS)).default('pcm16'))
    .option('--no-save', 'do not keep the take in the library')
    .option('--json', 'print one JSON object with codes, timings and files on stdout')
    .option('--progress', 'print progress lines on stderr (default: only on a terminal)');
}

export function buildRequest(flags: GenerationFlags, spec: ModelSpec, defaultSeconds: number): Omit<GenerateRequest, 'context'> {
  const seconds = flags.seconds ?? defaultSeconds;
  const maxNewTokens = flags.maxNewTokens ?? maxNewTokensForFrames(secondsToFrames(seconds, spec), spec.codebooks);
  if (maxNewTokens < spec.codebooks) {
    throw new CliError(
      `--max-new-tokens must be at least ${spec.codebooks} for this model (its ${spec.codebooks} codebooks need ${spec.codebooks - 1} steps before the first frame).`,
    );
  }
  if (flags.topK !== undefined && flags.topK > spec.codebookSize) {
    throw new CliError(
      `--top-k ${flags.topK} is more than the ${spec.codebookSize} codes this model picks from: give at most ${spec.codebookSize}, or 0 for all of them.`,
      2,
    );
  }
  return {
    prompts: flags.prompt ?? [''],
    variations: flags.variations,
    maxNewTokens,
    guidanceScale: flags.guidance,
    seed: flags.seed,
    sampling: { greedy: flags.greedy, topK: flags.topK, topP: flags.topP, temperature: flags.temperature },
  };
}
