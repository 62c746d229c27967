/**
 * Musical time in the contract: tempo, key and time signature on generations and projects; song
 * plans (sections in bars), re-rolls, loops; and what a take remembers of them (section markers,
 * seam scores, loop points, the tempo and key measured in its audio).
 */
import { z } from 'zod';
import { KEYS, TIME_SIGNATURES, normaliseKey } from '../musical-time';
import { id, MAX_SEED, SamplingSchema, text } from './primitives';

export const TempoSchema = z.number().min(20).max(400);
/** A key as typed ("a minor", "Bbm"), stored as one of KEYS ("A minor", "Bb minor"). */
export const KeySchema = z
  .string()
  .max(40)
  .transform((typed, ctx) => {
    const key = normaliseKey(typed);
    if (!key) {
      ctx.addIssue({ code: 'custom', message: `"${typed}" is not a key: write it like "A minor" or "F# major"` });
      return z.NEVER;
    }
    return key;
  });
export const TimeSignatureSchema = z.enum(TIME_SIGNATURES);

/** Optional musical time of a quick generation: the tempo and key go into the prompt, bars set the length. */
export const musicFields = {
  tempoBpm: TempoSchema.optional(),
  key: KeySchema.optional(),
  timeSignature: TimeSignatureSchema.default('4/4'),
  /** Length in bars (needs a tempo); overrides `seconds`. */
  bars: z.number().int().min(1).max(256).optional(),
};

/** A continuation's musical time: each field omitted keeps the parent's. */
export const continueMusicFields = {
  tempoBpm: TempoSchema.optional(),
  key: KeySchema.optional(),
  timeSignature: TimeSignatureSchema.optional(),
  bars: z.number().int().min(1).max(256).optional(),
};

export const SeamScoreSchema = z.object({
  /** 0..1, 1 = seamless. */
  score: z.number(),
  loudnessJumpDb: z.number(),
  /** 0..1. */
  spectralChange: z.number(),
  /** Fraction of a beat (0..0.5); null without a tempo or beats to compare. */
  beatPhaseError: z.number().nullable(),
});

export const SectionPlanSchema = z.object({
  name: z.string().trim().min(1).max(50),
  /** Added to the song's prompt for this section ("sparse, just piano"); the whole prompt when the song has none. */
  prompt: text(2_000).default(''),
  bars: z.number().int().min(1).max(128),
});

const generationChoices = {
  guidanceScale: z.number().min(1).max(20).default(3),
  sampling: SamplingSchema.default({ greedy: false, temperature: 1, topK: 250, topP: 1 }),
  /** Omitted: random. Section i of a song uses its own seed derived from this one (stored per section). */
  seed: z.number().int().min(0).max(MAX_SEED).optional(),
  modelId: id.optional(),
};

/** Songs longer than this are refused (ten minutes). */
export const MAX_SONG_SECONDS = 600;

export const SongPlanSchema = z.object({
  title: text(200).optional(),
  /** The song's style, shared by every section ("warm lo-fi hip hop, piano and vinyl crackle"). */
  prompt: text(20_000).default(''),
  tempoBpm: TempoSchema,
  key: KeySchema.optional(),
  timeSignature: TimeSignatureSchema.default('4/4'),
  sections: z.array(SectionPlanSchema).min(1).max(32),
  /** Also keep each section as its own take (a child of the song in the lineage). */
  sectionTakes: z.boolean().default(false),
  ...generationChoices,
});

export const RerollParamsSchema = z.object({
  takeId: id,
  /** 0-based index into the song's sections. */
  section: z.number().int().min(0).max(31),
  /**
   * branch: a new song that regenerates this section and everything after it (each with its own seed);
   * in-place: only this section is new; what follows is kept, and the seam after it is scored and crossfaded.
   */
  mode: z.enum(['branch', 'in-place']).default('branch'),
  /** Omitted: a new random seed. */
  seed: z.number().int().min(0).max(MAX_SEED).optional(),
  /** Omitted: the section's prompt addition as planned. */
  prompt: text(2_000).optional(),
});

export const LOOP_BARS = [1, 2, 4, 8, 16] as const;

export const LoopParamsSchema = z.object({
  prompt: text(20_000),
  tempoBpm: TempoSchema,
  key: KeySchema.optional(),
  timeSignature: TimeSignatureSchema.default('4/4'),
  bars: z.union(
    LOOP_BARS.map((n) => z.literal(n)) as [z.ZodLiteral<1>, z.ZodLiteral<2>, z.ZodLiteral<4>, z.ZodLiteral<8>, z.ZodLiteral<16>],
  ),
  variations: z.number().int().min(1).max(4).default(1),
  ...generationChoices,
});

/** A section as made: where it sits in the take, what it was asked for, and how its start joins the previous section. */
export const SongSectionSchema = z.object({
  name: z.string(),
  /** The section's prompt addition, as planned. */
  prompt: z.string(),
  /** The prompt the model saw (song prompt + addition + key and tempo). */
  fullPrompt: z.string(),
  bars: z.number().int(),
  startFrame: z.number().int(),
  endFrame: z.number().int(),
  startSeconds: z.number(),
  endSeconds: z.number(),
  seed: z.number().int(),
  /** The seam at this section's start (null for the first section). */
  seam: SeamScoreSchema.nullable(),
  /** How many times this section was re-rolled on the way to this take (0: as first generated). */
  version: z.number().int().default(0),
});

export const TakeMusicSchema = z.object({
  tempoBpm: z.number().nullable(),
  key: z.string().nullable(),
  timeSignature: TimeSignatureSchema.nullable(),
  /** Measured in the take's audio (null where it could not be measured, e.g. too short or silent). */
  estimated: z
    .object({ tempoBpm: z.number().nullable(), tempoConfidence: z.number(), key: z.string().nullable(), keyConfidence: z.number() })
    .nullable(),
  song: z
    .object({
      title: z.string().nullable(),
      prompt: z.string(),
      /** The sections made, in order; fewer than `plannedSections` when the song was cancelled part-way. */
      sections: z.array(SongSectionSchema),
      plannedSections: z.number().int(),
      /** The whole plan, so a cancelled song can be finished and a song re-made. */
      plan: z.array(SectionPlanSchema),
    })
    .nullable(),
  /** A loop: the take is exactly `bars` bars and loops from its first to its last sample. */
  loop: z.object({ bars: z.number().int(), startSample: z.number().int(), endSample: z.number().int(), seam: SeamScoreSchema }).nullable(),
});

export const ProjectMusicParamsSchema = z.object({
  id,
  tempoBpm: TempoSchema.nullable(),
  key: KeySchema.nullable().optional(),
  timeSignature: TimeSignatureSchema.optional(),
});

export type SeamScore = z.output<typeof SeamScoreSchema>;
export type SectionPlan = z.output<typeof SectionPlanSchema>;
export type SongPlan = z.output<typeof SongPlanSchema>;
export type SongSection = z.output<typeof SongSectionSchema>;
export type TakeMusic = z.output<typeof TakeMusicSchema>;
export type RerollParams = z.output<typeof RerollParamsSchema>;
export type LoopParams = z.output<typeof LoopParamsSchema>;
export { KEYS, TIME_SIGNATURES };
