/**
 * The services: the one place where the app's behaviour lives. They implement every method of
 * the contract over the engine host, the library and the model manager, own the job queue, and
 * publish events. Transports (IPC, WebSocket) and the CLI call `call(method, params)`, which
 * validates params against the contract first.
 */
import { join } from 'node:path';
import { parseParams, type MethodName, type ParsedParams, type ResultOf, type Settings } from '../../shared/contract';
import { installedVariants } from '../engine';
import { Library } from '../library';
import { bestInstalledModel, listInstalledModels, resolveModel, TEST_MODEL_ID } from '../models/installed';
import { InProcessEngineHost, type EngineHost, type EngineInfo } from './engine-host';
import { toApiError } from './errors';
import { EventBus } from './event-bus';
import { exportStems, exportTake } from './export';
import { runContinue, runGenerate, type GenerationDeps } from './generation';
import { JobQueue } from './job-queue';
import { ModelService } from './models-service';
import { editTake } from './edit';
import { ApiError } from '../../shared/contract';
import { pullCommand } from '../../shared/cli-command';

export interface ServicesOptions {
  dataDir: string;
  host?: EngineHost;
  /** Hugging Face Hub (or mirror, or file: folder) to download models from. */
  hubBaseUrl?: string;
  /** Allow an http Hub mirror on another machine (the user asked: --allow-insecure). */
  allowInsecureHub?: boolean;
  version?: string;
}

type Handlers = { [M in MethodName]: (params: ParsedParams<M>) => Promise<ResultOf<M>> | ResultOf<M> };

export const DEFAULT_SETTINGS: Settings = {
  modelId: null,
  variant: null,
  device: 'auto',
  threads: null,
  exportFormat: 'wav24',
  exportSampleRate: 48000,
};

export interface Services {
  call<M extends MethodName>(method: M, params: unknown): Promise<ResultOf<M>>;
  readonly events: EventBus;
  readonly library: Library;
  readonly dataDir: string;
  /** Jobs that a crash interrupted, marked failed at start-up. */
  readonly interruptedJobs: string[];
  idle(): Promise<void>;
  close(): Promise<void>;
}

export function createServices(options: ServicesOptions): Services {
  const { dataDir } = options;
  const events = new EventBus();
  const library = Library.open(dataDir);
  const interruptedJobs = library.failInterruptedJobs();
  library.checkIntegrity({ repair: true });
  const host = options.host ?? new InProcessEngineHost();
  const exportsDir = join(dataDir, 'exports');
  let settings: Settings = { ...DEFAULT_SETTINGS, ...(library.getSetting<Partial<Settings>>('settings') ?? {}) };

  const queue = new JobQueue({
    changed: (job) => {
      if (job.status !== 'queued' && job.status !== 'running') library.markJob(job.id, job.status, { error: job.error?.message, takeIds: job.takeIds });
      else if (job.status === 'running' && !job.progress) library.markJob(job.id, 'running');
      events.emit('job.updated', job);
    },
    describeError: (error) => {
      const api = toApiError(error);
      return { code: api.code, message: api.message };
    },
  });

  const models = new ModelService({
    dataDir,
    hubBaseUrl: options.hubBaseUrl,
    allowInsecureHub: options.allowInsecureHub,
    events,
    activeModelId: () => host.current()?.modelId ?? settings.modelId ?? bestInstalledModel(dataDir)?.id ?? TEST_MODEL_ID,
  });

  async function ensureEngine(modelId?: string): Promise<EngineInfo> {
    const wanted = modelId ?? settings.modelId ?? undefined;
    if (wanted && !listInstalledModels(dataDir).some((m) => m.id === wanted)) {
      throw new ApiError('model-unavailable', `The model "${wanted}" is not installed. Download it in the Models view (or: ${pullCommand(wanted)}).`);
    }
    const model = resolveModel(dataDir, wanted);
    const variant = settings.variant && installedVariants(model.dir).includes(settings.variant) ? settings.variant : (installedVariants(model.dir)[0] ?? 'fp32');
    const before = host.current()?.modelId;
    const info = await host.load(model, { variant, device: settings.device, threads: settings.threads ?? undefined });
    // The built-in test model may have just been generated, and "active" moved: tell the views.
    const shown = before !== info.modelId ? models.list().find((m) => m.id === info.modelId) : undefined;
    if (shown) events.emit('model.updated', shown);
    return info;
  }

  const deps: GenerationDeps = { library, host, ensureEngine, created: (take) => events.emit('take.created', take) };

  function recordJob<T>(job: ReturnType<JobQueue['enqueue']>, params: T) {
    library.recordJob({ id: job.id, kind: job.kind, request: params, createdAt: job.createdAt });
    return job;
  }

  function saveSettings(next: Settings): Settings {
    settings = next;
    library.setSetting('settings', settings);
    events.emit('settings.updated', settings);
    return settings;
  }

  const handlers: Handlers = {
    'app/info': () => {
      const engine = host.current();
      return {
        version: options.version ?? '0.0.0',
        dataDir,
        platform: `${process.platform}-${process.arch}`,
        engine: engine && {
          modelId: engine.modelId,
          variant: engine.variant,
          device: engine.device,
          deviceReason: engine.deviceReason,
          isTestModel: engine.isTestModel,
          sampleRate: engine.sampleRate,
          channels: engine.channels,
          windowSeconds: engine.windowSeconds,
        },
      };
    },
    'jobs/generate': (params) => {
      const job = queue.enqueue({ kind: 'generate', prompt: params.prompt, seconds: params.seconds, variations: params.variations, parentId: null }, (signal, report) =>
        runGenerate(deps, params, signal, report),
      );
      return recordJob(job, params);
    },
    'jobs/continue': (params) => {
      const parent = library.getTake(params.takeId);
      const prompt = params.prompt ?? parent.prompt;
      const job = queue.enqueue({ kind: 'continue', prompt, seconds: params.seconds, variations: params.variations, parentId: parent.id }, (signal, report) =>
        runContinue(deps, params, signal, report),
      );
      return recordJob(job, params);
    },
    'jobs/cancel': ({ id }) => {
      const job = queue.cancel(id);
      if (!job) throw new ApiError('not-found', 'That job is no longer in the queue.');
      return { ...job };
    },
    'jobs/list': () => queue.list().map((j) => ({ ...j })),
    'takes/list': (query) => library.listTakes(query),
    'takes/get': ({ id }) => library.getTake(id),
    'takes/update': ({ id, ...patch }) => {
      const take = library.updateTake(id, patch);
      events.emit('take.updated', take);
      return take;
    },
    'takes/delete': ({ id }) => {
      const take = library.trashTake(id);
      events.emit('take.removed', { id: take.id, permanently: false });
      return take;
    },
    'takes/restore': ({ id }) => {
      const take = library.restoreTake(id);
      events.emit('take.created', take);
      return take;
    },
    'takes/lineage': ({ id }) => library.lineage(id),
    'takes/edit': (params) => {
      const take = editTake(library, params);
      events.emit('take.created', take);
      return take;
    },
    'takes/tags': () => library.tagCounts(),
    'trash/empty': () => {
      const removed = library.emptyTrash();
      for (const id of removed) events.emit('take.removed', { id, permanently: true });
      return { removed: removed.length };
    },
    'projects/list': () => library.listProjects(),
    'projects/create': ({ name }) => library.createProject(name),
    'projects/get': ({ id }) => library.getProject(id),
    'projects/rename': ({ id, name }) => library.renameProject(id, name),
    'projects/delete': ({ id }) => {
      library.deleteProject(id);
      return { ok: true as const };
    },
    'tracks/add': ({ projectId, name }) => library.addTrack(projectId, name),
    'tracks/update': ({ id, ...patch }) => library.updateTrack(id, patch),
    'tracks/remove': ({ id }) => library.removeTrack(id),
    'clips/add': ({ trackId, ...clip }) => library.addClip(trackId, clip),
    'clips/update': ({ id, ...patch }) => library.updateClip(id, patch),
    'clips/remove': ({ id }) => library.removeClip(id),
    'export/stems': async ({ projectId, format, sampleRate }) =>
      exportStems(library, exportsDir, library.getProject(projectId), format ?? settings.exportFormat, sampleRate ?? settings.exportSampleRate),
    'export/take': async ({ id, format, sampleRate }) => ({
      file: await exportTake(library, exportsDir, id, format ?? settings.exportFormat, sampleRate ?? settings.exportSampleRate),
    }),
    'models/list': () => models.list(),
    'models/pull': ({ id, variant }) => models.pull(id, variant),
    'models/cancel': ({ id }) => models.cancel(id),
    'models/verify': ({ id }) => models.verify(id),
    'models/remove': async ({ id }) => {
      if (host.current()?.modelId === id) await host.unload();
      await models.remove(id);
      if (settings.modelId === id) saveSettings({ ...settings, modelId: null, variant: null });
      return { ok: true as const };
    },
    'models/use': ({ id, variant }) => {
      if (!listInstalledModels(dataDir).some((m) => m.id === id)) throw new ApiError('not-found', `The model "${id}" is not installed.`);
      return saveSettings({ ...settings, modelId: id, variant: variant ?? null });
    },
    'settings/get': () => settings,
    'settings/update': (patch) => saveSettings({ ...settings, ...patch }),
  };

  return {
    events,
    library,
    dataDir,
    interruptedJobs,
    async call(method, params) {
      try {
        const parsed = parseParams(method, params);
        const handler = handlers[method] as (p: typeof parsed) => unknown;
        return (await handler(parsed)) as ResultOf<typeof method>;
      } catch (error) {
        throw toApiError(error);
      }
    },
    idle: () => queue.idle(),
    async close() {
      queue.cancelAll();
      await queue.idle();
      models.cancelAll();
      await host.shutdown();
      library.close();
    },
  };
}
