/**
 * Arrangement playback. The services render the project's mix with the same renderer as export
 * (`projects/render`); this plays that buffer through one AudioContext. The render is fetched and
 * decoded after each edit (debounced), not when play is pressed, so play starts at once: one
 * AudioBufferSourceNode from the playhead, with the loop range as its loopStart/loopEnd.
 */
import type { ContinuoClient } from '../../../shared/contract';
import { errorMessage } from './errors';

export interface LoopRange {
  start: number;
  end: number;
}

export class Transport {
  playing = $state(false);
  /** The playhead, in seconds. */
  position = $state(0);
  duration = $state(0);
  loopOn = $state(false);
  loop = $state<LoopRange>({ start: 0, end: 8 });
  /** A render for the current edit is on its way. */
  rendering = $state(false);
  error = $state<string | null>(null);
  /** From pressing play until the audio clock moved past the start, in ms (the last time). */
  startLatencyMs = $state<number | null>(null);

  private ctx: AudioContext | null = null;
  private buffer: AudioBuffer | null = null;
  private audioId: string | null = null;
  private source: AudioBufferSourceNode | null = null;
  private startedAt = 0;
  private startOffset = 0;
  private pressedAt = 0;
  private frame = 0;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private generation = 0;

  constructor(private readonly client: ContinuoClient) {}

  private context(): AudioContext {
    if (!this.ctx) {
      const ctx = new AudioContext({ latencyHint: 'interactive' });
      this.ctx = ctx;
      // For the end-to-end test: the audio clock itself, not the playhead drawn from it.
      (window as unknown as { __continuoAudioTime?: () => number }).__continuoAudioTime = () => ctx.currentTime;
    }
    return this.ctx;
  }

  /** After an edit: render (in the services) and decode the new mix, `delayMs` after the last call. */
  schedule(projectId: string, delayMs = 120): void {
    if (this.timer) clearTimeout(this.timer);
    this.rendering = true;
    this.timer = setTimeout(() => void this.prepare(projectId), delayMs);
  }

  async prepare(projectId: string): Promise<void> {
    const generation = ++this.generation;
    this.rendering = true;
    try {
      const render = await this.client.call('projects/render', { id: projectId });
      if (generation !== this.generation) return;
      if (render.audioId !== this.audioId) {
        let buffer: AudioBuffer | null = null;
        if (render.audioId) {
          const response = await fetch(this.client.audioUrl(render.audioId));
          if (!response.ok) throw new Error(`The mix could not be loaded (${response.status}).`);
          buffer = await this.context().decodeAudioData(await response.arrayBuffer());
        }
        if (generation !== this.generation) return;
        const wasPlaying = this.playing;
        const at = this.currentTime();
        if (wasPlaying) this.halt();
        this.buffer = buffer;
        this.audioId = render.audioId;
        this.duration = render.seconds;
        this.position = Math.min(at, this.duration);
        if (wasPlaying && buffer) this.start(this.position);
      }
      this.error = null;
    } catch (e) {
      if (generation === this.generation) this.error = errorMessage(e);
    } finally {
      if (generation === this.generation) this.rendering = false;
    }
  }

  /** Where the audio is now (moves while playing, wraps inside the loop). */
  currentTime(): number {
    if (!this.playing || !this.ctx) return this.position;
    let t = this.startOffset + (this.ctx.currentTime - this.startedAt);
    const { start, end } = this.loop;
    if (this.loopOn && end > start && this.startOffset < end && t >= end) t = start + ((t - start) % (end - start));
    return Math.min(t, this.duration);
  }

  play(): void {
    if (this.playing || !this.buffer) return;
    this.pressedAt = performance.now();
    this.startLatencyMs = null;
    let from = this.position >= this.duration - 0.01 ? 0 : this.position;
    if (this.loopOn && (from < this.loop.start || from >= this.loop.end)) from = this.loop.start;
    this.start(from);
  }

  pause(): void {
    if (!this.playing) return;
    this.position = this.currentTime();
    this.halt();
  }

  stop(): void {
    this.halt();
    this.position = this.loopOn ? this.loop.start : 0;
  }

  toggle(): void {
    if (this.playing) this.pause();
    else this.play();
  }

  seek(seconds: number): void {
    const to = Math.max(0, Math.min(this.duration, seconds));
    if (this.playing) {
      this.halt();
      this.start(to);
    } else {
      this.position = to;
    }
  }

  setLoop(range: LoopRange, on = this.loopOn): void {
    const start = Math.max(0, Math.min(range.start, range.end));
    const end = Math.max(start + 0.05, range.end);
    this.loop = { start, end };
    this.loopOn = on;
    if (this.playing) this.seek(this.currentTime() >= start && this.currentTime() < end ? this.currentTime() : start);
  }

  dispose(): void {
    this.halt();
    if (this.timer) clearTimeout(this.timer);
    this.generation++;
    void this.ctx?.close();
    this.ctx = null;
  }

  private start(from: number): void {
    if (!this.buffer) return;
    const ctx = this.context();
    void ctx.resume();
    const source = ctx.createBufferSource();
    source.buffer = this.buffer;
    if (this.loopOn && this.loop.end > this.loop.start && from < this.loop.end) {
      source.loop = true;
      source.loopStart = this.loop.start;
      source.loopEnd = Math.min(this.loop.end, this.buffer.duration);
    }
    source.connect(ctx.destination);
    source.onended = () => {
      if (this.source !== source) return;
      this.position = this.duration;
      this.halt();
    };
    this.startedAt = ctx.currentTime;
    this.startOffset = from;
    source.start(0, from);
    this.source = source;
    this.playing = true;
    this.position = from;
    const tick = () => {
      if (!this.playing) return;
      if (this.startLatencyMs === null && ctx.currentTime > this.startedAt) this.startLatencyMs = performance.now() - this.pressedAt;
      this.position = this.currentTime();
      this.frame = requestAnimationFrame(tick);
    };
    this.frame = requestAnimationFrame(tick);
  }

  private halt(): void {
    cancelAnimationFrame(this.frame);
    const source = this.source;
    this.source = null;
    this.playing = false;
    if (source) {
      source.onended = null;
      try {
        source.stop();
      } catch {
        // never started
      }
      source.disconnect();
    }
  }
}
