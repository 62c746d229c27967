/**
 * Songs: a plan of sections in bars becomes one take with section markers. Each section continues
 * the song so far with its own prompt (song style + section addition + key and tempo) and seed; the
 * whole stream is decoded once, each seam between sections is scored, and a cancelled song keeps
 * the sections that were finished. Re-rolling a section makes a new take from the same context,
 * either regenerating everything after it (a branch) or only the section, crossfaded into what
 * followed (in place); the original stays in the lineage as the new take's parent.
 */
import type { z } from 'zod';
import {
  ApiError,
  MAX_SONG_SECONDS,
  type Progress,
  type RerollParamsSchema,
  type SectionPlan,
  type SongPlanSchema,
  type SongSection,
  type Take,
  type TakeMusic,
} from '../../shared/contract';
import { barSpans, promptWithMusic, type MusicalTime, type TimeSignature } from '../../shared/musical-time';
import { framesToSamples, framesToSeconds } from '../../shared/units';
import { crossfade, type AudioData } from '../audio';
import { scoreSeam } from '../audio/analysis';
import { randomSeed, type Codes } from '../engine';
import type { EngineInfo } from './engine-host';
import { loadEngineFor, type GenerationDeps, type Preview } from './generation';
import { measuredTakeMusic } from './music';
import { jobResult, mergeHostResults } from './job-result';
import { generateSections, sectionSeed, type SectionJob, type SectionRun, type SectionsResult } from './song-sections';

type SongParams = z.output<typeof SongPlanSchema>;
type RerollParams = z.output<typeof RerollParamsSchema>;

/** An in-place re-roll generates this much past its section and crossfades it into what followed. */
const CROSSFADE_SECONDS = 0.25;

interface SongShape {
  title: string | null;
  prompt: string;
  tempoBpm: number;
  key: string | null;
  timeSignature: TimeSignature;
  plan: SectionPlan[];
}

function sectionPrompt(song: SongShape, section: SectionPlan): string {
  const words = [song.prompt.trim(), section.prompt.trim()].filter(Boolean).join(', ');
  return promptWithMusic(words, { tempoBpm: song.tempoBpm, key: song.key });
}

/** Every section of the plan on the song's frame grid, seeded from the song's seed (or as stored). */
function sectionJobs(song: SongShape, info: EngineInfo, seeds: number[], versions: number[] = []): SectionJob[] {
  const time: MusicalTime = { tempoBpm: song.tempoBpm, timeSignature: song.timeSignature };
  const spans = barSpans(
    song.plan.map((s) => s.bars),
    time,
    info,
  );
  return song.plan.map((plan, i) => ({
    plan,
    fullPrompt: sectionPrompt(song, plan),
    seed: seeds[i],
    startFrame: spans[i].startFrame,
    endFrame: spans[i].endFrame,
    version: versions[i] ?? 0,
  }));
}

/** A plan longer than MAX_SONG_SECONDS is refused when it is submitted, before it waits in the queue. */
export function checkSongLength(seconds: number): void {
  if (seconds > MAX_SONG_SECONDS) {
    throw new ApiError(
      'invalid-params',
      `This plan is ${Math.round(seconds)} s long; songs are limited to ${MAX_SONG_SECONDS / 60} minutes. Shorten sections or raise the tempo.`,
    );
  }
}

/** The section markers of a take made of `sections`, each seam (a section's start) scored in the audio. */
function markers(sections: SectionJob[], audio: AudioData, song: SongShape, info: EngineInfo, keep: SongSection[] = []): SongSection[] {
  return sections.map((s, i) => {
    const kept = keep[i];
    const startSample = framesToSamples(s.startFrame, info);
    return {
      name: s.plan.name,
      prompt: s.plan.prompt,
      fullPrompt: s.fullPrompt,
      bars: s.plan.bars,
      startFrame: s.startFrame,
      endFrame: s.endFrame,
      startSeconds: framesToSeconds(s.startFrame, info),
      endSeconds: framesToSeconds(s.endFrame, info),
      seed: s.seed,
      seam: i === 0 ? null : (kept?.seam ?? scoreSeam(audio, startSample, { tempoBpm: song.tempoBpm })),
      version: s.version,
    };
  });
}

interface SaveSong {
  deps: GenerationDeps;
  info: EngineInfo;
  song: SongShape;
  songSeed: number;
  codes: Codes;
  audio: AudioData;
  sections: SongSection[];
  params: { guidanceScale: number; sampling: SectionRun['sampling'] };
  parent?: { id: string; contextFrames: number; regionEnd: number };
  /** The section a re-roll remade, named in the title ("Rainy window (Verse v2)"). */
  rerolled?: SongSection;
}

function saveSong({ deps, info, song, songSeed, codes, audio, sections, params, parent, rerolled }: SaveSong): Take {
  const frames = codes[0].length;
  const music: TakeMusic = measuredTakeMusic(
    audio,
    { tempoBpm: song.tempoBpm, key: song.key, timeSignature: song.timeSignature },
    { song: { title: song.title, prompt: song.prompt, sections, plannedSections: song.plan.length, plan: song.plan } },
  );
  const partial = sections.length < song.plan.length ? ` (${sections.length} of ${song.plan.length} sections)` : '';
  const take = deps.library.saveTake({
    kind: parent ? 'continue' : 'generate',
    prompt: song.prompt || sections.map((s) => s.prompt).join(' / '),
    title: `${song.title ?? 'Song'}${rerolled ? ` (${rerolled.name} v${rerolled.version + 1})` : ''}${partial}`,
    modelId: info.modelId,
    modelVariant: info.variant,
    device: info.device,
    seed: songSeed,
    settings: {
      seconds: framesToSeconds(frames - (parent?.contextFrames ?? 0), info),
      maxNewTokens: frames + info.codebooks - 1,
      guidanceScale: params.guidanceScale,
      sampling: params.sampling,
      variations: 1,
    },
    audio,
    codes,
    contextFrames: parent?.contextFrames ?? 0,
    parentId: parent?.id ?? null,
    region: parent ? { start: 0, end: parent.regionEnd } : null,
    music,
  });
  deps.created(take);
  return take;
}

/** Each section as its own take, a child of the song (its codes and audio cut on the section's frames). */
function saveSectionTakes(deps: GenerationDeps, info: EngineInfo, song: Take, codes: Codes, audio: AudioData): string[] {
  const sections = song.music?.song?.sections ?? [];
  return sections.map((s) => {
    const [from, to] = [framesToSamples(s.startFrame, info), framesToSamples(s.endFrame, info)];
    const take = deps.library.saveTake({
      kind: s.startFrame === 0 ? 'generate' : 'continue',
      prompt: s.fullPrompt,
      title: `${song.title ?? 'Song'}: ${s.name}`,
      modelId: info.modelId,
      modelVariant: info.variant,
      device: info.device,
      seed: s.seed,
      settings: { ...song.settings, seconds: s.endSeconds - s.startSeconds, maxNewTokens: s.endFrame - s.startFrame + info.codebooks - 1 },
      audio: { sampleRate: audio.sampleRate, channels: audio.channels.map((c) => c.slice(from, to)) },
      codes: codes.map((row) => row.slice(s.startFrame, s.endFrame)),
      contextFrames: 0,
      parentId: song.id,
      region: { start: s.startSeconds, end: s.endSeconds },
      music: { ...song.music!, estimated: null, song: null, loop: null },
    });
    deps.created(take);
    return take.id;
  });
}

async function decodeOne(deps: GenerationDeps, codes: Codes): Promise<AudioData> {
  const [audio] = await deps.host.decode([codes]);
  return audio;
}

/** The job's result: the sections' generations as one, with the decode of the whole song. */
function recordResult(
  deps: GenerationDeps,
  info: EngineInfo,
  made: SectionsResult,
  seed: number,
  timing: { loadMs: number; started: number; codecMs: number },
): void {
  if (made.results.length === 0) return;
  const merged = mergeHostResults(made.results, seed, { codecMs: timing.codecMs, totalMs: performance.now() - timing.started });
  deps.record?.(jobResult(info, merged, timing.loadMs));
}

async function timedDecode(deps: GenerationDeps, codes: Codes): Promise<{ audio: AudioData; codecMs: number }> {
  const started = performance.now();
  const audio = await decodeOne(deps, codes);
  return { audio, codecMs: performance.now() - started };
}

export async function runSong(
  deps: GenerationDeps,
  params: SongParams,
  signal: AbortSignal,
  report: (p: Progress) => void,
  preview?: Preview,
): Promise<string[]> {
  const started = performance.now();
  const { info, loadMs } = await loadEngineFor(deps, params.modelId);
  const song: SongShape = {
    title: params.title ?? null,
    prompt: params.prompt,
    tempoBpm: params.tempoBpm,
    key: params.key ?? null,
    timeSignature: params.timeSignature,
    plan: params.sections,
  };
  const songSeed = params.seed ?? randomSeed();
  const jobs = sectionJobs(
    song,
    info,
    song.plan.map((_, i) => sectionSeed(songSeed, i)),
  );
  const run: SectionRun = {
    host: deps.host,
    info,
    guidanceScale: params.guidanceScale,
    sampling: params.sampling,
    signal,
    report,
    preview,
  };
  const empty: Codes = Array.from({ length: info.codebooks }, () => []);
  const made = await generateSections(run, empty, jobs);
  if (made.done.length === 0) return [];
  const { audio, codecMs } = await timedDecode(deps, made.codes);
  recordResult(deps, info, made, songSeed, { loadMs, started, codecMs });
  const sections = markers(made.done, audio, song, info);
  const take = saveSong({ deps, info, song, songSeed, codes: made.codes, audio, sections, params });
  const children = params.sectionTakes ? saveSectionTakes(deps, info, take, made.codes, audio) : [];
  return [take.id, ...children];
}

function songOf(take: Take): SongShape & { sections: SongSection[] } {
  const song = take.music?.song;
  if (!song || !take.music?.tempoBpm) {
    throw new ApiError(
      'invalid-params',
      `"${take.title ?? take.prompt}" is not a song: only takes made from a song plan have sections to re-roll.`,
    );
  }
  return {
    title: song.title,
    prompt: song.prompt,
    tempoBpm: take.music.tempoBpm,
    key: take.music.key,
    timeSignature: take.music.timeSignature ?? '4/4',
    plan: song.plan,
    sections: song.sections,
  };
}

/**
 * The song a re-roll remakes, its plan with the re-rolled section's new prompt addition if one was
 * given; refused before it is queued when the section is not one to re-roll.
 */
export function rerollTarget(
  parent: Take,
  { section, mode, prompt }: Pick<RerollParams, 'section' | 'mode' | 'prompt'>,
): SongShape & { sections: SongSection[] } {
  const song = songOf(parent);
  // The section after the last one made (a cancelled song) can be made as a branch: that finishes the song.
  const finishes = section === song.sections.length && section < song.plan.length;
  if (finishes && mode === 'in-place') {
    throw new ApiError(
      'invalid-params',
      `Section ${section + 1} (${song.plan[section].name}) was never made, so there is nothing to replace in place: re-roll it as a branch to finish the song.`,
    );
  }
  if (section >= song.sections.length && !finishes) {
    throw new ApiError(
      'invalid-params',
      `This song has ${song.sections.length} section${song.sections.length === 1 ? '' : 's'}; there is no section ${section + 1} to re-roll.`,
    );
  }
  if (prompt !== undefined) song.plan = song.plan.map((s, i) => (i === section ? { ...s, prompt } : s));
  return song;
}

export async function runReroll(
  deps: GenerationDeps,
  params: RerollParams,
  signal: AbortSignal,
  report: (p: Progress) => void,
  preview?: Preview,
): Promise<string[]> {
  const parent = deps.library.getTake(params.takeId);
  const song = rerollTarget(parent, params);
  const index = params.section;
  // Finishing a cancelled song: the missing sections are made as the song would have made them.
  const finishing = index === song.sections.length;
  const started = performance.now();
  const { info, loadMs } = await loadEngineFor(deps, parent.modelId);
  const codes = deps.library.getCodes(parent.id);
  if (!codes || codes.length !== info.codebooks) {
    throw new ApiError(
      'model-unavailable',
      `The song's codes are not usable with ${info.modelId}: switch to ${parent.modelId} to re-roll it.`,
    );
  }
  const made = song.sections;
  // Planned sections the song never reached (it was cancelled) are seeded as the song would have seeded them.
  const seeds = song.plan.map((_, i) => made[i]?.seed ?? sectionSeed(parent.seed, i));
  if (!finishing || params.seed !== undefined) seeds[index] = params.seed ?? randomSeed();
  const versions = song.plan.map((_, i) => (made[i]?.version ?? 0) + (i === index && !finishing ? 1 : 0));
  const jobs = sectionJobs(song, info, seeds, versions);
  const target = jobs[index];
  const prefix = codes.map((row) => row.slice(0, target.startFrame));
  const run: SectionRun = {
    host: deps.host,
    info,
    guidanceScale: parent.settings.guidanceScale,
    sampling: parent.settings.sampling,
    signal,
    report,
    sectionsBefore: index,
    preview,
  };
  const parentLink = { id: parent.id, contextFrames: target.startFrame, regionEnd: framesToSeconds(target.startFrame, info) };

  if (params.mode === 'branch') {
    const result = await generateSections(run, prefix, jobs.slice(index));
    if (result.done.length === 0) return [];
    const { audio, codecMs } = await timedDecode(deps, result.codes);
    recordResult(deps, info, result, seeds[index], { loadMs, started, codecMs });
    const sections = markers(jobs.slice(0, index + result.done.length), audio, song, info, made.slice(0, index));
    return [
      saveSong({
        deps,
        info,
        song,
        songSeed: parent.seed,
        codes: result.codes,
        audio,
        sections,
        params: run,
        parent: parentLink,
        rerolled: finishing ? undefined : sections[index],
      }).id,
    ];
  }

  // In place: only this section is new; what followed it is kept, joined by a crossfade.
  const following = codes[0].length - target.endFrame;
  const overhangFrames = Math.min(following, Math.ceil((CROSSFADE_SECONDS * info.sampleRate) / info.hopLength));
  const result = await generateSections({ ...run, overhangFrames }, prefix, [target]);
  if (result.cancelled) return [];
  const joined = codes.map((row, k) => result.codes[k].slice(0, target.endFrame).concat(row.slice(target.endFrame)));
  const { audio: generated, codecMs } = await timedDecode(deps, result.codes);
  recordResult(deps, info, result, seeds[index], { loadMs, started, codecMs });
  let audio = generated;
  if (following > 0) {
    const original = deps.library.readAudio(parent.id);
    const seam = framesToSamples(target.endFrame, info);
    const after: AudioData = { sampleRate: original.sampleRate, channels: original.channels.map((c) => c.subarray(seam)) };
    audio = crossfade(generated, after, framesToSeconds(result.overhang, info));
  }
  // Sections before and after keep their markers; the re-rolled one and both its seams are measured again.
  const keep = made.map((s, i) => (i === index || i === index + 1 ? undefined : s)) as SongSection[];
  const sections = markers(jobs.slice(0, made.length), audio, song, info, keep);
  return [
    saveSong({
      deps,
      info,
      song,
      songSeed: parent.seed,
      codes: joined,
      audio,
      sections,
      params: run,
      parent: parentLink,
      rerolled: sections[index],
    }).id,
  ];
}
