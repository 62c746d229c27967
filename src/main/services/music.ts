/**
 * Musical time for the generation services: what a request asked for (tempo, key, signature), the
 * prompt the model sees with them in its words, lengths in bars as frames, and what the audio that
 * came out measures (tempo and key), stored beside the request on the take.
 */
import type { TakeMusic } from '../../shared/contract';
import { barToFrame, type TimeSignature } from '../../shared/musical-time';
import { secondsToFrames, type CodecTiming } from '../../shared/units';
import { estimateKey, estimateTempo } from '../audio/analysis';
import type { AudioData } from '../audio';

export interface RequestedMusic {
  tempoBpm?: number | null;
  key?: string | null;
  timeSignature?: TimeSignature | null;
}

/** What a take made at this request remembers of its musical time (before anything is measured). */
export function takeMusic(requested: RequestedMusic): TakeMusic {
  return {
    tempoBpm: requested.tempoBpm ?? null,
    key: requested.key ?? null,
    // With a tempo, bars have a length: 4/4 unless said otherwise.
    timeSignature: requested.timeSignature ?? (requested.tempoBpm ? '4/4' : null),
    estimated: null,
    song: null,
    loop: null,
  };
}

/** New frames for a length in bars (exact on the bar grid) or else in seconds. */
export function lengthInFrames(
  length: { seconds: number; bars?: number },
  requested: RequestedMusic,
  codec: CodecTiming,
): { frames: number; seconds: number } {
  if (length.bars !== undefined && requested.tempoBpm) {
    const frames = barToFrame(length.bars, { tempoBpm: requested.tempoBpm, timeSignature: requested.timeSignature ?? '4/4' }, codec);
    return { frames, seconds: (frames * codec.hopLength) / codec.sampleRate };
  }
  return { frames: secondsToFrames(length.seconds, codec), seconds: length.seconds };
}

/**
 * Tempo and key measured in the audio. The requested tempo is the hint that settles octave errors
 * (60 vs 120 bpm), so "measured 119.6" means the grid the musician asked for, not its half.
 */
export function measureMusic(audio: AudioData, requested: RequestedMusic): NonNullable<TakeMusic['estimated']> {
  const tempo = estimateTempo(audio, requested.tempoBpm ? { hintBpm: requested.tempoBpm } : undefined);
  const key = estimateKey(audio);
  return {
    tempoBpm: tempo ? Math.round(tempo.bpm * 10) / 10 : null,
    tempoConfidence: tempo?.confidence ?? 0,
    key: key?.key ?? null,
    keyConfidence: key?.confidence ?? 0,
  };
}

/** takeMusic with the measurement, for a take whose audio is final. */
export function measuredTakeMusic(audio: AudioData, requested: RequestedMusic, extra: Partial<TakeMusic> = {}): TakeMusic {
  return { ...takeMusic(requested), estimated: measureMusic(audio, requested), ...extra };
}
