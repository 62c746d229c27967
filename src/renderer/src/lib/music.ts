/** A take's musical time in words: what was asked for beside what was measured, and what kind of take it is. */
import type { Take, TakeMusic } from '../../../shared/contract';

export { keyFact, tempoFact } from '../../../shared/music-words';

/** Whether what was measured agrees with what was asked for (tempo within 2 %, or half/double time; the same key). */
export function tempoAgrees(music: TakeMusic): boolean | null {
  const measured = music.estimated?.tempoBpm ?? null;
  if (music.tempoBpm === null || measured === null) return null;
  return [1, 0.5, 2].some((f) => Math.abs(measured * f - music.tempoBpm!) <= music.tempoBpm! * 0.02);
}

export function keyAgrees(music: TakeMusic): boolean | null {
  const measured = music.estimated?.key ?? null;
  if (music.key === null || measured === null) return null;
  return measured === music.key;
}

/**
 * The section a re-roll made: the first whose seed differs from the parent's (the parent known), else
 * the one re-rolled most often. Null for a song that was never re-rolled.
 */
export function rerolledSection(take: Take, parent?: Take | null): { index: number; name: string; version: number } | null {
  const sections = take.music?.song?.sections ?? [];
  const before = parent?.music?.song?.sections;
  let index = -1;
  if (before) index = sections.findIndex((s, i) => !before[i] || before[i].seed !== s.seed);
  if (index < 0) {
    const top = Math.max(0, ...sections.map((s) => s.version));
    if (top === 0) return null;
    index = sections.findIndex((s) => s.version === top);
  }
  const s = sections[index];
  return s ? { index, name: s.name, version: s.version } : null;
}

/**
 * What a take is, in a few words for lists: "song · 3 sections", "re-rolled Chorus (v2)", "4-bar loop",
 * "continued from 0:01.0–0:03.0", "edited", "imported", "generated".
 */
export function takeKindLabel(take: Take, parent?: Take | null, clock: (s: number) => string = String): string {
  const music = take.music;
  if (music?.loop) return `${music.loop.bars}-bar loop`;
  if (music?.song) {
    const rerolled = take.parentId ? rerolledSection(take, parent) : null;
    if (rerolled) return `re-rolled ${rerolled.name} (v${rerolled.version + 1})`;
    const { sections, plannedSections } = music.song;
    const made = sections.length < plannedSections ? `${sections.length} of ${plannedSections} sections` : `${sections.length} sections`;
    return `song · ${made}`;
  }
  if (take.kind === 'edit') return 'edited';
  if (take.kind === 'continue') return take.region ? `continued from ${clock(take.region.start)}–${clock(take.region.end)}` : 'continued';
  if (take.kind === 'import') return 'imported';
  return 'generated';
}
