import { describe, expect, it } from 'vitest';
import type { SongSection, Take, TakeMusic } from '../../src/shared/contract';
import { keyFact, rerolledSection, takeKindLabel, tempoAgrees, tempoFact } from '../../src/renderer/src/lib/music';

const music = (patch: Partial<TakeMusic> = {}): TakeMusic => ({
  tempoBpm: 120,
  key: 'A minor',
  timeSignature: '4/4',
  estimated: { tempoBpm: 119.63, tempoConfidence: 0.8, key: 'A minor', keyConfidence: 0.7 },
  song: null,
  loop: null,
  ...patch,
});

const section = (name: string, seed: number, version = 0): SongSection => ({
  name,
  prompt: '',
  fullPrompt: name,
  bars: 4,
  startFrame: 0,
  endFrame: 0,
  startSeconds: 0,
  endSeconds: 0,
  seed,
  seam: null,
  version,
});

function take(patch: Partial<Take>): Take {
  return {
    id: 't',
    kind: 'generate',
    prompt: 'p',
    title: null,
    modelId: 'm',
    modelVariant: 'fp32',
    device: 'cpu',
    seed: 1,
    settings: {
      seconds: 1,
      maxNewTokens: 1,
      guidanceScale: 3,
      sampling: { greedy: false, temperature: 1, topK: 250, topP: 1 },
      variations: 1,
    },
    sampleRate: 32000,
    channels: 1,
    frames: 50,
    contextFrames: 0,
    durationSeconds: 1,
    parentId: null,
    region: null,
    edits: null,
    favourite: false,
    tags: [],
    createdAt: '2026-01-01T00:00:00Z',
    deletedAt: null,
    music: null,
    ...patch,
  };
}

const song = (sections: SongSection[]) => ({ title: 'S', prompt: 'p', sections, plannedSections: 3, plan: [] });

describe('musical time in words', () => {
  it('puts what was asked for beside what was measured', () => {
    expect(tempoFact(music())).toBe('120 BPM · measured 119.6');
    expect(keyFact(music())).toBe('A minor · measured A minor');
    expect(tempoFact(music({ tempoBpm: null }))).toBe('measured 119.6 BPM');
    expect(keyFact(music({ key: null, estimated: null }))).toBeNull();
    expect(tempoFact(music({ estimated: null }))).toBe('120 BPM');
    expect(tempoFact(null)).toBeNull();
  });

  it('accepts a measured tempo at half or double time', () => {
    expect(tempoAgrees(music())).toBe(true);
    expect(tempoAgrees(music({ estimated: { tempoBpm: 60.2, tempoConfidence: 1, key: null, keyConfidence: 0 } }))).toBe(true);
    expect(tempoAgrees(music({ estimated: { tempoBpm: 100, tempoConfidence: 1, key: null, keyConfidence: 0 } }))).toBe(false);
  });
});

describe('take labels', () => {
  const original = take({ id: 'a', music: music({ song: song([section('Intro', 1), section('Chorus', 2), section('Outro', 3)]) }) });
  const reroll = take({
    id: 'b',
    kind: 'continue',
    parentId: 'a',
    region: { start: 0, end: 8 },
    music: music({ song: song([section('Intro', 1), section('Chorus', 99, 1), section('Outro', 3)]) }),
  });

  it('names a re-roll by the section it remade, with or without its parent at hand', () => {
    expect(rerolledSection(reroll, original)).toEqual({ index: 1, name: 'Chorus', version: 1 });
    expect(takeKindLabel(reroll, original)).toBe('re-rolled Chorus (v2)');
    expect(takeKindLabel(reroll)).toBe('re-rolled Chorus (v2)');
  });

  it('labels songs, loops and the older kinds', () => {
    expect(takeKindLabel(original)).toBe('song · 3 sections');
    const cut = take({ music: music({ song: { ...song([section('Intro', 1)]), plannedSections: 3 } }) });
    expect(takeKindLabel(cut)).toBe('song · 1 of 3 sections');
    expect(
      takeKindLabel(
        take({
          music: music({
            loop: {
              bars: 4,
              startSample: 0,
              endSample: 10,
              seam: { score: 1, loudnessJumpDb: 0, spectralChange: 0, beatPhaseError: null },
            },
          }),
        }),
      ),
    ).toBe('4-bar loop');
    expect(takeKindLabel(take({ kind: 'edit' }))).toBe('edited');
    expect(takeKindLabel(take({ kind: 'continue', region: { start: 1, end: 3 } }), null, (s) => `${s}s`)).toBe('continued from 1s–3s');
  });
});
