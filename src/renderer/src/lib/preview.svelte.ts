/**
 * Streaming preview in the studio: `job.audio` chunks of a running job become a growing waveform
 * (every job) and sound (only jobs this window started, so two windows do not both play). One
 * AudioContext; each chunk is an AudioBufferSourceNode scheduled right after the previous one.
 * The first take of a batch is the one heard and drawn. Cancel stops the sound at once.
 */
import type { JobAudio } from '../../../shared/contract';
import { GrowingPeaks, PreviewClock } from './preview-schedule';

/** Peaks per second of audio in the growing waveform. */
const PEAKS_PER_SECOND = 50;

export interface JobPreview {
  jobId: string;
  /** Peaks of the first take so far (0..1). */
  peaks: number[];
  /** Seconds of new audio received (a continuation's context not counted). */
  seconds: number;
  sampleRate: number;
  /** Whether this window is playing it. */
  audible: boolean;
  /** The last chunk arrived. */
  complete: boolean;
}

interface Playback {
  /** Where the first chunk starts in the take (after a continuation's context), in samples. */
  origin: number;
  clock: PreviewClock;
  sources: Set<AudioBufferSourceNode>;
  growing: GrowingPeaks;
}

export class PreviewPlayer {
  /** The job being previewed (one at a time: the queue runs one job at a time). */
  current = $state<JobPreview | null>(null);
  muted = $state(false);

  private context?: AudioContext;
  private playback?: Playback;

  /** Creates or resumes the AudioContext; call it from a user gesture (Generate) so it may play. */
  prime(): void {
    try {
      this.context ??= new AudioContext();
      if (this.context.state === 'suspended') void this.context.resume().catch(() => undefined);
    } catch {
      // No Web Audio here: the waveform still grows.
    }
  }

  /** A chunk arrived; `audible`: whether this window should play it. */
  chunk(chunk: JobAudio, audible: boolean): void {
    if (chunk.take !== 0) return;
    if (this.current?.jobId !== chunk.jobId) this.begin(chunk, audible);
    const current = this.current!;
    const playback = this.playback!;
    playback.growing.append(chunk.channels);
    current.peaks = playback.growing.peaks.slice();
    current.seconds = (chunk.startSample - playback.origin + chunk.channels[0].length) / chunk.sampleRate;
    current.complete = chunk.final;
    if (current.audible && !this.muted) {
      // Jobs started elsewhere than Generate (Continue, Extend): the page has had a gesture by then.
      if (!this.context) this.prime();
      this.play(chunk, playback);
    }
  }

  /** Stops the sound of a job (cancelled, failed) and forgets its preview. */
  stop(jobId?: string): void {
    if (jobId && this.current?.jobId !== jobId) return;
    this.silence();
    this.current = null;
    this.playback = undefined;
  }

  /** Stops the sound, keeping the waveform (the musician plays something else). */
  silence(): void {
    for (const source of this.playback?.sources ?? []) {
      try {
        source.stop();
      } catch {
        // Already ended.
      }
    }
    this.playback?.sources.clear();
    if (this.current) this.current.audible = false;
  }

  toggleMute(): void {
    this.muted = !this.muted;
    if (this.muted) this.silence();
  }

  private begin(chunk: JobAudio, audible: boolean): void {
    this.silence();
    this.current = {
      jobId: chunk.jobId,
      peaks: [],
      seconds: 0,
      sampleRate: chunk.sampleRate,
      audible,
      complete: false,
    };
    this.playback = {
      origin: chunk.startSample,
      clock: new PreviewClock(),
      // eslint-disable-next-line svelte/prefer-svelte-reactivity -- bookkeeping of nodes to stop; nothing renders it
      sources: new Set(),
      growing: new GrowingPeaks(Math.max(1, Math.round(chunk.sampleRate / PEAKS_PER_SECOND))),
    };
  }

  private play(chunk: JobAudio, playback: Playback): void {
    const context = this.context;
    const length = chunk.channels[0]?.length ?? 0;
    if (!context || length === 0) return;
    try {
      const buffer = context.createBuffer(chunk.channels.length, length, chunk.sampleRate);
      chunk.channels.forEach((samples, c) => buffer.getChannelData(c).set(samples));
      const source = context.createBufferSource();
      source.buffer = buffer;
      source.connect(context.destination);
      source.onended = () => playback.sources.delete(source);
      source.start(playback.clock.schedule(context.currentTime, buffer.duration));
      playback.sources.add(source);
    } catch {
      // A buffer the context refuses (odd rate): the waveform still grows.
    }
  }
}
