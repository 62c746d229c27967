/**
 * The Arrange view's state: projects, the open project (tracks and clips), the selected clip, and
 * every edit as one call that returns the whole project. Errors are kept per place (`errors`) so
 * each shows next to what caused it.
 */
import type { Clip, ContinuoClient, Project, ResultOf } from '../../../shared/contract';
import { errorMessage } from './errors';

export type ProjectSummary = Omit<Project, 'tracks'>;
export type StemsResult = ResultOf<'export/stems'>;
export type ErrorPlace = 'projects' | 'project' | 'place' | 'tracks' | 'clip' | 'export';

export class Arrangement {
  projects = $state<ProjectSummary[]>([]);
  loaded = $state(false);
  project = $state<Project | null>(null);
  selectedClipId = $state<string | null>(null);
  busy = $state<string | null>(null);
  errors = $state<Partial<Record<ErrorPlace, string>>>({});
  stems = $state<StemsResult | null>(null);
  /** Export levels: loudness normalisation under a true-peak ceiling, or a limiter at the ceiling. */
  levels = $state({ normalise: false, targetLufs: -14, ceilingDb: -1, limit: false });

  constructor(private readonly client: ContinuoClient) {}

  selectedClip = $derived.by((): (Clip & { trackName: string }) | null => {
    if (!this.project || !this.selectedClipId) return null;
    for (const track of this.project.tracks) {
      const clip = track.clips.find((c) => c.id === this.selectedClipId);
      if (clip) return { ...clip, trackName: track.name };
    }
    return null;
  });

  /** Seconds the arrangement spans (at least a minute, with room to place more). */
  length = $derived.by(() => {
    let end = 0;
    for (const t of this.project?.tracks ?? []) for (const c of t.clips) end = Math.max(end, c.startSeconds + c.durationSeconds);
    return Math.max(60, Math.ceil((end + 15) / 10) * 10);
  });

  /** Runs one call; its error is shown at `place`. Returns false when it failed. */
  async run(place: ErrorPlace, label: string, action: () => Promise<void>): Promise<boolean> {
    this.busy = label;
    delete this.errors[place];
    try {
      await action();
      return true;
    } catch (e) {
      this.errors[place] = errorMessage(e);
      return false;
    } finally {
      this.busy = null;
    }
  }

  async load(): Promise<void> {
    await this.run('projects', 'load', async () => {
      this.projects = await this.client.call('projects/list', {});
      this.loaded = true;
      const keep = this.project && this.projects.some((p) => p.id === this.project!.id);
      if (!keep && this.projects.length) await this.open(this.projects[0].id);
    });
    this.loaded = true;
  }

  async open(id: string): Promise<void> {
    this.stems = null;
    this.selectedClipId = null;
    await this.run('project', 'open', async () => {
      this.project = await this.client.call('projects/get', { id });
    });
  }

  private set(project: Project): void {
    this.project = project;
    const i = this.projects.findIndex((p) => p.id === project.id);
    const { tracks: _tracks, ...summary } = project;
    if (i >= 0) this.projects[i] = summary;
    else this.projects = [summary, ...this.projects];
  }

  create(name: string) {
    return this.run('projects', 'create', async () => {
      const project = await this.client.call('projects/create', { name });
      this.set(project);
      this.stems = null;
      // A new project starts with one track, ready for takes.
      if (!project.tracks.length) this.set(await this.client.call('tracks/add', { projectId: project.id, name: 'Track 1' }));
    });
  }

  rename(name: string) {
    const id = this.project?.id;
    if (!id) return Promise.resolve(false);
    return this.run('projects', 'rename', async () => this.set(await this.client.call('projects/rename', { id, name })));
  }

  /** The project's tempo (BPM, or null), key (or null) and time signature: exports carry them for a DAW. */
  setMusic(music: { tempoBpm: number | null; key: string | null; timeSignature: Project['timeSignature'] }) {
    const id = this.project?.id;
    if (!id) return Promise.resolve(false);
    return this.run('projects', 'music', async () => this.set(await this.client.call('projects/music', { id, ...music })));
  }

  remove() {
    const id = this.project?.id;
    if (!id) return Promise.resolve(false);
    return this.run('projects', 'delete', async () => {
      await this.client.call('projects/delete', { id });
      this.projects = this.projects.filter((p) => p.id !== id);
      this.project = null;
      this.stems = null;
      if (this.projects.length) await this.open(this.projects[0].id);
    });
  }

  addTrack() {
    const projectId = this.project?.id;
    if (!projectId) return Promise.resolve(false);
    return this.run('tracks', 'add-track', async () => {
      this.set(await this.client.call('tracks/add', { projectId, name: `Track ${(this.project?.tracks.length ?? 0) + 1}` }));
    });
  }

  updateTrack(id: string, patch: { name?: string; gainDb?: number; muted?: boolean; solo?: boolean }) {
    return this.run('tracks', 'track', async () => this.set(await this.client.call('tracks/update', { id, ...patch })));
  }

  removeTrack(id: string) {
    return this.run('tracks', 'remove-track', async () => this.set(await this.client.call('tracks/remove', { id })));
  }

  placeTake(trackId: string, takeId: string, startSeconds: number) {
    return this.run('place', 'place', async () => {
      // eslint-disable-next-line svelte/prefer-svelte-reactivity -- a snapshot compared once, not state
      const before = new Set(this.project?.tracks.flatMap((t) => t.clips.map((c) => c.id)));
      const project = await this.client.call('clips/add', { trackId, takeId, startSeconds });
      this.set(project);
      const added = project.tracks.flatMap((t) => t.clips).find((c) => !before.has(c.id));
      if (added) this.selectedClipId = added.id;
    });
  }

  updateClip(id: string, patch: Partial<Omit<Clip, 'id' | 'trackId' | 'takeId'>>) {
    return this.run('clip', 'clip', async () => this.set(await this.client.call('clips/update', { id, ...patch })));
  }

  removeClip(id: string) {
    return this.run('clip', 'remove-clip', async () => {
      this.set(await this.client.call('clips/remove', { id }));
      if (this.selectedClipId === id) this.selectedClipId = null;
    });
  }

  exportStems() {
    const projectId = this.project?.id;
    if (!projectId) return Promise.resolve(false);
    return this.run('export', 'export', async () => {
      this.stems = null;
      const { normalise, targetLufs, ceilingDb, limit } = this.levels;
      this.stems = await this.client.call('export/stems', {
        projectId,
        ...(normalise ? { targetLufs } : {}),
        ceilingDb,
        limit,
      });
    });
  }
}
