/**
 * Musical time: tempo, key and time signature, and lengths in bars turned into codec frames and
 * samples. Tempo counts quarter notes per minute, as DAWs do (a 6/8 bar is three quarter notes).
 * Positions are computed from the song's start — bar b sits at round(b × frames per bar) — never by
 * adding rounded section lengths, so a song of many sections does not drift off the grid.
 */
import { Note } from 'tonal';
import type { CodecTiming } from './units';

export const TIME_SIGNATURES = ['4/4', '3/4', '2/4', '6/8', '5/4', '7/8', '12/8'] as const;
export type TimeSignature = (typeof TIME_SIGNATURES)[number];

export const KEY_TONICS = ['C', 'C#', 'D', 'Eb', 'E', 'F', 'F#', 'G', 'Ab', 'A', 'Bb', 'B'] as const;
export const KEY_MODES = ['major', 'minor'] as const;
/** "A minor", "F# major": the words MusicGen's training descriptions use. */
export const KEYS = KEY_TONICS.flatMap((tonic) => KEY_MODES.map((mode) => `${tonic} ${mode}`));

export interface MusicalTime {
  tempoBpm: number;
  timeSignature: TimeSignature;
}

/** Quarter notes in one bar of the signature. */
export function quartersPerBar(signature: TimeSignature): number {
  const [beats, unit] = signature.split('/').map(Number);
  return (beats * 4) / unit;
}

export function beatsPerBar(signature: TimeSignature): number {
  return Number(signature.split('/')[0]);
}

export function secondsPerBar(time: MusicalTime): number {
  return (quartersPerBar(time.timeSignature) * 60) / time.tempoBpm;
}

export function barsToSeconds(bars: number, time: MusicalTime): number {
  return bars * secondsPerBar(time);
}

/** The codec frame at which bar `bar` (0-based, may be fractional) starts. */
export function barToFrame(bar: number, time: MusicalTime, codec: CodecTiming): number {
  return Math.round((barsToSeconds(bar, time) * codec.sampleRate) / codec.hopLength);
}

/** The sample at which bar `bar` starts, at `sampleRate`. */
export function barToSample(bar: number, time: MusicalTime, sampleRate: number): number {
  return Math.round(barsToSeconds(bar, time) * sampleRate);
}

/** Frames of each of a list of lengths in bars, laid end to end: [start, end) per item, on the global grid. */
export function barSpans(bars: readonly number[], time: MusicalTime, codec: CodecTiming): { startFrame: number; endFrame: number }[] {
  let at = 0;
  return bars.map((length) => {
    const span = { startFrame: barToFrame(at, time, codec), endFrame: barToFrame(at + length, time, codec) };
    at += length;
    return span;
  });
}

/**
 * A key as typed ("a minor", "Bbm", "F sharp major", "c#") in the form of `KEYS`, or null when it
 * is not one. A bare tonic means major; enharmonic spellings map to KEY_TONICS' spelling.
 */
export function normaliseKey(typed: string): string | null {
  const text = typed
    .trim()
    .replace(/\s+sharp\b/i, '#')
    .replace(/\s+flat\b/i, 'b');
  const match = /^([a-g])([#b♯♭]?)\s*(major|minor|maj|min|m)?$/i.exec(text);
  if (!match) return null;
  const chroma = Note.chroma(`${match[1].toUpperCase()}${match[2].replace('♯', '#').replace('♭', 'b')}`);
  if (chroma === undefined || Number.isNaN(chroma)) return null;
  const mode = match[3] && /^(minor|min|m)$/i.test(match[3]) && match[3] !== 'M' ? 'minor' : 'major';
  return `${KEY_TONICS[chroma]} ${mode}`;
}

/** The key's pitch class (C = 0) and mode, for analysis. */
export function keyParts(key: string): { chroma: number; mode: 'major' | 'minor' } {
  const [tonic, mode] = key.split(' ');
  return { chroma: KEY_TONICS.indexOf(tonic as (typeof KEY_TONICS)[number]), mode: mode as 'major' | 'minor' };
}

const BPM_IN_PROMPT = /\b(\d{2,3}(?:\.\d+)?)\s*-?\s*bpm\b/i;

/**
 * The prompt the model sees: the musician's words, then the key and tempo in the words MusicGen's
 * training descriptions use ("…, A minor, 120 bpm"). A tempo already written in the prompt is
 * replaced by the requested one, so the two never disagree; a key already named is kept.
 */
export function promptWithMusic(prompt: string, music: { tempoBpm?: number | null; key?: string | null }): string {
  let text = prompt.trim();
  const parts: string[] = [];
  if (music.key && !text.toLowerCase().includes(music.key.toLowerCase())) parts.push(music.key);
  if (music.tempoBpm) {
    const bpm = `${Math.round(music.tempoBpm * 100) / 100} bpm`;
    if (BPM_IN_PROMPT.test(text)) text = text.replace(BPM_IN_PROMPT, bpm);
    else parts.push(bpm);
  }
  return [text, ...parts].filter(Boolean).join(', ');
}
