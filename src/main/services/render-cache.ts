/**
 * Arrangement playback: the project rendered by the same renderMix that export uses, written to a
 * float WAV the studio plays (served like a take's audio, under an id `mix-<hash>`). The hash is
 * of everything the mix depends on (takes are immutable, so their ids stand for their audio), so
 * an edit gets a new render and an undo finds the old one still here. Renders are made when the
 * studio asks after an edit, not when it presses play, so play starts at once.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Project } from '../../shared/contract';
import { encodeWav, resample, toChannels, type AudioData } from '../audio';
import { arrangementFrames, renderMix } from '../audio/render-mix';
import { writeFileAtomic } from '../atomic-file';
import type { Library } from '../library';
import { projectChannels, renderTracks } from './export';

export interface RenderedMix {
  /** The id to fetch it by (`audioUrl(audioId)`); null when the project has no clips. */
  audioId: string | null;
  seconds: number;
  sampleRate: number;
  channels: number;
}

const ID = /^mix-[0-9a-f]{32}$/;

export class RenderCache {
  private readonly sources = new Map<string, Promise<AudioData>>();
  private readonly inFlight = new Map<string, Promise<RenderedMix>>();

  constructor(
    private readonly library: Library,
    private readonly dir: string,
    private readonly keep = 8,
    private readonly keepSources = 32,
  ) {}

  /** The rate a project plays at: the highest rate among its takes (no take is downsampled). */
  playbackRate(project: Project): number {
    return Math.max(32000, ...project.tracks.flatMap((t) => t.clips.map((c) => this.library.getTake(c.takeId).sampleRate)));
  }

  async render(project: Project): Promise<RenderedMix> {
    const sampleRate = this.playbackRate(project);
    const channels = projectChannels(this.library, project);
    const key = createHash('sha256')
      .update(
        JSON.stringify({
          sampleRate,
          channels,
          tracks: project.tracks.map((t) => ({ g: t.gainDb, m: t.muted, s: t.solo, c: t.clips })),
        }),
      )
      .digest('hex')
      .slice(0, 32);
    const audioId = `mix-${key}`;
    const file = join(this.dir, `${audioId}.wav`);
    let pending = this.inFlight.get(audioId);
    if (!pending) {
      pending = this.renderTo(project, file, audioId, sampleRate, channels).finally(() => this.inFlight.delete(audioId));
      this.inFlight.set(audioId, pending);
    }
    return pending;
  }

  /** The file behind a `mix-…` id, if it is one of ours and still here. */
  path(audioId: string): string | undefined {
    if (!ID.test(audioId)) return undefined;
    const file = join(this.dir, `${audioId}.wav`);
    return existsSync(file) ? file : undefined;
  }

  private async renderTo(project: Project, file: string, audioId: string, sampleRate: number, channels: number): Promise<RenderedMix> {
    const tracks = await renderTracks(project, (takeId) => this.source(takeId, sampleRate, channels));
    const frames = arrangementFrames(tracks, sampleRate);
    if (frames === 0) return { audioId: null, seconds: 0, sampleRate, channels };
    if (!existsSync(file)) {
      const { mix } = renderMix(tracks, { sampleRate, channels, startFrame: 0, frames });
      mkdirSync(this.dir, { recursive: true });
      writeFileAtomic(file, encodeWav(mix, 'float32'));
      this.prune(file);
    }
    return { audioId, seconds: frames / sampleRate, sampleRate, channels };
  }

  /** A take at the mix's rate and width, kept for the next edit's render. */
  private source(takeId: string, sampleRate: number, channels: number): Promise<AudioData> {
    const key = `${takeId}@${sampleRate}x${channels}`;
    let source = this.sources.get(key);
    if (source) {
      this.sources.delete(key); // re-insert: most recently used last
    } else {
      source = (async () => {
        const audio = toChannels(this.library.readAudio(takeId), channels);
        return audio.sampleRate === sampleRate ? audio : resample(audio, sampleRate);
      })();
      source.catch(() => this.sources.delete(key));
    }
    this.sources.set(key, source);
    while (this.sources.size > this.keepSources) this.sources.delete(this.sources.keys().next().value!);
    return source;
  }

  /** Keeps the newest renders (undo/redo finds them), removes the rest. */
  private prune(current: string): void {
    const files = readdirSync(this.dir)
      .filter((name) => ID.test(name.replace(/\.wav$/, '')))
      .map((name) => join(this.dir, name))
      .filter((path) => path !== current)
      .map((path) => ({ path, mtime: statSync(path).mtimeMs }))
      .sort((a, b) => b.mtime - a.mtime);
    for (const { path } of files.slice(this.keep - 1)) rmSync(path, { force: true });
  }
}
