/**
 * The API contract between the studio's renderer and the main process: every method's params and
 * result and every event, as zod schemas with inferred types. Both transports (Electron IPC and
 * the loopback WebSocket) validate against these, and the services implement exactly these.
 * No Node, no DOM: this module is imported on both sides.
 */
import { z } from 'zod';
import { EXPORT_FORMATS, VARIANTS, exportRate, id, seconds, text } from './contract/primitives';
import { ContinueParamsSchema, GenerateParamsSchema, JobSchema, type ProgressSchema } from './contract/generation';
import {
  TakeQuerySchema,
  TakeSchema,
  TakeUpdateSchema,
  EditParamsSchema,
  type EditsSchema,
  type TakeSettingsSchema,
} from './contract/takes';
import { ClipSchema, ProjectSchema, name, type TrackSchema } from './contract/projects';
import { AppInfoSchema, CalibrationResultSchema, ModelInfoSchema, SettingsSchema, type DownloadProgressSchema } from './contract/models';
import { LoopParamsSchema, ProjectMusicParamsSchema, RerollParamsSchema, SongPlanSchema } from './contract/music';

export * from './contract/primitives';
export * from './contract/generation';
export * from './contract/takes';
export * from './contract/projects';
export * from './contract/models';
export * from './contract/music';

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
  /** A song: sections generated in order, each continuing the previous one's tail with its own prompt. */
  'jobs/song': method(SongPlanSchema, JobSchema),
  /** Regenerates one section of a song take with a new seed: a new take, the old one stays in the lineage. */
  'jobs/reroll': method(RerollParamsSchema, JobSchema),
  /** An N-bar loop at a tempo, cut on bars at the best-joining point, exported with loop points. */
  'jobs/loop': method(LoopParamsSchema, JobSchema),
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
  /** The project's tempo, key and time signature (omitted key/signature: unchanged). */
  'projects/music': method(ProjectMusicParamsSchema, ProjectSchema),
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
