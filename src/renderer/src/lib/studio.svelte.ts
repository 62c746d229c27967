/**
 * The studio's shared state: what every view reads (app info, settings, models, jobs, the
 * selected take, the prompt panel) and the actions several views trigger (generate, reuse,
 * trash with undo, select). Everything goes through the one `ContinuoClient`; events from the
 * main process keep this state live. Views that own their data (history pages, projects) keep it
 * themselves and only use this for the client and cross-view actions.
 */
import { SvelteMap, SvelteSet } from 'svelte/reactivity';
import { LOOP_BARS, MAX_SEED, MAX_SONG_SECONDS } from '../../../shared/contract';
import type { AppInfo, ContinuoClient, Job, ModelInfo, Settings, Take } from '../../../shared/contract';
import { barsToSeconds, type TimeSignature } from '../../../shared/musical-time';
import type { ClientMode } from './client';
import { errorMessage } from './errors';
import { duration, truncate } from './format';
import { PreviewPlayer } from './preview.svelte';
import { fromPlan, planSeconds, SONG_PRESETS, toPlan, type DraftSection } from './song';

export type View = 'studio' | 'arrange' | 'models' | 'settings';
export const VIEWS: { id: View; label: string }[] = [
  { id: 'studio', label: 'Studio' },
  { id: 'arrange', label: 'Arrange' },
  { id: 'models', label: 'Models' },
  { id: 'settings', label: 'Settings' },
];

export const MIN_SECONDS = 1;
export const MAX_SECONDS = 120;
export const DEFAULT_WINDOW_SECONDS = 30;

/** What the prompt panel makes: a take (or several), a loop cut on bars, or a song of planned sections. */
export type PromptMode = 'take' | 'loop' | 'song';
export type LoopBars = (typeof LOOP_BARS)[number];

export interface PromptState {
  mode: PromptMode;
  /** The prompt; in song mode, the song's style shared by every section. */
  text: string;
  seconds: number;
  /** Musical time: null tempo/key leave them to the prompt and the model. */
  tempoBpm: number | null;
  key: string | null;
  timeSignature: TimeSignature;
  /** A take's length is typed in seconds or in bars (bars need a tempo). */
  lengthUnit: 'seconds' | 'bars';
  bars: number;
  loopBars: LoopBars;
  songTitle: string;
  sections: DraftSection[];
  /** Also keep each section as its own take (children of the song). */
  sectionTakes: boolean;
  guidance: number;
  temperature: number;
  topK: number;
  topP: number;
  greedy: boolean;
  /** The seed shown in the panel: the kept one, or the last one used. */
  seed: number | null;
  /** true: send `seed` (same music again); false: a new random seed each time. */
  keepSeed: boolean;
  variations: number;
}

export interface Toast {
  id: number;
  message: string;
  kind: 'info' | 'error';
  action?: { label: string; testid?: string; run: () => void | Promise<void> };
}

/** What the waveform editor lends the global keyboard shortcuts. */
export interface PlayerHandle {
  playPause(): void;
  toggleLoop(): void;
  /** Clears the region; false when there was none. */
  clearRegion(): boolean;
}

export const DEFAULT_PROMPT: PromptState = {
  mode: 'take',
  text: '',
  seconds: 10,
  tempoBpm: null,
  key: null,
  timeSignature: '4/4',
  lengthUnit: 'seconds',
  bars: 8,
  loopBars: 4,
  songTitle: '',
  sections: [],
  sectionTakes: false,
  guidance: 3,
  temperature: 1,
  topK: 250,
  topP: 1,
  greedy: false,
  seed: null,
  keepSeed: false,
  variations: 1,
};

export function randomSeed(): number {
  const a = new Uint32Array(1);
  crypto.getRandomValues(a);
  return a[0] % (MAX_SEED + 1);
}

export function takeName(take: Pick<Take, 'title' | 'prompt'>, max = 60): string {
  if (take.title?.trim()) return truncate(take.title, max);
  if (take.prompt.trim()) return truncate(take.prompt, max);
  return 'Untitled take';
}

export class Studio {
  readonly client: ContinuoClient;
  readonly mode: ClientMode;

  view = $state<View>('studio');
  connected = $state(true);
  info = $state<AppInfo | null>(null);
  settings = $state<Settings | null>(null);
  models = $state<ModelInfo[]>([]);
  modelsError = $state<string | null>(null);
  jobs = $state<Job[]>([]);
  jobsError = $state<string | null>(null);

  selectedTakeId = $state<string | null>(null);
  selectedTake = $state<Take | null>(null);
  selectError = $state<string | null>(null);

  prompt = $state<PromptState>({ ...DEFAULT_PROMPT, sections: fromPlan(SONG_PRESETS[1].sections) });
  generating = $state(false);
  generateError = $state<string | null>(null);

  toasts = $state<Toast[]>([]);
  /** Takes seen anywhere (pages, lineage, events): names for parents and clips. */
  readonly takes = new SvelteMap<string, Take>();
  /** Jobs this window started: their first take is selected when they finish. */
  readonly ownJobs = new SvelteSet<string>();
  /**
   * The plans of songs and re-rolls this window started, by job, and the first section each
   * generates (a re-roll keeps those before it): the queue draws their sections while they are made.
   */
  /** Streaming preview of the running job: its growing waveform, and its sound for jobs of this window. */
  readonly preview = new PreviewPlayer();
  /** Bumped when the prompt panel should take focus (after Reuse). */
  promptFocus = $state(0);

  /** Lent by the waveform editor while it is mounted. */
  player: PlayerHandle | null = null;
  playing = $state(false);

  private nextToast = 1;
  // eslint-disable-next-line svelte/prefer-svelte-reactivity -- bookkeeping of requests in flight; nothing renders it
  private fetchingTakes = new Set<string>();
  private unsubscribers: (() => void)[] = [];

  constructor(client: ContinuoClient, mode: ClientMode) {
    this.client = client;
    this.mode = mode;
  }

  /** Active model as the header shows it: the loaded engine if any, else the chosen/installed one. */
  activeModel = $derived.by(() => {
    const engine = this.info?.engine ?? null;
    const chosen = this.models.find((m) => m.active) ?? this.models.find((m) => m.id === this.settings?.modelId) ?? null;
    const model = (engine && this.models.find((m) => m.id === engine.modelId)) ?? chosen;
    return {
      id: engine?.modelId ?? model?.id ?? null,
      name: model?.name ?? engine?.modelId ?? null,
      isTestModel: engine?.isTestModel ?? model?.isTestModel ?? false,
      device: engine?.device ?? null,
      deviceReason: engine?.deviceReason ?? null,
      variant: engine?.variant ?? this.settings?.variant ?? null,
      loaded: Boolean(engine),
    };
  });

  windowSeconds = $derived(this.info?.engine?.windowSeconds ?? DEFAULT_WINDOW_SECONDS);
  installedModels = $derived(this.models.filter((m) => m.installedVariants.length > 0));

  async start(): Promise<void> {
    const c = this.client;
    this.unsubscribers.push(
      c.on('job.updated', (job) => this.jobUpdated(job)),
      c.on('job.audio', (chunk) => this.preview.chunk(chunk, this.ownJobs.has(chunk.jobId) && !this.playing)),
      c.on('take.created', (take) => {
        this.remember(take);
        // Show the seed the last generation used, so it can be kept.
        if (
          !this.prompt.keepSeed &&
          take.kind === 'generate' &&
          this.jobs.some((j) => j.takeIds.includes(take.id) || j.status === 'running')
        )
          this.prompt.seed = take.seed;
      }),
      c.on('take.updated', (take) => {
        this.remember(take);
        if (take.id === this.selectedTakeId) this.selectedTake = take;
      }),
      c.on('take.removed', ({ id, permanently }) => {
        if (permanently) this.takes.delete(id);
        if (id === this.selectedTakeId && permanently) this.clearSelection();
      }),
      c.on('model.updated', (model) => this.modelUpdated(model)),
      c.on('settings.updated', (settings) => {
        this.settings = settings;
        void this.refreshInfo();
      }),
    );
    await Promise.all([
      this.refreshInfo(),
      c
        .call('settings/get', {})
        .then((s) => (this.settings = s))
        .catch(() => undefined),
      this.refreshModels(),
      c
        .call('jobs/list', {})
        .then((jobs) => (this.jobs = sortJobs(jobs)))
        .catch((e) => (this.jobsError = errorMessage(e))),
    ]);
  }

  stop(): void {
    for (const off of this.unsubscribers.splice(0)) off();
  }

  async refreshInfo(): Promise<void> {
    try {
      this.info = await this.client.call('app/info', {});
    } catch {
      /* the header keeps what it had */
    }
  }

  async refreshModels(): Promise<void> {
    try {
      this.models = await this.client.call('models/list', {});
      this.modelsError = null;
    } catch (e) {
      this.modelsError = errorMessage(e);
    }
  }

  private modelUpdated(model: ModelInfo): void {
    const i = this.models.findIndex((m) => m.id === model.id);
    if (i >= 0) this.models[i] = model;
    else this.models.push(model);
    // Only one model is active: a newly active one deactivates the rest.
    if (model.active) for (const m of this.models) if (m.id !== model.id && m.active) m.active = false;
  }

  // ---- jobs ------------------------------------------------------------------------------------

  upsertJob(job: Job): void {
    const i = this.jobs.findIndex((j) => j.id === job.id);
    if (i >= 0) this.jobs[i] = job;
    else this.jobs = sortJobs([job, ...this.jobs]);
  }

  private jobUpdated(job: Job): void {
    const before = this.jobs.find((j) => j.id === job.id);
    this.upsertJob(job);
    const finished = job.status !== 'queued' && job.status !== 'running';
    if (finished && before?.status !== job.status) {
      // Cancel (or a failure) stops the preview with the job; a finished one plays to its end.
      if (job.status !== 'done') this.preview.stop(job.id);
      void this.refreshInfo();
      // The first generation may have created the built-in test model.
      if (job.status === 'done') void this.refreshModels();
      // A cancelled song keeps its finished sections as a take: open that too.
      if ((job.status === 'done' || job.status === 'cancelled') && this.ownJobs.has(job.id) && job.takeIds.length) {
        this.ownJobs.delete(job.id);
        // Hear the result straight away, unless the musician is listening to something else.
        if (!this.playing) void this.selectTake(job.takeIds[0]);
      }
    } else if (job.status === 'running' && before?.status !== 'running') {
      void this.refreshInfo();
    }
  }

  dismissFinishedJobs(): void {
    this.jobs = this.jobs.filter((j) => j.status === 'queued' || j.status === 'running');
  }

  async cancelJob(id: string): Promise<string | null> {
    try {
      this.upsertJob(await this.client.call('jobs/cancel', { id }));
      return null;
    } catch (e) {
      return errorMessage(e);
    }
  }

  /** The length of new audio in seconds: typed, or the bars at the panel's tempo. */
  promptSeconds = $derived.by(() => {
    const p = this.prompt;
    if (p.lengthUnit === 'bars' && p.tempoBpm) return barsToSeconds(p.bars, { tempoBpm: p.tempoBpm, timeSignature: p.timeSignature });
    return p.seconds;
  });

  /** The generation settings of the prompt panel, as the contract takes them (continuations use them too). */
  generationParams() {
    const p = this.prompt;
    return {
      seconds: Math.min(300, Math.max(0.1, this.promptSeconds)),
      guidanceScale: p.guidance,
      sampling: { greedy: p.greedy, temperature: p.temperature, topK: p.topK, topP: p.topP },
      seed: p.keepSeed && p.seed != null ? p.seed : undefined,
      variations: p.variations,
    };
  }

  /** The panel's tempo, key and signature, as generate, loop and song take them. */
  private musicParams() {
    const p = this.prompt;
    return { tempoBpm: p.tempoBpm ?? undefined, key: p.key ?? undefined, timeSignature: p.timeSignature };
  }

  /** Why the panel cannot submit as it stands (said next to the button), or null. */
  promptProblem(): string | null {
    const p = this.prompt;
    if (p.mode === 'song') {
      if (!p.tempoBpm) return 'A song is planned in bars: set its tempo first.';
      if (!p.sections.length) return 'Add a section to the song first.';
      if (!p.text.trim() && p.sections.some((s) => !s.prompt.trim()))
        return 'Describe the song’s style, or give every section its own prompt.';
      const seconds = planSeconds(p.sections, p.tempoBpm, p.timeSignature);
      if (seconds > MAX_SONG_SECONDS) return `The plan lasts ${duration(seconds)}: a song can last up to ${MAX_SONG_SECONDS / 60} minutes.`;
      return null;
    }
    if (!p.text.trim()) return 'Describe the music you want first, for example “warm lo-fi piano with vinyl crackle, 80 bpm”.';
    if (p.mode === 'loop' && !p.tempoBpm) return 'A loop is cut on bars: set a tempo first.';
    if (p.mode === 'take' && p.lengthUnit === 'bars' && !p.tempoBpm)
      return 'A length in bars needs a tempo: set one, or give the length in seconds.';
    return null;
  }

  async generate(): Promise<void> {
    if (this.generating) return;
    const problem = this.promptProblem();
    if (problem) {
      this.generateError = problem;
      this.promptFocus++;
      return;
    }
    this.generating = true;
    this.generateError = null;
    this.preview.prime();
    try {
      const job = await this.submit();
      this.ownJobs.add(job.id);
      this.upsertJob(job);
    } catch (e) {
      this.generateError = errorMessage(e);
    } finally {
      this.generating = false;
    }
  }

  private submit(): Promise<Job> {
    const p = this.prompt;
    const text = p.text.trim();
    const { seconds, variations, ...choices } = this.generationParams();
    if (p.mode === 'loop') {
      return this.client.call('jobs/loop', {
        prompt: text,
        ...this.musicParams(),
        tempoBpm: p.tempoBpm!,
        bars: p.loopBars,
        variations,
        ...choices,
      });
    }
    if (p.mode === 'song') {
      return this.client.call('jobs/song', {
        title: p.songTitle.trim() || undefined,
        prompt: text,
        ...this.musicParams(),
        tempoBpm: p.tempoBpm!,
        sections: toPlan(p.sections),
        sectionTakes: p.sectionTakes,
        ...choices,
      });
    }
    const bars = p.lengthUnit === 'bars' && p.tempoBpm ? p.bars : undefined;
    return this.client.call('jobs/generate', { prompt: text, seconds, variations, ...choices, ...this.musicParams(), bars });
  }

  /** Re-rolls one section of a song take: a new take; the queue draws it like the song it remakes. */
  async reroll(take: Take, section: number, mode: 'branch' | 'in-place', prompt?: string): Promise<Job> {
    const job = await this.client.call('jobs/reroll', { takeId: take.id, section, mode, prompt });
    this.ownJobs.add(job.id);
    this.upsertJob(job);
    return job;
  }

  /** Copies a take's prompt, settings and seed into the prompt panel. */
  reuse(take: Take): void {
    const s = take.settings;
    const music = take.music;
    const song = music?.song;
    this.prompt = {
      ...this.prompt,
      mode: song ? 'song' : music?.loop ? 'loop' : 'take',
      text: song ? song.prompt : take.prompt,
      seconds: clampSeconds(s.seconds),
      tempoBpm: music?.tempoBpm ?? null,
      key: music?.key ?? null,
      timeSignature: music?.timeSignature ?? '4/4',
      lengthUnit: 'seconds',
      loopBars: (LOOP_BARS as readonly number[]).includes(music?.loop?.bars ?? 0) ? (music!.loop!.bars as LoopBars) : this.prompt.loopBars,
      songTitle: song?.title ?? this.prompt.songTitle,
      sections: song ? fromPlan(song.plan) : this.prompt.sections,
      guidance: s.guidanceScale,
      temperature: s.sampling.temperature,
      topK: s.sampling.topK,
      topP: s.sampling.topP,
      greedy: s.sampling.greedy,
      seed: take.seed,
      keepSeed: true,
      // The stored seed regenerates this take on its own.
      variations: 1,
    };
    this.generateError = null;
    this.view = 'studio';
    this.promptFocus++;
    this.toast(`Prompt, settings and seed ${take.seed} copied from “${takeName(take, 40)}”.`);
  }

  // ---- takes -----------------------------------------------------------------------------------

  remember(take: Take): void {
    this.takes.set(take.id, take);
    if (take.id === this.selectedTakeId) this.selectedTake = take;
  }

  /** A take from the cache, fetched in the background when unknown (parents, clips). */
  lookup(id: string | null): Take | undefined {
    if (!id) return undefined;
    const known = this.takes.get(id);
    if (known) return known;
    if (!this.fetchingTakes.has(id)) {
      this.fetchingTakes.add(id);
      this.client
        .call('takes/get', { id })
        .then((t) => this.takes.set(t.id, t))
        .catch(() => undefined)
        .finally(() => this.fetchingTakes.delete(id));
    }
    return undefined;
  }

  async selectTake(id: string | null): Promise<void> {
    this.selectError = null;
    if (id === null) return this.clearSelection();
    this.selectedTakeId = id;
    const known = this.takes.get(id);
    if (known) {
      this.selectedTake = known;
      return;
    }
    try {
      const take = await this.client.call('takes/get', { id });
      this.remember(take);
      if (this.selectedTakeId === id) this.selectedTake = take;
    } catch (e) {
      if (this.selectedTakeId === id) {
        this.selectedTake = null;
        this.selectError = errorMessage(e);
      }
    }
  }

  clearSelection(): void {
    this.selectedTakeId = null;
    this.selectedTake = null;
  }

  /** Moves a take to the trash, with an Undo toast. Returns an error message, or null. */
  async trash(take: Take): Promise<string | null> {
    try {
      const trashed = await this.client.call('takes/delete', { id: take.id });
      this.remember(trashed);
      if (this.selectedTakeId === take.id) this.clearSelection();
      this.toast(`Moved “${takeName(take, 40)}” to the trash.`, {
        label: 'Undo',
        testid: 'undo-delete',
        run: async () => {
          try {
            const restored = await this.client.call('takes/restore', { id: take.id });
            this.remember(restored);
            void this.selectTake(restored.id);
          } catch (e) {
            this.toast(errorMessage(e), undefined, 'error');
          }
        },
      });
      return null;
    } catch (e) {
      return errorMessage(e);
    }
  }

  async trashSelected(): Promise<void> {
    const take = this.selectedTake;
    if (!take || take.deletedAt) return;
    const error = await this.trash(take);
    if (error) this.toast(error, undefined, 'error');
  }

  // ---- toasts ----------------------------------------------------------------------------------

  toast(message: string, action?: Toast['action'], kind: Toast['kind'] = 'info'): number {
    const id = this.nextToast++;
    this.toasts = [...this.toasts.slice(-3), { id, message, kind, action }];
    setTimeout(() => this.dismissToast(id), action ? 10_000 : 5_000);
    return id;
  }

  dismissToast(id: number): void {
    this.toasts = this.toasts.filter((t) => t.id !== id);
  }
}

function sortJobs(jobs: Job[]): Job[] {
  return [...jobs].sort((a, b) => b.createdAt.localeCompare(a.createdAt));
}

export function clampSeconds(s: number): number {
  return Math.min(MAX_SECONDS, Math.max(MIN_SECONDS, Math.round(s * 10) / 10));
}
