/** Models, settings and what the app reports about itself. */
import { z } from 'zod';
import { DEVICE_CHOICES, EXPORT_FORMATS, VARIANTS, exportRate, id } from './primitives';

// ---- models and settings -----------------------------------------------------------------------

export const DownloadProgressSchema = z.discriminatedUnion('phase', [
  z.object({ phase: z.literal('checking') }),
  z.object({
    phase: z.literal('downloading'),
    file: z.string(),
    fileIndex: z.number().int(),
    files: z.number().int(),
    bytes: z.number(),
    totalBytes: z.number().nullable(),
    bytesPerSecond: z.number(),
  }),
  z.object({ phase: z.literal('verifying'), file: z.string() }),
  z.object({ phase: z.literal('installing') }),
  /** warnings: e.g. files checked by size only, because no sha256 was published for them. */
  z.object({ phase: z.literal('complete'), dir: z.string(), warnings: z.array(z.string()).optional() }),
  z.object({ phase: z.literal('error'), message: z.string() }),
]);

export const ModelInfoSchema = z.object({
  id,
  name: z.string(),
  description: z.string(),
  repo: z.string().nullable(),
  licence: z.object({ id: z.string(), name: z.string(), url: z.string(), summary: z.string() }).nullable(),
  variants: z.array(
    z.object({
      variant: z.string(),
      /** Download size (installed: what is on disk), or null when unknown. */
      bytes: z.number().nullable(),
      /** `bytes` is the catalog's rough figure; the real list is read from the Hub at pull time. */
      approximate: z.boolean().optional(),
      /** Estimated memory to generate 30 s (weights + KV cache + runtime; see models/fit.ts). */
      memoryBytes: z.number().nullable().optional(),
      /** Measured on this computer: seconds of compute per second of audio (null: not calibrated). */
      secondsPerSecond: z.number().nullable().optional(),
    }),
  ),
  installedVariants: z.array(z.string()),
  isTestModel: z.boolean(),
  active: z.boolean(),
  download: DownloadProgressSchema.nullable(),
  /** A calibration run (models/calibrate) is measuring it now. */
  calibrating: z.boolean().optional(),
  /** Set on the one model recommended for this computer, with the variant and why. */
  recommended: z.object({ variant: z.string(), reason: z.string() }).nullable().optional(),
});

export const CalibrationResultSchema = z.object({
  id,
  variant: z.string(),
  /** Seconds of compute per second of audio. */
  secondsPerSecond: z.number(),
  audioSeconds: z.number(),
  computeSeconds: z.number(),
  device: z.string(),
});

export const SettingsSchema = z.object({
  modelId: id.nullable(),
  variant: z.enum(VARIANTS).nullable(),
  device: z.enum(DEVICE_CHOICES),
  threads: z.number().int().min(1).max(256).nullable(),
  exportFormat: z.enum(EXPORT_FORMATS),
  exportSampleRate: exportRate,
});

export const AppInfoSchema = z.object({
  version: z.string(),
  dataDir: z.string(),
  platform: z.string(),
  engine: z
    .object({
      modelId: z.string(),
      variant: z.string(),
      device: z.string(),
      deviceReason: z.string(),
      isTestModel: z.boolean(),
      sampleRate: z.number(),
      channels: z.number(),
      windowSeconds: z.number(),
      /** Which decoder path runs (split, merged, pair; the two-block cache) and, when not the fastest, why. */
      decoderMode: z.object({ mode: z.string(), cache: z.string(), note: z.string().optional() }).optional(),
    })
    .nullable(),
});
