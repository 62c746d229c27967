import { describe, expect, it } from 'vitest';
import type { Job, SeamScore } from '../../src/shared/contract';
import { eta } from '../../src/renderer/src/lib/format';
import {
  addSection,
  blockLayout,
  draftSection,
  duplicateSection,
  moveSection,
  planSeconds,
  removeSection,
  seamGrade,
  seamSummary,
  sectionProgress,
  timeLayout,
  toPlan,
} from '../../src/renderer/src/lib/song';

const names = (list: { name: string }[]) => list.map((s) => s.name);
const plan = (...parts: [string, number][]) => parts.map(([name, bars]) => draftSection({ name, bars }));

function job(status: Job['status'], progress: Partial<NonNullable<Job['progress']>> | null): Pick<Job, 'status' | 'progress'> {
  return {
    status,
    progress: progress && { step: 0, total: 100, etaMs: 0, elapsedMs: 0, window: 1, windows: 1, ...progress },
  };
}

describe('song plan editing', () => {
  it('adds, removes, duplicates and moves sections without touching the list it was given', () => {
    const start = plan(['Intro', 4], ['Verse', 8], ['Chorus', 8]);
    const moved = moveSection(start, 2, -1);
    expect(names(moved)).toEqual(['Intro', 'Chorus', 'Verse']);
    expect(names(start)).toEqual(['Intro', 'Verse', 'Chorus']);
    // A move past either end changes nothing.
    expect(names(moveSection(start, 0, -1))).toEqual(names(start));
    expect(names(moveSection(start, 2, 1))).toEqual(names(start));

    const copied = duplicateSection(start, 2);
    expect(names(copied)).toEqual(['Intro', 'Verse', 'Chorus', 'Chorus']);
    // The copy is its own row: editing it leaves the original alone.
    expect(copied[3].id).not.toBe(copied[2].id);
    expect(copied[3]).not.toBe(copied[2]);

    expect(names(removeSection(start, 1))).toEqual(['Intro', 'Chorus']);
    expect(names(addSection([]))).toEqual(['Intro']);
    expect(names(addSection(start, 0))).toEqual(['Intro', 'Chorus', 'Verse', 'Chorus']);
  });

  it('sends trimmed names and prompts, naming an empty one by its place', () => {
    const list = [draftSection({ name: '  ', prompt: ' sparse ', bars: 4 }), draftSection({ name: 'Drop ', bars: 16 })];
    expect(toPlan(list)).toEqual([
      { name: 'Section 1', prompt: 'sparse', bars: 4 },
      { name: 'Drop', prompt: '', bars: 16 },
    ]);
  });

  it('times a plan in bars at its tempo and signature', () => {
    expect(planSeconds(plan(['A', 4], ['B', 4]), 120, '4/4')).toBeCloseTo(16);
    // 6/8 is three quarter notes a bar.
    expect(planSeconds(plan(['A', 4]), 120, '6/8')).toBeCloseTo(6);
  });
});

describe('section blocks', () => {
  it('makes each block as wide as its share of the bars, end to end', () => {
    const blocks = blockLayout([4, 8, 4]);
    expect(blocks).toEqual([
      { left: 0, width: 0.25 },
      { left: 0.25, width: 0.5 },
      { left: 0.75, width: 0.25 },
    ]);
    // No bars at all: equal blocks rather than a division by zero.
    expect(blockLayout([0, 0])).toEqual([
      { left: 0, width: 0.5 },
      { left: 0.5, width: 0.5 },
    ]);
  });

  it('places sections on the take by their seconds, clipped to the take', () => {
    const blocks = timeLayout(
      [
        { startSeconds: 0, endSeconds: 8 },
        { startSeconds: 8, endSeconds: 24 },
        { startSeconds: 24, endSeconds: 40 },
      ],
      32,
    );
    expect(blocks).toEqual([
      { left: 0, width: 0.25 },
      { left: 0.25, width: 0.5 },
      { left: 0.75, width: 0.25 },
    ]);
    expect(timeLayout([{ startSeconds: 0, endSeconds: 1 }], 0)).toEqual([{ left: 0, width: 0 }]);
  });
});

describe('song progress', () => {
  const bars = [4, 8, 4];

  it('reads the running section and its share off the whole job’s steps', () => {
    // Half of the steps: 8 of 16 bars made, so the Intro is done and the Verse half made.
    const states = sectionProgress(bars, job('running', { step: 50, total: 100, section: 2, sections: 3 }));
    expect(states.map((s) => s.state)).toEqual(['done', 'running', 'queued']);
    expect(states[1].fraction).toBeCloseTo(0.5);
  });

  it('waits before the engine starts, is all done when finished, and keeps the finished sections when cancelled', () => {
    expect(sectionProgress(bars, job('queued', null)).map((s) => s.state)).toEqual(['queued', 'queued', 'queued']);
    expect(sectionProgress(bars, job('done', null)).map((s) => s.state)).toEqual(['done', 'done', 'done']);
    const cancelled = sectionProgress(bars, job('cancelled', { step: 80, total: 100, section: 3, sections: 3 }));
    expect(cancelled.map((s) => s.state)).toEqual(['done', 'done', 'queued']);
  });

  it('counts a re-roll’s steps from its section on, and keeps what an in-place re-roll does not remake', () => {
    // A branch from the Verse: the job's steps cover the Verse and the Outro (12 bars).
    const branch = sectionProgress(bars, job('running', { step: 25, total: 100, section: 2, sections: 3 }), 1);
    expect(branch.map((s) => s.state)).toEqual(['done', 'running', 'queued']);
    expect(branch[1].fraction).toBeCloseTo(3 / 8);
    // In place: the job reports the song's sections up to the Verse only; the Outro is kept.
    const inPlace = sectionProgress(bars, job('running', { step: 50, total: 100, section: 2, sections: 2 }), 1);
    expect(inPlace.map((s) => s.state)).toEqual(['done', 'running', 'done']);
    expect(inPlace[1].fraction).toBeCloseTo(0.5);
  });

  it('formats the time left in words', () => {
    expect(eta(0)).toBe('');
    expect(eta(12_300)).toBe('13 s left');
    expect(eta(125_000)).toBe('2 min 5 s left');
  });
});

describe('seams', () => {
  const seam = (score: number, beatPhaseError: number | null = 0.08): SeamScore => ({
    score,
    loudnessJumpDb: -3.14,
    spectralChange: 0.237,
    beatPhaseError,
  });

  it('grades a seam good, fair or bad', () => {
    expect([0.9, 0.75, 0.74, 0.5, 0.49, 0].map(seamGrade)).toEqual(['good', 'good', 'fair', 'fair', 'bad', 'bad']);
  });

  it('says what was measured', () => {
    expect(seamSummary(seam(0.62))).toBe('fair seam (0.62): loudness jump 3.1 dB, spectral change 0.24, beat phase off by 0.08 beat');
    expect(seamSummary(seam(0.9, null))).toMatch(/beat phase not measured$/);
  });
});
