import { assertAudioData, frameCount, type AudioData } from '../types';
import { measureSeam, rateSeam, referenceOf, seamSettings, type SeamScore } from './seam';
import { readSide, type SeamSide } from './seam-sides';
import { quantile } from './signal';
import { estimateTempo } from './tempo';

export interface LoopOptions {
  /** The sample at which each bar starts, ascending, from the musical time. */
  barSamples: number[];
  /** The loop's length in bars. */
  bars: number;
  /** The beat for the phase check; estimated from the audio (and fitted to the bars) when omitted. */
  tempoBpm?: number;
}

export interface LoopChoice {
  startBar: number;
  startSample: number;
  /** Exclusive. */
  endSample: number;
  /** How the loop's wrap-around join (its end followed by its start) sounds. */
  score: SeamScore;
}

/**
 * The `bars`-bar window whose wrap-around join is least audible: each candidate's join is scored
 * as a seam between the audio just before its end and the audio from its start, against the
 * audio's own continuity at its bar lines. Each bar line's two sides are measured once and shared
 * by the windows that start or end there. Ties go to the earliest window.
 */
export function chooseLoop(audio: AudioData, options: LoopOptions): LoopChoice {
  assertAudioData(audio);
  const { barSamples, bars } = options;
  const frames = frameCount(audio);
  if (!Number.isInteger(bars) || bars < 1) throw new RangeError(`A loop must be a whole number of bars, at least 1; got ${bars}.`);
  barSamples.forEach((at, i) => {
    if (!Number.isInteger(at) || at < 0 || (i > 0 && at <= barSamples[i - 1])) {
      throw new RangeError(`Bar starts must be ascending whole sample indices from 0; bar ${i} starts at ${at}.`);
    }
  });
  const starts = barSamples.map((_, s) => s).filter((s) => s + bars < barSamples.length && barSamples[s + bars] <= frames);
  if (starts.length === 0) {
    throw new RangeError(`No ${bars}-bar loop fits: the audio holds ${barSamples.filter((at) => at < frames).length} bar starts.`);
  }

  const settings = seamSettings(audio.sampleRate, { tempoBpm: options.tempoBpm ?? barFittedTempo(audio, barSamples) ?? undefined });
  const before = new Map<number, SeamSide>();
  const after = new Map<number, SeamSide>();
  const side = (bar: number, which: 'before' | 'after') => {
    const cache = which === 'before' ? before : after;
    if (!cache.has(bar)) cache.set(bar, readSide(audio, barSamples[bar], which, settings));
    return cache.get(bar)!;
  };
  const measure = (end: number, start: number, beatSeconds: number | null) =>
    measureSeam(side(end, 'before'), side(start, 'after'), audio.sampleRate, beatSeconds);

  // The audio's own continuity, for rateSeam: its bar lines where nothing was cut.
  const interior = barSamples.map((_, b) => b).filter((b) => barSamples[b] > 0 && barSamples[b] < frames);
  const reference = referenceOf(interior.map((b) => measure(b, b, null)));

  let best: LoopChoice | null = null;
  for (const s of starts) {
    const score = rateSeam(measure(s + bars, s, settings.beatSeconds), reference);
    if (!best || score.score > best.score.score) best = { startBar: s, startSample: barSamples[s], endSample: barSamples[s + bars], score };
  }
  return best!;
}

/**
 * The audio's tempo, as a whole number of beats to the median bar (the estimate is folded towards
 * four beats a bar, then the beat is made to divide the bar exactly); null when there is no beat.
 */
function barFittedTempo(audio: AudioData, barSamples: number[]): number | null {
  if (barSamples.length < 2) return null;
  const barSeconds =
    quantile(
      barSamples.slice(1).map((at, i) => at - barSamples[i]),
      0.5,
    ) / audio.sampleRate;
  const estimate = estimateTempo(audio, { hintBpm: (4 * 60) / barSeconds });
  if (!estimate) return null;
  const beatsPerBar = Math.max(1, Math.round((barSeconds * estimate.bpm) / 60));
  return (beatsPerBar * 60) / barSeconds;
}

/**
 * The loop [startSample, endSample) made to repeat without a click, still exactly endSample -
 * startSample samples long. Where audio follows endSample, the loop's first `fadeSamples` are
 * crossfaded (equal power) from that continuation into the loop's own start: the wrap then plays
 * the original's sample after endSample - 1, so it is as smooth as the recording. Where nothing
 * follows but audio precedes startSample, the loop's tail is crossfaded into that lead-in instead,
 * so its last sample is the one before startSample. A loop that is the whole audio has nothing to
 * crossfade with: both ends fade to silence over `fadeSamples`, a short dip rather than a click.
 * The fade is shortened to the audio available (and to half the loop when both ends fade).
 */
export function crossfadeLoop(audio: AudioData, startSample: number, endSample: number, fadeSamples: number): AudioData {
  assertAudioData(audio);
  const frames = frameCount(audio);
  if (!Number.isInteger(startSample) || !Number.isInteger(endSample) || startSample < 0 || endSample > frames || endSample <= startSample) {
    throw new RangeError(`Loop ${startSample}–${endSample} is not a range of whole samples within the audio (0 to ${frames}).`);
  }
  if (!Number.isInteger(fadeSamples) || fadeSamples < 0)
    throw new RangeError(`Fade length must be a whole number of samples, got ${fadeSamples}.`);
  const length = endSample - startSample;
  const following = Math.min(fadeSamples, frames - endSample, length);
  const preceding = Math.min(fadeSamples, startSample, length);
  const gain = (t: number) => Math.sin((t * Math.PI) / 2);

  const channels = audio.channels.map((channel) => {
    const out = channel.slice(startSample, endSample);
    if (following > 0 && following >= preceding) {
      for (let i = 0; i < following; i++) {
        const t = i / following;
        out[i] = out[i] * gain(t) + channel[endSample + i] * gain(1 - t);
      }
    } else if (preceding > 0) {
      for (let i = 0; i < preceding; i++) {
        const t = (i + 1) / preceding;
        const at = length - preceding + i;
        out[at] = out[at] * gain(1 - t) + channel[startSample - preceding + i] * gain(t);
      }
    } else {
      const fade = Math.min(fadeSamples, Math.floor(length / 2));
      for (let i = 0; i < fade; i++) {
        out[i] *= gain(i / fade);
        out[length - 1 - i] *= gain(i / fade);
      }
    }
    return out;
  });
  return { sampleRate: audio.sampleRate, channels };
}
