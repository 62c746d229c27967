/** Generation requests and the jobs that run them. */
import { z } from 'zod';
import { id, MAX_SEED, SamplingSchema, seconds, text } from './primitives';
import { continueMusicFields, musicFields, SectionPlanSchema } from './music';

// ---- generation --------------------------------------------------------------------------------

const generationFields = {
  /** Length of new audio, in seconds. Longer than the model's window is generated in windows. */
  seconds: z.number().min(0.1).max(300).default(10),
  guidanceScale: z.number().min(1).max(20).default(3),
  sampling: SamplingSchema.default({ greedy: false, temperature: 1, topK: 250, topP: 1 }),
  /** Omitted: a random seed, reported back with the take. */
  seed: z.number().int().min(0).max(MAX_SEED).optional(),
  variations: z.number().int().min(1).max(8).default(1),
  /** Omitted: the model chosen in settings (or the best installed one). */
  modelId: id.optional(),
};

export const GenerateParamsSchema = z
  .object({ prompt: text(20_000), ...generationFields, ...musicFields })
  .refine((p) => p.bars === undefined || p.tempoBpm !== undefined, {
    message: 'a length in bars needs a tempo (tempoBpm)',
    path: ['bars'],
  });

export const RegionSchema = z
  .object({ start: seconds, end: seconds })
  .refine((r) => r.end > r.start, { message: 'the region must end after it starts' });

export const ContinueParamsSchema = z.object({
  takeId: id,
  /** The part of the take to continue from; omitted: the whole take (the model keeps the last 30 s). */
  region: RegionSchema.optional(),
  /** Omitted: the parent take's prompt. */
  prompt: text(20_000).optional(),
  /**
   * Extend the take: the new take keeps everything before the region too, and the region
   * defaults to the end of the take. Otherwise the new take starts at the region.
   */
  extend: z.boolean().default(false),
  ...generationFields,
  /** Omitted: the parent's tempo, key and signature (a length in bars uses them too). */
  ...continueMusicFields,
});

export const JobStatusSchema = z.enum(['queued', 'running', 'done', 'failed', 'cancelled']);
export const ProgressSchema = z.object({
  step: z.number().int(),
  total: z.number().int(),
  etaMs: z.number(),
  elapsedMs: z.number(),
  /** Which window of a long generation (1-based) and how many there are. */
  window: z.number().int().default(1),
  windows: z.number().int().default(1),
  /** Songs: which section (1-based) is being generated, of how many. */
  section: z.number().int().optional(),
  sections: z.number().int().optional(),
});

/**
 * What a generation job reports beyond its takes, once the engine has run: the model and device
 * that ran it, the request as resolved (the seed drawn, the model's defaults applied), warnings and
 * timings. The CLI's --json prints them; the studio may show them.
 */
export const JobResultSchema = z.object({
  modelId: z.string(),
  variant: z.string(),
  device: z.string(),
  deviceReason: z.string(),
  seed: z.number().int(),
  /** Decoder steps for the whole take, as transformers counts them: new frames + codebooks − 1. */
  maxNewTokens: z.number().int(),
  guidanceScale: z.number(),
  sampling: SamplingSchema,
  warnings: z.array(z.string()),
  timings: z.object({
    /** Loading the model for this job (about 0 when it was loaded already). */
    loadMs: z.number(),
    textEncoderMs: z.number(),
    decoderMs: z.number(),
    decoderRunMs: z.number(),
    steps: z.number().int(),
    msPerStep: z.number(),
    p95StepMs: z.number(),
    codecMs: z.number(),
    totalMs: z.number(),
  }),
  /**
   * Set when the library could not save every take (the job then fails): why, the takes it did
   * save, and where each other take's audio (WAV) and codes (JSON) were kept instead; `lost` says
   * why some could not be kept anywhere.
   */
  unsaved: z
    .object({
      reason: z.string(),
      savedTakeIds: z.array(id),
      kept: z.array(z.object({ take: z.number().int(), audio: z.string(), codes: z.string() })),
      lost: z.string().optional(),
    })
    .optional(),
});

export const JobSchema = z.object({
  id,
  kind: z.enum(['generate', 'continue', 'song', 'reroll', 'loop']),
  status: JobStatusSchema,
  prompt: z.string(),
  seconds: z.number(),
  variations: z.number().int(),
  parentId: id.nullable(),
  progress: ProgressSchema.nullable(),
  error: z.object({ code: z.string(), message: z.string() }).nullable(),
  takeIds: z.array(id),
  createdAt: z.string(),
  startedAt: z.string().nullable(),
  finishedAt: z.string().nullable(),
  /** Songs and re-rolls: the song's whole plan and the first section this job makes, so every window can draw it. */
  song: z.object({ plan: z.array(SectionPlanSchema), first: z.number().int() }).optional(),
  /** Set once the engine has run a generation (see JobResultSchema). */
  result: JobResultSchema.optional(),
});
