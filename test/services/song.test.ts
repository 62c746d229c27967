/**
 * Songs through the services on the built-in test model: sections on the bar grid, each a
 * continuation of the song so far with its own prompt and seed, cancel keeping finished sections,
 * reproducibility, and re-rolls (branch and in place) in the lineage.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeAcid, readWavChunks } from '../../src/main/audio/bext';
import { decodeCueMarkers } from '../../src/main/audio/cue-markers';
import type { SongPlan, Take } from '../../src/shared/contract';
import { MusicgenEngine, generateLongForm, type Codes } from '../../src/main/engine';
import { resolveModel, TEST_MODEL_ID } from '../../src/main/models/installed';
import { barToFrame } from '../../src/shared/musical-time';
import { collect, finished, testServices } from '../helpers/services';

type PlanInput = Omit<Partial<SongPlan>, 'sections'> & { sections: { name: string; prompt: string; bars: number }[] };

const PLAN: PlanInput = {
  title: 'Test song',
  prompt: 'warm lo-fi hip hop',
  tempoBpm: 97,
  key: 'A minor',
  timeSignature: '4/4',
  sections: [
    { name: 'Intro', prompt: 'sparse piano', bars: 2 },
    { name: 'Verse', prompt: 'drums and bass enter', bars: 3 },
    { name: 'Chorus', prompt: 'full band, big chords', bars: 2 },
  ],
  seed: 1234,
  guidanceScale: 3,
};

const slice = (codes: Codes, from: number, to: number): Codes => codes.map((row) => row.slice(from, to));

describe('services: songs', () => {
  const services = testServices();
  let engine: MusicgenEngine;
  let song: Take;
  let codes: Codes;

  const runSong = async (plan: PlanInput) => {
    const queued = await services.call('jobs/song', plan);
    // Every window can draw the song being made: the job carries its plan.
    expect(queued.song).toEqual({ plan: plan.sections, first: 0 });
    const job = await finished(services, queued.id);
    expect(job.status).toBe('done');
    return { job, take: await services.call('takes/get', { id: job.takeIds[0] }) };
  };

  beforeAll(async () => {
    const jobs = collect(services, 'job.updated');
    ({ take: song } = await runSong(PLAN));
    codes = services.library.getCodes(song.id)!;
    // Progress names the section being made, 1 to 3, and counts steps over the whole song.
    const progress = jobs.filter((j) => j.kind === 'song' && j.progress).map((j) => j.progress!);
    expect(new Set(progress.map((p) => p.section))).toEqual(new Set([1, 2, 3]));
    expect(progress.every((p) => p.sections === 3 && p.total === progress[0].total)).toBe(true);
    expect(progress.at(-1)!.step).toBe(progress[0].total);
    engine = await MusicgenEngine.load(resolveModel(services.dataDir, TEST_MODEL_ID).dir, { device: 'cpu' });
  }, 120_000);
  afterAll(() => engine?.dispose());

  it('lays the sections on the bar grid and marks them on one take', () => {
    const time = { tempoBpm: 97, timeSignature: '4/4' as const };
    const codec = { sampleRate: 32000, hopLength: 640 };
    const sections = song.music!.song!.sections;
    expect(sections.map((s) => [s.name, s.bars, s.startFrame, s.endFrame])).toEqual([
      ['Intro', 2, 0, barToFrame(2, time, codec)],
      ['Verse', 3, barToFrame(2, time, codec), barToFrame(5, time, codec)],
      ['Chorus', 2, barToFrame(5, time, codec), barToFrame(7, time, codec)],
    ]);
    expect(song.frames).toBe(barToFrame(7, time, codec));
    expect(codes[0]).toHaveLength(song.frames);
    expect(song.durationSeconds * 32000).toBe(song.frames * 640);
    expect(song.music).toMatchObject({ tempoBpm: 97, key: 'A minor', timeSignature: '4/4' });
    expect(song.title).toBe('Test song');
    // Each seam after the first section is scored; each section has its own seed and prompt.
    expect(sections[0].seam).toBeNull();
    for (const s of sections.slice(1)) expect(s.seam!.score).toBeGreaterThanOrEqual(0);
    expect(new Set(sections.map((s) => s.seed)).size).toBe(3);
    expect(sections[1].fullPrompt).toBe('warm lo-fi hip hop, drums and bass enter, A minor, 97 bpm');
    // What the audio measures sits beside what was asked for.
    expect(song.music!.estimated).not.toBeNull();
  });

  it("continues each section exactly from the previous section's tail, with the section's own prompt and seed", async () => {
    const sections = song.music!.song!.sections;
    for (const s of sections.slice(1)) {
      const alone = await generateLongForm(engine, {
        prompts: [s.fullPrompt],
        newFrames: s.endFrame - s.startFrame,
        context: slice(codes, 0, s.startFrame),
        seed: s.seed,
        guidanceScale: 3,
      });
      const take = alone.takes[0];
      expect(take.codes.map((row) => row.slice(0, take.contextFrames))).toEqual(
        slice(codes, s.startFrame - take.contextFrames, s.startFrame),
      );
      expect(slice(take.codes, take.contextFrames, take.codes[0].length)).toEqual(slice(codes, s.startFrame, s.endFrame));
      // The prompt is what made it: the same context and seed with the previous section's prompt differ.
      const otherPrompt = await generateLongForm(engine, {
        prompts: [sections[0].fullPrompt],
        newFrames: s.endFrame - s.startFrame,
        context: slice(codes, 0, s.startFrame),
        seed: s.seed,
        guidanceScale: 3,
      });
      expect(slice(otherPrompt.takes[0].codes, take.contextFrames, take.codes[0].length)).not.toEqual(
        slice(codes, s.startFrame, s.endFrame),
      );
    }
  });

  it('same seeds make the same song; another section prompt changes only that section onwards', async () => {
    const again = await runSong(PLAN);
    expect(services.library.getCodes(again.take.id)).toEqual(codes);
    const sections = song.music!.song!.sections;
    const changed = await runSong({ ...PLAN, sections: PLAN.sections.map((s, i) => (i === 1 ? { ...s, prompt: 'a lone flute' } : s)) });
    const other = services.library.getCodes(changed.take.id)!;
    expect(slice(other, 0, sections[1].startFrame)).toEqual(slice(codes, 0, sections[1].startFrame));
    expect(slice(other, sections[1].startFrame, sections[1].endFrame)).not.toEqual(
      slice(codes, sections[1].startFrame, sections[1].endFrame),
    );
  });

  it('keeps each section as its own take when asked, children of the song', async () => {
    const { job, take } = await runSong({ ...PLAN, sectionTakes: true });
    expect(job.takeIds).toHaveLength(4);
    const children = await Promise.all(job.takeIds.slice(1).map((id) => services.call('takes/get', { id })));
    expect(children.map((c) => [c.title, c.parentId])).toEqual([
      ['Test song: Intro', take.id],
      ['Test song: Verse', take.id],
      ['Test song: Chorus', take.id],
    ]);
    const sections = take.music!.song!.sections;
    children.forEach((child, i) => {
      expect(services.library.getCodes(child.id)).toEqual(slice(codes, sections[i].startFrame, sections[i].endFrame));
      expect(child.durationSeconds).toBeCloseTo(sections[i].endSeconds - sections[i].startSeconds, 9);
    });
  });

  it('cancelled during section 3, keeps sections 1 and 2 as a take', async () => {
    const job = await services.call('jobs/song', PLAN);
    const off = services.events.on('job.updated', (j) => {
      if (j.id === job.id && j.progress?.section === 3) {
        off();
        void services.call('jobs/cancel', { id: job.id });
      }
    });
    const done = await finished(services, job.id);
    expect(done.status).toBe('cancelled');
    expect(done.takeIds).toHaveLength(1);
    const partial = await services.call('takes/get', { id: done.takeIds[0] });
    const sections = song.music!.song!.sections;
    expect(partial.music!.song!.sections.map((s) => s.name)).toEqual(['Intro', 'Verse']);
    expect(partial.music!.song!.plannedSections).toBe(3);
    expect(partial.title).toBe('Test song (2 of 3 sections)');
    expect(services.library.getCodes(partial.id)).toEqual(slice(codes, 0, sections[1].endFrame));

    // Finishing it (a branch from the section never made) makes the song the uncancelled run made.
    await expect(services.call('jobs/reroll', { takeId: partial.id, section: 2, mode: 'in-place' })).rejects.toThrow(
      /never made.*as a branch/,
    );
    const rest = await finished(services, (await services.call('jobs/reroll', { takeId: partial.id, section: 2 })).id);
    const whole = await services.call('takes/get', { id: rest.takeIds[0] });
    expect(services.library.getCodes(whole.id)).toEqual(codes);
    expect(whole).toMatchObject({ title: 'Test song', parentId: partial.id });
    expect(whole.music!.song!.sections.map((s) => [s.seed, s.version])).toEqual(sections.map((s) => [s.seed, 0]));
  });

  it('streams the song while it is made: the chunks, placed where they say, are the song', async () => {
    const chunks = collect(services, 'job.audio');
    const { job, take } = await runSong(PLAN);
    const mine = chunks.filter((c) => c.jobId === job.id);
    expect(mine.filter((c) => c.final)).toHaveLength(1);
    expect(mine.at(-1)!.final).toBe(true);
    const audio = services.library.readAudio(take.id).channels[0];
    const heard = new Float32Array(audio.length);
    for (const chunk of mine) heard.set(chunk.channels[0], chunk.startSample);
    let worst = 0;
    for (let i = 0; i < audio.length; i++) worst = Math.max(worst, Math.abs(heard[i] - audio[i]));
    expect(worst).toBeLessThan(1e-4);
    // Sections butt-join: every sample was covered, in order.
    const ends = mine.map((c) => c.startSample + c.channels[0].length);
    mine.slice(1).forEach((c, i) => expect(c.startSample).toBe(ends[i]));
    expect(ends.at(-1)).toBe(audio.length);
  });

  it('re-rolls a section as a branch: same context, new seed, what follows regenerated; both in the lineage', async () => {
    const queued = await services.call('jobs/reroll', { takeId: song.id, section: 1, seed: 99 });
    expect(queued.song?.first).toBe(1);
    expect(queued.song?.plan.map((s) => s.name)).toEqual(['Intro', 'Verse', 'Chorus']);
    const job = await finished(services, queued.id);
    expect(job.status).toBe('done');
    const branch = await services.call('takes/get', { id: job.takeIds[0] });
    const before = song.music!.song!.sections;
    const after = branch.music!.song!.sections;
    expect(branch.parentId).toBe(song.id);
    expect(branch.title).toBe('Test song (Verse v2)');
    expect(after.map((s) => [s.name, s.startFrame, s.endFrame])).toEqual(before.map((s) => [s.name, s.startFrame, s.endFrame]));
    expect(after.map((s) => s.version)).toEqual([0, 1, 0]);
    expect(after[1].seed).toBe(99);
    expect(after[2].seed).toBe(before[2].seed);
    const branchCodes = services.library.getCodes(branch.id)!;
    expect(slice(branchCodes, 0, before[1].startFrame)).toEqual(slice(codes, 0, before[1].startFrame));
    expect(slice(branchCodes, before[1].startFrame, before[1].endFrame)).not.toEqual(
      slice(codes, before[1].startFrame, before[1].endFrame),
    );
    // The re-rolled section is what the engine makes from the same context with seed 99.
    const alone = await generateLongForm(engine, {
      prompts: [before[1].fullPrompt],
      newFrames: before[1].endFrame - before[1].startFrame,
      context: slice(codes, 0, before[1].startFrame),
      seed: 99,
      guidanceScale: 3,
    });
    expect(slice(alone.takes[0].codes, alone.takes[0].contextFrames, alone.takes[0].codes[0].length)).toEqual(
      slice(branchCodes, before[1].startFrame, before[1].endFrame),
    );
    const lineage = await services.call('takes/lineage', { id: song.id });
    expect(lineage.descendants.map((t) => t.id)).toContain(branch.id);
  });

  it('re-rolls a section in place: what follows is kept, the seam after it scored and crossfaded', async () => {
    const job = await finished(
      services,
      (await services.call('jobs/reroll', { takeId: song.id, section: 1, seed: 5, mode: 'in-place' })).id,
    );
    expect(job.status).toBe('done');
    const take = await services.call('takes/get', { id: job.takeIds[0] });
    const before = song.music!.song!.sections;
    const after = take.music!.song!.sections;
    const newCodes = services.library.getCodes(take.id)!;
    expect(newCodes[0]).toHaveLength(codes[0].length);
    expect(slice(newCodes, 0, before[1].startFrame)).toEqual(slice(codes, 0, before[1].startFrame));
    expect(slice(newCodes, before[2].startFrame, codes[0].length)).toEqual(slice(codes, before[2].startFrame, codes[0].length));
    expect(take.durationSeconds).toBe(song.durationSeconds);
    expect(after.map((s) => s.version)).toEqual([0, 1, 0]);
    expect(after[2].seed).toBe(before[2].seed);
    expect(after[2].seam).not.toEqual(before[2].seam);
    // Past the crossfade the audio is the original's, sample for sample.
    const original = services.library.readAudio(song.id).channels[0];
    const rerolled = services.library.readAudio(take.id).channels[0];
    const fadeEnd = before[2].startFrame * 640 + 0.25 * 32000 + 640;
    expect(Array.from(rerolled.subarray(fadeEnd))).toEqual(Array.from(original.subarray(fadeEnd)));
    expect(Array.from(rerolled.subarray(before[1].startFrame * 640 + 640, before[2].startFrame * 640))).not.toEqual(
      Array.from(original.subarray(before[1].startFrame * 640 + 640, before[2].startFrame * 640)),
    );
    expect((await services.call('takes/lineage', { id: take.id })).ancestors.map((t) => t.id)).toEqual([song.id]);
  });

  it('an edit keeps the song: sections while the timing is the same, tempo and key always', async () => {
    const louder = await services.call('takes/edit', { takeId: song.id, gainDb: -3, fadeOut: 1 });
    expect(louder.music).toEqual(song.music);
    const trimmed = await services.call('takes/edit', { takeId: song.id, trim: { start: 1, end: 6 } });
    expect(trimmed.music).toMatchObject({ tempoBpm: 97, key: 'A minor', song: null, loop: null });
  });

  it('exports a song with its sections as named markers (cue + labl) at the export rate', async () => {
    const exported = await services.call('export/take', { id: song.id, format: 'wav24', sampleRate: 48000 });
    const chunks = readWavChunks(readFileSync(exported.file));
    const sections = song.music!.song!.sections;
    expect(decodeCueMarkers(chunks.get('cue ')!, chunks.get('LIST'))).toEqual(
      sections.map((s) => ({ sample: Math.round(s.startSeconds * 48000), label: s.name })),
    );
    expect(decodeAcid(chunks.get('acid')!).tempoBpm).toBe(97);
    expect(chunks.has('smpl')).toBe(false);
  });

  it('refuses to re-roll what is not a song, or a section it does not have, saying why', async () => {
    const plain = await finished(services, (await services.call('jobs/generate', { prompt: 'x', seconds: 1, seed: 1 })).id);
    await expect(services.call('jobs/reroll', { takeId: plain.takeIds[0], section: 0 })).rejects.toThrow(/is not a song/);
    await expect(services.call('jobs/reroll', { takeId: song.id, section: 7 })).rejects.toThrow(/has 3 sections; there is no section 8/);
    await expect(services.call('jobs/song', { ...PLAN, sections: [] })).rejects.toThrow(/sections/);
    await expect(services.call('jobs/song', { ...PLAN, key: 'H major' })).rejects.toThrow(/not a key/);
    // 11 minutes of plan: refused when submitted, saying what to change.
    const long = {
      ...PLAN,
      tempoBpm: 60,
      sections: [
        { name: 'A', prompt: '', bars: 128 },
        { name: 'B', prompt: '', bars: 42 },
      ],
    };
    await expect(services.call('jobs/song', long)).rejects.toThrow(/680 s long; songs are limited to 10 minutes/);
  });
});
