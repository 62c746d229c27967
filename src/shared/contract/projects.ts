/** Projects: tracks of clips arranged in time. */
import { z } from 'zod';
import { id, seconds } from './primitives';
import { TimeSignatureSchema } from './music';

// ---- projects ----------------------------------------------------------------------------------

export const ClipSchema = z.object({
  id,
  trackId: id,
  takeId: id,
  startSeconds: seconds,
  offsetSeconds: seconds,
  durationSeconds: z.number().positive().max(36_000),
  gainDb: z.number().min(-60).max(24),
  fadeInSeconds: z.number().min(0).max(600),
  fadeOutSeconds: z.number().min(0).max(600),
});

export const TrackSchema = z.object({
  id,
  name: z.string(),
  position: z.number().int(),
  gainDb: z.number(),
  muted: z.boolean(),
  /** When any track is soloed, only soloed tracks are heard (in playback and the exported mix). */
  solo: z.boolean(),
  clips: z.array(ClipSchema),
});

export const ProjectSchema = z.object({
  id,
  name: z.string(),
  createdAt: z.string(),
  updatedAt: z.string(),
  /** The project's tempo, or null: exports carry it (WAV `acid` chunk) for a DAW. */
  tempoBpm: z.number().nullable(),
  /** The project's key ("A minor") and time signature: new generations in the project use them. */
  key: z.string().nullable(),
  timeSignature: TimeSignatureSchema,
  tracks: z.array(TrackSchema),
});

export const name = z.string().trim().min(1).max(200);
