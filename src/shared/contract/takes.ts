/** Takes: what generation, continuation, edits and imports leave in the library. */
import { z } from 'zod';
import { id, SamplingSchema, text } from './primitives';
import { RegionSchema } from './generation';
import { TakeMusicSchema } from './music';

// ---- takes -------------------------------------------------------------------------------------

export const TakeSettingsSchema = z.object({
  seconds: z.number(),
  maxNewTokens: z.number().int(),
  guidanceScale: z.number(),
  sampling: SamplingSchema,
  variations: z.number().int(),
});

export const TakeKindSchema = z.enum(['generate', 'continue', 'edit', 'import']);
export const EditsSchema = z.object({
  trim: RegionSchema.optional(),
  fadeIn: z.number().min(0).max(600).optional(),
  fadeOut: z.number().min(0).max(600).optional(),
  gainDb: z.number().min(-60).max(24).optional(),
});

export const TakeSchema = z.object({
  id,
  kind: TakeKindSchema,
  prompt: z.string(),
  title: z.string().nullable(),
  modelId: z.string(),
  modelVariant: z.string(),
  device: z.string(),
  seed: z.number().int(),
  settings: TakeSettingsSchema,
  sampleRate: z.number().int(),
  channels: z.number().int(),
  /** Length in codec frames (50 per second for MusicGen); 0 for audio without codes. */
  frames: z.number().int(),
  /** Of those frames, how many came from the parent (the continued region, or the whole take when extending). */
  contextFrames: z.number().int(),
  durationSeconds: z.number(),
  parentId: id.nullable(),
  region: z.object({ start: z.number(), end: z.number() }).nullable(),
  edits: EditsSchema.nullable(),
  favourite: z.boolean(),
  tags: z.array(z.string()),
  createdAt: z.string(),
  deletedAt: z.string().nullable(),
  /** Tempo, key and signature asked for and measured; song sections; loop points. Null for takes made without musical time. */
  music: TakeMusicSchema.nullable(),
});

export const TakeQuerySchema = z.object({
  search: text(500).optional(),
  favourite: z.boolean().optional(),
  tag: text(100).optional(),
  modelId: id.optional(),
  /** true: only takes in the trash. */
  trash: z.boolean().default(false),
  limit: z.number().int().min(1).max(500).default(50),
  offset: z.number().int().min(0).default(0),
});

const tag = z.string().trim().min(1).max(50);

export const TakeUpdateSchema = z.object({
  id,
  title: text(200).nullable().optional(),
  favourite: z.boolean().optional(),
  tags: z.array(tag).max(30).optional(),
});

export const EditParamsSchema = z.object({ takeId: id, ...EditsSchema.shape });
