/**
 * The API contract between the studio's renderer and the main process: every method's params and
 * result and every event, as zod schemas with inferred types. Both transports (Electron IPC and
 * the loopback WebSocket) validate against these, and the services implement exactly these.
 * No Node, no DOM: this module is imported on both sides.
 */
import { z } from 'zod';

export const MAX_SEED = 0xffffffff;
export const DEVICE_CHOICES = ['auto', 'cpu', 'webgpu', 'cuda', 'dml', 'coreml'] as const;
export const VARIANTS = ['fp32', 'fp16', 'q8', 'int8', 'uint8', 'q4', 'q4f16', 'bnb4'] as const;
export const EXPORT_FORMATS = ['wav16', 'wav24', 'wav32f', 'flac16', 'flac24'] as const;

const id = z.string().min(1).max(100);
const exportRate = z.union([z.literal(32000), z.literal(44100), z.literal(48000)]);
const seconds = z.number().finite().min(0).max(36_000);
const text = (max: number) => z.string().max(max);

// ---- generation --------------------------------------------------------------------------------

export const SamplingSchema = z.object({
  greedy: z.boolean().default(false),
  temperature: z.number().min(0.01).max(10).default(1),
  topK: z.number().int().min(0).max(2048).default(250),
  topP: z.number().min(0.01).max(1).default(1),
});

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

export const GenerateParamsSchema = z.object({ prompt: text(20_000), ...generationFields });

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
});

export const JobSchema = z.object({
  id,
  kind: z.enum(['generate', 'continue']),
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
});

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
  tracks: z.array(TrackSchema),
});

const name = z.string().trim().min(1).max(200);

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
    })
    .nullable(),
});

const empty = z.object({}).strict();
const ok = z.object({ ok: z.literal(true) });
const byId = z.object({ id });

/** Export levels: loudness normalisation under a true-peak ceiling, or a limiter at the ceiling. */
const exportLevels = {
  targetLufs: z.number().min(-40).max(0).optional(),
  ceilingDb: z.number().min(-12).max(0).optional(),
  limit: z.boolean().optional(),
};
/** What an export measured in what it wrote (null: silence), and anything the user should know (it would clip). */
const exportMeasured = { loudnessLufs: z.number().nullable(), truePeakDb: z.number().nullable(), warnings: z.array(z.string()) };

function method<P extends z.ZodType, R extends z.ZodType>(params: P, result: R) {
  return { params, result };
}

/** Every method the studio can call, named `namespace/verb`. */
export const methods = {
  'app/info': method(empty, AppInfoSchema),
  'jobs/generate': method(GenerateParamsSchema, JobSchema),
  'jobs/continue': method(ContinueParamsSchema, JobSchema),
  'jobs/cancel': method(byId, JobSchema),
  'jobs/list': method(empty, z.array(JobSchema)),
  'takes/list': method(TakeQuerySchema, z.object({ takes: z.array(TakeSchema), total: z.number().int() })),
  'takes/get': method(byId, TakeSchema),
  'takes/update': method(TakeUpdateSchema, TakeSchema),
  'takes/delete': method(byId, TakeSchema),
  'takes/restore': method(byId, TakeSchema),
  'takes/lineage': method(byId, z.object({ ancestors: z.array(TakeSchema), descendants: z.array(TakeSchema) })),
  'takes/edit': method(EditParamsSchema, TakeSchema),
  /**
   * An audio file on this computer becomes an `import` take. Only Electron (a path from a drop or
   * the open dialog) and the CLI call it; browser mode uploads the bytes (POST /import) instead.
   */
  'takes/import': method(z.object({ path: z.string().min(1).max(4096), title: text(200).optional() }), TakeSchema),
  'takes/tags': method(empty, z.array(z.object({ tag: z.string(), count: z.number().int() }))),
  'trash/empty': method(empty, z.object({ removed: z.number().int() })),
  'projects/list': method(empty, z.array(ProjectSchema.omit({ tracks: true }))),
  'projects/create': method(z.object({ name }), ProjectSchema),
  'projects/get': method(byId, ProjectSchema),
  'projects/rename': method(z.object({ id, name }), ProjectSchema),
  'projects/tempo': method(z.object({ id, tempoBpm: z.number().min(20).max(400).nullable() }), ProjectSchema),
  'projects/delete': method(byId, ok),
  'tracks/add': method(z.object({ projectId: id, name: name.optional() }), ProjectSchema),
  'tracks/update': method(
    z.object({
      id,
      name: name.optional(),
      gainDb: z.number().min(-60).max(24).optional(),
      muted: z.boolean().optional(),
      solo: z.boolean().optional(),
    }),
    ProjectSchema,
  ),
  'tracks/remove': method(byId, ProjectSchema),
  'clips/add': method(
    z.object({
      trackId: id,
      takeId: id,
      startSeconds: seconds.default(0),
      offsetSeconds: seconds.default(0),
      durationSeconds: z.number().positive().max(36_000).optional(),
    }),
    ProjectSchema,
  ),
  'clips/update': method(ClipSchema.omit({ trackId: true, takeId: true }).partial().extend({ id }), ProjectSchema),
  'clips/remove': method(byId, ProjectSchema),
  /** The project's mix for playback, rendered by export's renderer: fetch it with `audioUrl(audioId)`. */
  'projects/render': method(
    byId,
    z.object({ audioId: z.string().nullable(), seconds: z.number(), sampleRate: z.number(), channels: z.number() }),
  ),
  'export/stems': method(
    z.object({ projectId: id, format: z.enum(EXPORT_FORMATS).optional(), sampleRate: exportRate.optional(), ...exportLevels }),
    z.object({
      folder: z.string(),
      stems: z.array(z.object({ trackId: z.string(), file: z.string() })),
      mix: z.string(),
      seconds: z.number(),
      ...exportMeasured,
    }),
  ),
  'export/take': method(
    z.object({ id, format: z.enum(EXPORT_FORMATS).optional(), sampleRate: exportRate.optional(), ...exportLevels }),
    z.object({ file: z.string(), ...exportMeasured }),
  ),
  'models/list': method(empty, z.array(ModelInfoSchema)),
  'models/pull': method(
    z.object({
      id,
      variant: z.enum(VARIANTS).optional(),
      acceptLicence: z.literal(true, { message: 'the model licence must be accepted' }),
    }),
    ModelInfoSchema,
  ),
  'models/cancel': method(byId, ModelInfoSchema),
  'models/verify': method(
    byId,
    z.object({
      ok: z.boolean(),
      problems: z.array(z.object({ file: z.string(), problem: z.string() })),
      /** One sentence: all intact, or what to run to repair it. */
      message: z.string().optional(),
      /** e.g. files whose download was checked by size only (no published sha256). */
      warnings: z.array(z.string()).optional(),
      /** Decoder files the engine derived beside the model: `removed` when one did not match (the next load rebuilds it). */
      derived: z.array(z.object({ file: z.string(), state: z.enum(['ok', 'removed']), problem: z.string().optional() })).optional(),
    }),
  ),
  'models/remove': method(byId, ok),
  /** A short generation (2.5 s of audio) with an installed model to measure its speed here; recorded beside the model. */
  'models/calibrate': method(z.object({ id, variant: z.enum(VARIANTS).optional() }), CalibrationResultSchema),
  'models/use': method(z.object({ id, variant: z.enum(VARIANTS).optional() }), SettingsSchema),
  'settings/get': method(empty, SettingsSchema),
  'settings/update': method(SettingsSchema.partial(), SettingsSchema),
} as const;

/**
 * Streaming preview: a chunk of a running job's take while it is generated (the take's index in the
 * job, where it starts in the final audio, planar PCM). The PCM is binary on both transports: typed
 * arrays by IPC structured clone, a WebSocket binary frame in browser mode (shared/preview-frame.ts).
 */
export const JobAudioSchema = z.object({
  jobId: id,
  take: z.number().int().min(0),
  startSample: z.number().int().min(0),
  sampleRate: z.number().int().positive(),
  /** True on the take's last chunk. */
  final: z.boolean(),
  channels: z.array(z.custom<Float32Array>((value) => value instanceof Float32Array)),
});

/** Every event the main process pushes to the studio. */
export const events = {
  'job.updated': JobSchema,
  'take.created': TakeSchema,
  'take.updated': TakeSchema,
  'take.removed': z.object({ id, permanently: z.boolean() }),
  'model.updated': ModelInfoSchema,
  'settings.updated': SettingsSchema,
  'job.audio': JobAudioSchema,
} as const;

export type Methods = typeof methods;
export type MethodName = keyof Methods;
export type ParamsOf<M extends MethodName> = z.input<Methods[M]['params']>;
export type ParsedParams<M extends MethodName> = z.output<Methods[M]['params']>;
export type ResultOf<M extends MethodName> = z.output<Methods[M]['result']>;
export type Events = typeof events;
export type EventName = keyof Events;
export type EventOf<E extends EventName> = z.output<Events[E]>;

export type Job = z.output<typeof JobSchema>;
export type Progress = z.output<typeof ProgressSchema>;
export type JobAudio = z.output<typeof JobAudioSchema>;
export type Take = z.output<typeof TakeSchema>;
export type TakeQuery = z.input<typeof TakeQuerySchema>;
export type TakeSettings = z.output<typeof TakeSettingsSchema>;
export type Edits = z.output<typeof EditsSchema>;
export type Project = z.output<typeof ProjectSchema>;
export type Track = z.output<typeof TrackSchema>;
export type Clip = z.output<typeof ClipSchema>;
export type ModelInfo = z.output<typeof ModelInfoSchema>;
export type DownloadProgress = z.output<typeof DownloadProgressSchema>;
export type Settings = z.output<typeof SettingsSchema>;
export type AppInfo = z.output<typeof AppInfoSchema>;

export const ERROR_CODES = [
  'invalid-params',
  'unknown-method',
  'not-found',
  'model-unavailable',
  'engine',
  'cancelled',
  'io',
  'conflict',
  'internal',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

/** The one error shape that crosses a transport: a code for the UI and a sentence for the musician. */
export interface ApiErrorShape {
  code: ErrorCode;
  message: string;
}

export class ApiError extends Error implements ApiErrorShape {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** Validates params against the contract, turning zod's report into one readable sentence. */
export function parseParams<M extends MethodName>(name: M, params: unknown): ParsedParams<M> {
  const schema = methods[name]?.params as z.ZodType | undefined;
  if (!schema) throw new ApiError('unknown-method', `Unknown method "${String(name)}".`);
  const result = schema.safeParse(params ?? {});
  if (!result.success) {
    const issue = result.error.issues[0];
    const where = issue.path.length ? ` (${issue.path.join('.')})` : '';
    throw new ApiError('invalid-params', `Invalid ${String(name)} request${where}: ${issue.message}.`);
  }
  return result.data as ParsedParams<M>;
}

/** What both transports hand the renderer: one call function, typed by the contract, and events. */
export interface ContinuoClient {
  call<M extends MethodName>(method: M, params: ParamsOf<M>): Promise<ResultOf<M>>;
  on<E extends EventName>(event: E, listener: (payload: EventOf<E>) => void): () => void;
  /** A URL the renderer can play (and seek, via HTTP Range) for a take's audio. */
  audioUrl(takeId: string): string;
  /** Browser mode: a URL that downloads an exported file (the desktop drags the file out instead). */
  downloadUrl?(exportedPath: string): string;
}
