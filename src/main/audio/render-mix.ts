import { dbToGain } from './dsp';
import { createSilence, frameCount, type AudioData } from './types';

/**
 * The one renderer of an arrangement: export writes what it returns, and playback plays what it
 * returns for the range being heard, so what is heard is what is exported. Everything is placed
 * in whole frames from the timeline's origin (a range is a window onto the same frames, never a
 * re-rounding), so a rendered range equals the same frames of the full render.
 */
export interface RenderClip {
  /** The take's audio, already at the mix's rate and channel count. */
  source: AudioData;
  startSeconds: number;
  offsetSeconds: number;
  durationSeconds: number;
  gainDb: number;
  fadeInSeconds: number;
  fadeOutSeconds: number;
}

export interface RenderTrack {
  gainDb: number;
  muted: boolean;
  solo?: boolean;
  clips: RenderClip[];
}

export interface RenderRange {
  sampleRate: number;
  channels: number;
  /** First frame of the window on the timeline. */
  startFrame: number;
  frames: number;
}

/** Which tracks the mix hears: the soloed ones if any track is soloed, else the unmuted ones. */
export function audibleTracks(tracks: readonly Pick<RenderTrack, 'muted' | 'solo'>[]): boolean[] {
  const soloing = tracks.some((t) => t.solo);
  return tracks.map((t) => (soloing ? Boolean(t.solo) : !t.muted));
}

/** The timeline's end in frames: the last frame any clip sounds. */
export function arrangementFrames(tracks: readonly RenderTrack[], sampleRate: number): number {
  let end = 0;
  for (const track of tracks) for (const clip of track.clips) end = Math.max(end, clipSpan(clip, sampleRate).end);
  return end;
}

/** One track (clip gains, fades, track gain; mute ignored: a stem always sounds). */
export function renderTrack(track: RenderTrack, range: RenderRange): AudioData {
  const out = createSilence(range.sampleRate, range.channels, range.frames);
  addTrack(out, track, range);
  return out;
}

/** The mix of the audible tracks over `range`, and optionally every track's stem. */
export function renderMix(tracks: readonly RenderTrack[], range: RenderRange, withStems = false): { mix: AudioData; stems: AudioData[] } {
  const audible = audibleTracks(tracks);
  const mix = createSilence(range.sampleRate, range.channels, range.frames);
  const stems: AudioData[] = [];
  let scratch: AudioData | undefined;
  tracks.forEach((track, t) => {
    if (!withStems && !audible[t]) return;
    // Always track by track, then into the mix: the same float additions in the same order
    // whether stems are wanted or not, so a preview and an export are sample-identical.
    let stem: AudioData;
    if (withStems) {
      stem = renderTrack(track, range);
      stems.push(stem);
    } else {
      // Playback needs no stems: one scratch buffer, cleared per track (same additions, no allocations).
      scratch ??= createSilence(range.sampleRate, range.channels, range.frames);
      if (t > 0) for (const channel of scratch.channels) channel.fill(0);
      addTrack(scratch, track, range);
      stem = scratch;
    }
    if (audible[t]) mix.channels.forEach((m, c) => addInto(m, stem.channels[c]));
  });
  return { mix, stems };
}

function clipSpan(clip: RenderClip, sampleRate: number) {
  const start = Math.round(clip.startSeconds * sampleRate);
  const from = Math.max(0, Math.round(clip.offsetSeconds * sampleRate));
  const length = Math.max(0, Math.min(Math.round(clip.durationSeconds * sampleRate), frameCount(clip.source) - from));
  return { start, from, length, end: start + length };
}

function addTrack(out: AudioData, track: RenderTrack, range: RenderRange): void {
  for (const clip of track.clips) {
    if (clip.source.sampleRate !== range.sampleRate || clip.source.channels.length !== range.channels) {
      throw new RangeError(
        `A clip is ${clip.source.channels.length} ch at ${clip.source.sampleRate} Hz but the mix is ${range.channels} ch at ${range.sampleRate} Hz: convert it first.`,
      );
    }
    const { start, from, length } = clipSpan(clip, range.sampleRate);
    const gain = dbToGain(clip.gainDb + track.gainDb);
    const fadeIn = Math.min(Math.round(clip.fadeInSeconds * range.sampleRate), length);
    const fadeOut = Math.min(Math.round(clip.fadeOutSeconds * range.sampleRate), length);
    const fadeOutStart = length - fadeOut;
    // The part of the clip inside the window, in clip frames.
    const first = Math.max(0, range.startFrame - start);
    const last = Math.min(length, range.startFrame + range.frames - start);
    const shift = start - range.startFrame;
    const fadeGain = (i: number) => (i < fadeIn ? i / fadeIn : 1) * (i >= fadeOutStart ? (fadeOut - 1 - (i - fadeOutStart)) / fadeOut : 1);
    out.channels.forEach((target, c) => {
      const source = clip.source.channels[c];
      // Three spans, so the body is a plain multiply-add: fade in, body, fade out (a fade's
      // gain applies on top of the other when they overlap in a short clip).
      const bodyStart = Math.max(first, fadeIn);
      const bodyEnd = Math.min(last, fadeOutStart);
      for (let i = first; i < Math.min(last, bodyStart); i++) target[i + shift] += source[from + i] * gain * fadeGain(i);
      for (let i = bodyStart; i < bodyEnd; i++) target[i + shift] += source[from + i] * gain;
      for (let i = Math.max(bodyEnd, first, bodyStart); i < last; i++) target[i + shift] += source[from + i] * gain * fadeGain(i);
    });
  }
}

function addInto(target: Float32Array, source: Float32Array): void {
  for (let i = 0; i < target.length; i++) target[i] += source[i];
}
