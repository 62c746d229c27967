/**
 * Songs in the studio, as plain functions the components share and the tests pin: editing a plan
 * (sections in bars), laying sections out as blocks, following a song job's progress section by
 * section, and grading the seams between sections.
 */
import type { Job, SectionPlan } from '../../../shared/contract';
import { barsToSeconds, type TimeSignature } from '../../../shared/musical-time';

/** A section being planned; `id` keeps its row (and focus) when sections move. */
export interface DraftSection extends SectionPlan {
  id: number;
}

let nextId = 1;

export function draftSection(section: Partial<SectionPlan> = {}): DraftSection {
  return { id: nextId++, name: section.name ?? 'Section', prompt: section.prompt ?? '', bars: section.bars ?? 8 };
}

/** What a section of each common name usually asks of the music: a starting point, edited freely. */
export const SECTION_HINTS: Record<string, string> = {
  Intro: 'sparse, building up',
  Verse: '',
  'Pre-chorus': 'rising tension',
  Chorus: 'full, energetic, the main hook',
  Bridge: 'different chords, a breakdown',
  Drop: 'full energy, heavy bass',
  Breakdown: 'stripped back, just the pads',
  Outro: 'winding down, sparse',
};

function plan(...parts: [string, number][]): SectionPlan[] {
  return parts.map(([name, bars]) => ({ name, bars, prompt: SECTION_HINTS[name] ?? '' }));
}

export const SONG_PRESETS: { id: string; label: string; sections: SectionPlan[] }[] = [
  {
    id: 'pop',
    label: 'Pop: intro, verse, chorus ×2, bridge, chorus, outro',
    sections: plan(['Intro', 4], ['Verse', 8], ['Chorus', 8], ['Verse', 8], ['Chorus', 8], ['Bridge', 8], ['Chorus', 8], ['Outro', 4]),
  },
  { id: 'short', label: 'Short: intro, verse, chorus, outro', sections: plan(['Intro', 4], ['Verse', 8], ['Chorus', 8], ['Outro', 4]) },
  {
    id: 'edm',
    label: 'Build and drop: intro, build, drop, breakdown, drop, outro',
    sections: plan(['Intro', 8], ['Pre-chorus', 8], ['Drop', 16], ['Breakdown', 8], ['Drop', 16], ['Outro', 8]),
  },
  { id: 'aba', label: 'A B A: verse, bridge, verse', sections: plan(['Verse', 8], ['Bridge', 8], ['Verse', 8]) },
];

export function fromPlan(sections: readonly SectionPlan[]): DraftSection[] {
  return sections.map((s) => draftSection(s));
}

/** The sections as the contract takes them (names trimmed; an empty name would be refused). */
export function toPlan(sections: readonly DraftSection[]): SectionPlan[] {
  return sections.map(({ name, prompt, bars }, i) => ({ name: name.trim() || `Section ${i + 1}`, prompt: prompt.trim(), bars }));
}

// ---- editing: every operation returns a new list, so `$state` sees the change ------------------

/** A new section after `after` (default: at the end), named after what usually comes next. */
export function addSection(list: readonly DraftSection[], after = list.length - 1): DraftSection[] {
  const name = list.length === 0 ? 'Intro' : list.some((s) => s.name === 'Verse') ? 'Chorus' : 'Verse';
  const out = [...list];
  out.splice(after + 1, 0, draftSection({ name, bars: 8, prompt: SECTION_HINTS[name] }));
  return out;
}

export function removeSection(list: readonly DraftSection[], index: number): DraftSection[] {
  return list.filter((_, i) => i !== index);
}

/** A copy of section `index` right after it (a second chorus). */
export function duplicateSection(list: readonly DraftSection[], index: number): DraftSection[] {
  const source = list[index];
  if (!source) return [...list];
  const out = [...list];
  out.splice(index + 1, 0, draftSection(source));
  return out;
}

/** Moves section `index` by `delta` places; a move past either end leaves the list as it is. */
export function moveSection(list: readonly DraftSection[], index: number, delta: number): DraftSection[] {
  const to = index + delta;
  if (index < 0 || index >= list.length || to < 0 || to >= list.length) return [...list];
  const out = [...list];
  const [moved] = out.splice(index, 1);
  out.splice(to, 0, moved);
  return out;
}

// ---- layout ------------------------------------------------------------------------------------

export interface Block {
  /** Fractions of the whole (0..1). */
  left: number;
  width: number;
}

/** Sections side by side, each as wide as its share of the bars. */
export function blockLayout(bars: readonly number[]): Block[] {
  const total = bars.reduce((sum, b) => sum + Math.max(0, b), 0);
  if (total <= 0) return bars.map((_, i) => ({ left: i / Math.max(1, bars.length), width: 1 / Math.max(1, bars.length) }));
  let at = 0;
  return bars.map((b) => {
    const block = { left: at / total, width: Math.max(0, b) / total };
    at += Math.max(0, b);
    return block;
  });
}

/** Spans in seconds placed on a take of `total` seconds: the editor's blocks over the waveform. */
export function timeLayout(spans: readonly { startSeconds: number; endSeconds: number }[], total: number): Block[] {
  if (!(total > 0)) return spans.map(() => ({ left: 0, width: 0 }));
  const clamp = (s: number) => Math.min(1, Math.max(0, s / total));
  return spans.map((s) => ({ left: clamp(s.startSeconds), width: Math.max(0, clamp(s.endSeconds) - clamp(s.startSeconds)) }));
}

export function planBars(sections: readonly { bars: number }[]): number {
  return sections.reduce((sum, s) => sum + s.bars, 0);
}

export function planSeconds(sections: readonly { bars: number }[], tempoBpm: number, timeSignature: TimeSignature): number {
  return barsToSeconds(planBars(sections), { tempoBpm, timeSignature });
}

// ---- progress ----------------------------------------------------------------------------------

export type SectionState = 'done' | 'running' | 'queued';

export interface SectionProgress {
  state: SectionState;
  /** 0..1 of this section. */
  fraction: number;
}

const clamp01 = (x: number) => Math.min(1, Math.max(0, x));

/**
 * Each section's state from a song job. The job's step/total count decoder steps over the sections
 * it generates — all of a new song's; from `first` on for a re-roll, whose earlier sections are kept
 * (as are the later ones of an in-place re-roll, which reports the song's sections only up to its
 * own) — so the running section's share is read off the bars. A finished job has every section
 * done; a cancelled or failed one keeps those finished before it stopped.
 */
export function sectionProgress(bars: readonly number[], job: Pick<Job, 'status' | 'progress'>, first = 0): SectionProgress[] {
  const done = { state: 'done', fraction: 1 } as const;
  const queued = { state: 'queued', fraction: 0 } as const;
  if (job.status === 'done') return bars.map(() => done);
  const p = job.progress;
  const last = Math.min(bars.length, p?.sections ?? bars.length) - 1;
  const current = p?.section !== undefined ? p.section - 1 : job.status === 'running' ? first : -1;
  const sum = (from: number, to: number) => bars.slice(from, to).reduce((a, b) => a + b, 0);
  const made = p && p.total > 0 ? clamp01(p.step / p.total) * sum(first, last + 1) : 0;
  const fraction = bars[current] ? clamp01((made - sum(first, current)) / bars[current]) : 0;
  return bars.map((_, i) => {
    if (i < first || i < current || i > last) return done;
    if (i === current && job.status === 'running') return { state: 'running', fraction };
    return queued;
  });
}

// ---- seams -------------------------------------------------------------------------------------

export { seamGrade, seamSummary, type SeamGrade } from '../../../shared/music-words';
