/**
 * A take's musical facts in words, the same in the studio and the terminal: a seam's grade and
 * summary, and the tempo and key asked for beside what the audio measures.
 */
import type { SeamScore, TakeMusic } from './contract';

export type SeamGrade = 'good' | 'fair' | 'bad';

/** 1 is seamless: at or above 0.75 nobody hears it; under 0.5 most listeners will. */
export function seamGrade(score: number): SeamGrade {
  return score >= 0.75 ? 'good' : score >= 0.5 ? 'fair' : 'bad';
}

/** "fair seam (0.62): loudness jump 3.1 dB, spectral change 0.24, beat phase off by 0.08 beat". */
export function seamSummary(seam: SeamScore): string {
  const parts = [
    `loudness jump ${Math.abs(seam.loudnessJumpDb).toFixed(1)} dB`,
    `spectral change ${seam.spectralChange.toFixed(2)}`,
    seam.beatPhaseError === null ? 'beat phase not measured' : `beat phase off by ${seam.beatPhaseError.toFixed(2)} beat`,
  ];
  return `${seamGrade(seam.score)} seam (${seam.score.toFixed(2)}): ${parts.join(', ')}`;
}

function bpm(value: number): string {
  return String(Math.round(value * 10) / 10);
}

/** "120 BPM · measured 119.6", "measured 92 BPM", "120 BPM" — or null when neither is known. */
export function tempoFact(music: TakeMusic | null): string | null {
  if (!music) return null;
  const measured = music.estimated?.tempoBpm ?? null;
  if (music.tempoBpm !== null)
    return measured !== null ? `${bpm(music.tempoBpm)} BPM · measured ${bpm(measured)}` : `${bpm(music.tempoBpm)} BPM`;
  return measured !== null ? `measured ${bpm(measured)} BPM` : null;
}

/** "A minor · measured A minor", "measured C major", "A minor" — or null. */
export function keyFact(music: TakeMusic | null): string | null {
  if (!music) return null;
  const measured = music.estimated?.key ?? null;
  if (music.key !== null) return measured !== null ? `${music.key} · measured ${measured}` : music.key;
  return measured !== null ? `measured ${measured}` : null;
}
