/**
 * What a caller may ask of the engine, checked against the loaded model before any work starts,
 * with defaults taken from the model's generation_config.json.
 */
import { checkCodes } from './codec';
import type { ModelSpec } from './config';
import { promptPositions, type Codes } from './delay-pattern';
import { EngineError } from './errors';
import { MAX_SEED, randomSeed } from './rng';
import type { SamplingSettings } from './sampler';
import type { PromptTokenizer } from './tokenizer';

export interface GenerateRequest {
  /** One or more prompts; an empty prompt generates unconditioned music. */
  prompts: string[];
  /** Takes per prompt, generated in the same batch. */
  variations?: number;
  /** Decoder steps, as transformers' max_new_tokens: new frames = maxNewTokens + 1 - codebooks. */
  maxNewTokens: number;
  /** Classifier-free guidance scale; 1 turns guidance off. */
  guidanceScale?: number;
  sampling?: Partial<SamplingSettings>;
  /** Base seed; take i uses seed + i. Random when omitted. */
  seed?: number;
  /** Codes to continue from ([codebook][frame]); they come back unchanged at the start of each take. */
  context?: Codes;
  /** Or one context per take (prompts × variations), all with the same number of frames. */
  contexts?: Codes[];
  /** false: return codes only (long-form decodes once, at the end). */
  decodeAudio?: boolean;
}

export interface ResolvedRequest {
  prompts: string[];
  variations: number;
  maxNewTokens: number;
  guidanceScale: number;
  sampling: SamplingSettings;
  seed: number;
  /** One per take, or undefined when not continuing. */
  contexts?: Codes[];
}

export const MAX_BATCH = 16;
/** Longer prompts are cut here before tokenizing; the text encoder's own limit is far below. */
const MAX_PROMPT_CHARS = 20_000;

function invalid(message: string): never {
  throw new EngineError('request-invalid', message);
}

function checkNumber(value: number, name: string, min: number, max: number, integer = false): void {
  if (typeof value !== 'number' || !Number.isFinite(value) || (integer && !Number.isInteger(value)) || value < min || value > max) {
    invalid(`${name} must be ${integer ? 'an integer' : 'a number'} from ${min} to ${max} (got ${value}).`);
  }
}

export function validateRequest(
  request: GenerateRequest,
  spec: ModelSpec,
  tokenizer: PromptTokenizer,
): { resolved: ResolvedRequest; warnings: string[] } {
  const warnings: string[] = [];
  if (!Array.isArray(request.prompts) || request.prompts.length === 0) invalid('At least one prompt is needed (it may be empty).');
  const variations = request.variations ?? 1;
  checkNumber(variations, 'variations', 1, MAX_BATCH, true);
  if (request.prompts.length * variations > MAX_BATCH) invalid(`At most ${MAX_BATCH} takes fit in one batch (prompts × variations).`);

  const prompts = request.prompts.map((prompt, i) => {
    if (typeof prompt !== 'string') invalid(`Prompt ${i + 1} is not text.`);
    const text = prompt.length > MAX_PROMPT_CHARS ? prompt.slice(0, MAX_PROMPT_CHARS) : prompt;
    const { truncated } = tokenizer.encodeOne(text);
    if (truncated > 0 || text !== prompt) {
      warnings.push(`Prompt ${i + 1} is longer than the text encoder's ${tokenizer.maxLength} tokens; only its beginning is used.`);
    }
    return text;
  });

  const contexts = resolveContexts(request, prompts.length * variations, spec);
  const contextFrames = contexts?.[0][0].length ?? 0;
  const { codebooks, maxPositions } = spec;
  checkNumber(request.maxNewTokens, 'max-new-tokens', codebooks, maxPositions, true);
  const positions = promptPositions(contextFrames) + request.maxNewTokens;
  if (positions > maxPositions) {
    invalid(
      `Context (${contextFrames} frames) plus ${request.maxNewTokens} new tokens exceed this model's window of ${maxPositions} positions. ` +
        'Use a shorter context or fewer new tokens; extend in several steps for longer pieces.',
    );
  }

  const guidanceScale = request.guidanceScale ?? spec.defaults.guidanceScale;
  checkNumber(guidanceScale, 'guidance', 1, 20);
  const sampling = resolveSampling(request.sampling ?? {}, spec, warnings);
  const seed = request.seed ?? randomSeed();
  checkNumber(seed, 'seed', 0, MAX_SEED, true);

  return { resolved: { prompts, variations, maxNewTokens: request.maxNewTokens, guidanceScale, sampling, seed, contexts }, warnings };
}

/**
 * Sampling settings as transformers applies them: a top-k above the codebook size keeps the whole
 * codebook (TopKLogitsWarper takes min(top_k, vocab)), so a model default of 250 works for any
 * codebook. Greedy decoding ignores the sampling defaults altogether; only values the caller gave
 * are checked, and an explicit top-k above the codebook is lowered to it with a warning.
 */
function resolveSampling(s: Partial<SamplingSettings>, spec: ModelSpec, warnings: string[]): SamplingSettings {
  const greedy = s.greedy ?? !spec.defaults.doSample;
  const temperature = s.temperature ?? spec.defaults.temperature;
  const topP = s.topP ?? spec.defaults.topP;
  let topK = s.topK ?? spec.defaults.topK;
  if (s.temperature !== undefined || !greedy) checkNumber(temperature, 'temperature', 0.01, 10);
  if (s.topP !== undefined || !greedy) checkNumber(topP, 'top-p', 0.01, 1);
  if (s.topK !== undefined && (typeof s.topK !== 'number' || !Number.isInteger(s.topK) || s.topK < 0)) {
    invalid(`top-k must be a whole number, 0 or more (0 keeps every code) (got ${s.topK}).`);
  }
  if (topK > spec.codebookSize) {
    if (s.topK !== undefined && !greedy) {
      warnings.push(
        `top-k ${topK} is more than the ${spec.codebookSize} codes this model picks from, so all ${spec.codebookSize} are kept.`,
      );
    }
    topK = spec.codebookSize;
  }
  return { greedy, temperature, topK, topP };
}

function resolveContexts(request: GenerateRequest, takes: number, spec: ModelSpec): Codes[] | undefined {
  if (request.context && request.contexts) invalid('Give either one context or one per take, not both.');
  const contexts = request.contexts ?? (request.context ? Array.from({ length: takes }, () => request.context!) : undefined);
  if (!contexts) return undefined;
  if (contexts.length !== takes) invalid(`Expected ${takes} contexts (one per take), got ${contexts.length}.`);
  const frames = contexts.map((c) => checkCodes(c, spec, 'context codes'));
  if (frames[0] === 0) invalid('The context to continue from is empty.');
  if (frames.some((f) => f !== frames[0])) invalid("Every take's context must have the same number of frames.");
  return contexts;
}
