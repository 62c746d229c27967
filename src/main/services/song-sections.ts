/**
 * The core of a song: sections generated one after another, each a windowed continuation of
 * everything made so far with its own prompt and seed. The codes of every section are appended to
 * one stream (the engine hands the context back unchanged, so section k starts exactly where
 * section k−1's tail left off) and decoded once at the end by the caller. A cancel between or
 * inside a section keeps the sections already finished.
 */
import type { Progress, SectionPlan } from '../../shared/contract';
import { defaultWindowPlan, isCancelled, throwIfAborted, type Codes } from '../engine';
import { windowFramesOf, type EngineHost, type EngineInfo, type HostResult } from './engine-host';
import { previewHook, type Preview } from './generation';

/** Section i of a song seeded `seed` uses `seed + i × SECTION_SEED_STEP` (stored with the section). */
export const SECTION_SEED_STEP = 104_729;

export function sectionSeed(songSeed: number, index: number): number {
  return (songSeed + index * SECTION_SEED_STEP) >>> 0;
}

/** One section to generate: its place on the song's frame grid and what the model sees. */
export interface SectionJob {
  plan: SectionPlan;
  fullPrompt: string;
  seed: number;
  startFrame: number;
  endFrame: number;
  version: number;
}

export interface SectionRun {
  host: EngineHost;
  info: EngineInfo;
  guidanceScale: number;
  sampling: { greedy: boolean; temperature: number; topK: number; topP: number };
  signal: AbortSignal;
  report: (progress: Progress) => void;
  /** Sections before the first one generated here (a re-roll), so progress counts the song's sections. */
  sectionsBefore?: number;
  /** Streaming preview of the song as it is made; chunks are placed in the song's audio. */
  preview?: Preview;
  /** Extra frames generated after the last section (an in-place re-roll crossfades into what follows). */
  overhangFrames?: number;
}

export interface SectionsResult {
  codes: Codes;
  /** The sections finished (all of them unless cancelled). */
  done: SectionJob[];
  cancelled: boolean;
  /** Frames past the last section's end (overhangFrames when it was finished). */
  overhang: number;
  /** What the engine reported for each finished section (timings, the request as resolved). */
  results: HostResult[];
}

const tail = (codes: Codes, frames: number): Codes => codes.map((row) => row.slice(Math.max(0, row.length - frames)));

/** Decoder steps of each section, for an overall progress and ETA that do not jump between sections. */
function sectionSteps(info: EngineInfo, sections: SectionJob[], overhang: number): number[] {
  const window = windowFramesOf(info);
  return sections.map((s, i) => {
    const frames = s.endFrame - s.startFrame + (i === sections.length - 1 ? overhang : 0);
    const plan = defaultWindowPlan(frames, Math.min(s.startFrame, window), window);
    return plan.windows.reduce((sum, w) => sum + w.frames + info.codebooks - 1, 0);
  });
}

/**
 * Generates `sections` after `prefix` (the codes before the first of them; empty for a new song).
 * Returns the whole stream: prefix + every finished section.
 */
export async function generateSections(run: SectionRun, prefix: Codes, sections: SectionJob[]): Promise<SectionsResult> {
  const { host, info } = run;
  const window = windowFramesOf(info);
  const overhangWanted = run.overhangFrames ?? 0;
  const steps = sectionSteps(info, sections, overhangWanted);
  const total = steps.reduce((a, b) => a + b, 0);
  const started = performance.now();
  let stepsBefore = 0;
  let codes = prefix.map((row) => row.slice());
  const done: SectionJob[] = [];
  const results: HostResult[] = [];
  let overhang = 0;
  for (const [index, section] of sections.entries()) {
    if (codes[0].length !== section.startFrame) {
      throw new Error(`Section ${section.plan.name} should start at frame ${section.startFrame}, but ${codes[0].length} frames exist.`);
    }
    const last = index === sections.length - 1;
    const frames = section.endFrame - section.startFrame + (last ? overhangWanted : 0);
    const context = codes[0].length > 0 ? tail(codes, window) : undefined;
    // The engine streams from the start of the context it keeps: place its chunks in the song.
    const usedContext = context ? defaultWindowPlan(frames, context[0].length, window).contextFrames : 0;
    const onAudio = previewHook(run.signal, run.preview, (codes[0].length - usedContext) * info.hopLength);
    try {
      throwIfAborted(run.signal);
      const result = await host.generate(
        {
          prompts: [section.fullPrompt],
          newFrames: frames,
          guidanceScale: run.guidanceScale,
          sampling: run.sampling,
          seed: section.seed,
          context,
          decodeAudio: false,
        },
        {
          signal: run.signal,
          // Only the last section's last chunk ends the song's preview.
          onAudio: onAudio && ((chunk) => onAudio({ ...chunk, final: chunk.final && last })),
          onProgress: (p) => {
            const step = stepsBefore + Math.round((p.step / p.total) * steps[index]);
            const elapsedMs = performance.now() - started;
            run.report({
              step,
              total,
              elapsedMs,
              etaMs: step > 0 ? (elapsedMs / step) * (total - step) : 0,
              window: p.window,
              windows: p.windows,
              section: (run.sectionsBefore ?? 0) + index + 1,
              sections: (run.sectionsBefore ?? 0) + sections.length,
            });
          },
        },
      );
      results.push({ ...result, takes: [] });
      const take = result.takes[0];
      const added = take.codes.map((row) => row.slice(take.contextFrames));
      codes = codes.map((row, k) => row.concat(added[k]));
      if (last) overhang = overhangWanted;
    } catch (error) {
      if (isCancelled(error) || run.signal.aborted) return { codes, done, cancelled: true, overhang: 0, results };
      throw error;
    }
    stepsBefore += steps[index];
    done.push(section);
  }
  return { codes, done, cancelled: false, overhang, results };
}
