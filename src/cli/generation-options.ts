/**
 * Options shared by `generate` and `continue`, and their translation into a request for the services.
 * Defaults follow the model's generation_config.json (guidance 3, top-k 250, sampling on); a
 * default top-k above the model's codebook size keeps the whole codebook, as in transformers.
 */
import { InvalidArgumentError, Option, type Command } from 'commander';
import { barToFrame, normaliseKey, TIME_SIGNATURES, type TimeSignature } from '../shared/musical-time';
import { DEVICES, MAX_SEED, MODEL_VARIANTS, randomSeed, type DeviceChoice, type ModelSpec, type ModelVariant } from '../main/engine';
import { framesForMaxNewTokens, framesToSeconds, maxNewTokensForFrames, secondsToFrames } from '../shared/units';
import { CliError } from './errors';
import { collect, decimal, integer, oneOf } from './parse';
import { SAMPLE_FORMATS, type SampleFormat } from './output';

/** The shortest and longest new audio the services generate (GenerateParamsSchema.seconds). */
export const MIN_SECONDS = 0.1;
export const MAX_SECONDS = 300;

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
  tempo?: number;
  key?: string;
  signature?: TimeSignature;
  bars?: number;
}

/** Which model runs, and where: for this run only (never saved to the studio's settings). */
export function addModelOptions(command: Command): Command {
  return command
    .option('--model <dir|id>', 'model folder or installed model id (default: the best installed model)')
    .addOption(new Option('--device <device>', 'execution provider').choices(DEVICES).default('auto'))
    .addOption(new Option('--variant <variant>', 'model file variant (default: the best one installed)').choices(MODEL_VARIANTS))
    .option('--threads <n>', 'CPU threads for inference (default: all cores)', integer(1, 256));
}

/** Tempo, key and time signature: they go into the prompt in the model's words, and set the length in bars. */
export function addMusicOptions(command: Command): Command {
  return command
    .option('--tempo <bpm>', 'tempo in quarter notes per minute, added to the prompt ("120 bpm")', decimal(20, 400))
    .option('--key <key>', 'key, added to the prompt, e.g. "A minor", "F# major", "Bbm"', musicalKey)
    .addOption(
      new Option('--signature <sig>', 'time signature, e.g. 3/4 (default 4/4; with --tempo it sets the length of a bar)')
        .choices(TIME_SIGNATURES)
        .default('4/4'),
    );
}

/** --key as typed, in the one spelling the library stores. */
function musicalKey(value: string): string {
  const key = normaliseKey(value);
  if (!key) throw new InvalidArgumentError(`expected a key such as "A minor", "F# major" or "Bbm", got "${value}".`);
  return key;
}

export function addGenerationOptions(command: Command, defaultSeconds: number): Command {
  return addMusicOptions(addModelOptions(command))
    .option('--prompt <text>', 'what to generate; repeat for a batch of prompts', collect)
    .addOption(
      new Option('--max-new-tokens <n>', 'decoder steps, as transformers (frames = n + 1 - codebooks)')
        .argParser(integer(1, 100_000))
        .conflicts('seconds'),
    )
    .option(
      '--seconds <s>',
      `length of new audio in seconds; past the model's 30 s window it is generated in windows (default ${defaultSeconds})`,
      decimal(MIN_SECONDS, MAX_SECONDS),
    )
    .addOption(
      new Option('--bars <n>', 'length in bars at --tempo (exact on the bar grid)')
        .argParser(integer(1, 256))
        .conflicts(['seconds', 'maxNewTokens']),
    )
    .option('--guidance <g>', 'classifier-free guidance scale, 1 = off (default from the model, usually 3)', decimal(1, 20))
    .addOption(
      new Option('--greedy', 'always pick the most likely token (no randomness)').conflicts(['seed', 'topK', 'topP', 'temperature']),
    )
    .option('--seed <n>', 'random seed; take i uses seed + i (default: random)', integer(0, MAX_SEED))
    .option('--top-k <k>', 'sample among the k most likely codes, 0 = all (default from the model, usually 250)', integer(0, 1_000_000))
    .option('--top-p <p>', 'sample within the most likely tokens summing to p (default 1 = off)', decimal(0.01, 1))
    .option('--temperature <t>', 'sampling temperature (default 1)', decimal(0.01, 10))
    .option('--variations <n>', 'takes per prompt, generated together', integer(1, 8), 1)
    .option('--out <file.wav>', 'write the audio here (several takes: name-1.wav, name-2.wav, …)')
    .addOption(new Option('--format <format>', 'WAV sample format').argParser(oneOf(SAMPLE_FORMATS)).default('pcm16'))
    .option('--no-save', 'do not keep the take in the library')
    .option('--json', 'print one JSON object with codes, timings and files on stdout')
    .option('--progress', 'print progress lines on stderr (default: only on a terminal)');
}

/** A request as the services take it, with everything the model decides filled in (see buildRequest). */
export interface RunRequest {
  prompts: string[];
  /** Length of new audio; `frames` of the model's codec. */
  seconds: number;
  frames: number;
  guidanceScale: number;
  sampling: { greedy: boolean; temperature: number; topK: number; topP: number };
  /** Take i of the run uses seed + i (drawn here when not given, so a batch of prompts shares it). */
  seed: number;
  variations: number;
  /** Tempo, key and signature for the services (they go into the prompt); bars set the length exactly. */
  music: { tempoBpm?: number; key?: string; timeSignature?: TimeSignature; bars?: number };
}

/**
 * The flags as a request for the services. What the user did not type comes from the model's
 * generation_config.json, as the engine would take it: the services' own defaults are the studio's,
 * and the CLI promises the model's. --max-new-tokens becomes the length in seconds it means.
 */
export function buildRequest(flags: GenerationFlags, spec: ModelSpec, defaultSeconds: number): RunRequest {
  let frames: number;
  if (flags.maxNewTokens !== undefined) {
    if (flags.maxNewTokens < spec.codebooks) {
      throw new CliError(
        `--max-new-tokens must be at least ${spec.codebooks} for this model (its ${spec.codebooks} codebooks need ${spec.codebooks - 1} steps before the first frame).`,
      );
    }
    frames = framesForMaxNewTokens(flags.maxNewTokens, spec.codebooks);
    const [least, most] = [MIN_SECONDS, MAX_SECONDS].map((s) => maxNewTokensForFrames(secondsToFrames(s, spec), spec.codebooks));
    if (flags.maxNewTokens < least || flags.maxNewTokens > most) {
      throw new CliError(
        `--max-new-tokens ${flags.maxNewTokens} makes ${frames} frames (${framesToSeconds(frames, spec)} s); Continuo generates ${MIN_SECONDS} to ${MAX_SECONDS} s at a time: give ${least} to ${most}.`,
        2,
      );
    }
  } else if (flags.bars !== undefined) {
    if (flags.tempo === undefined) throw new CliError('--bars needs a tempo: add --tempo BPM (and --signature if not 4/4).', 2);
    frames = barToFrame(flags.bars, { tempoBpm: flags.tempo, timeSignature: flags.signature ?? '4/4' }, spec);
  } else {
    frames = secondsToFrames(flags.seconds ?? defaultSeconds, spec);
  }
  if (flags.topK !== undefined && flags.topK > spec.codebookSize) {
    throw new CliError(
      `--top-k ${flags.topK} is more than the ${spec.codebookSize} codes this model picks from: give at most ${spec.codebookSize}, or 0 for all of them.`,
      2,
    );
  }
  const { defaults } = spec;
  return {
    prompts: flags.prompt ?? [''],
    seconds:
      flags.maxNewTokens !== undefined || flags.bars !== undefined ? framesToSeconds(frames, spec) : (flags.seconds ?? defaultSeconds),
    frames,
    guidanceScale: flags.guidance ?? defaults.guidanceScale,
    sampling: {
      greedy: flags.greedy ?? !defaults.doSample,
      temperature: flags.temperature ?? defaults.temperature,
      // A default top-k above the codebook keeps the whole codebook (as transformers): the same as all of it.
      topK: flags.topK ?? Math.min(defaults.topK, spec.codebookSize),
      topP: flags.topP ?? defaults.topP,
    },
    seed: flags.seed ?? randomSeed(),
    variations: flags.variations,
    music: { tempoBpm: flags.tempo, key: flags.key, timeSignature: flags.signature, bars: flags.bars },
  };
}
