/**
 * Where a continuation's context comes from: a codes JSON file (as `--json` prints), a library
 * take, or an audio file. `--from/--to` pick a region. Everything that can be checked without the
 * model is checked first, in seconds and naming the flags: the region against the source's length
 * (read from an audio file's header, so a long file is refused before it is decoded) and against
 * the window the services continue from. Then each source becomes a take the services' jobs/continue
 * can start from, as in the studio: an audio file's region is imported (takes/import), codes are
 * imported as a take of the model (importCodes), and a library take is used as it is.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, extname, join } from 'node:path';
import { encodeWav, probeAudioFile, readAudioFile, type AudioData } from '../main/audio';
import { defaultWindowPlan, STRIDE_FRAMES, WINDOW_FRAMES, type Codes, type ModelSpec } from '../main/engine';
import type { Library } from '../main/library';
import type { Services } from '../main/services';
import { framesToSeconds, secondsToFrames, secondsToSamples } from '../shared/units';
import { CliError } from './errors';

export interface Region {
  from?: number;
  to?: number;
}

/** What bounds a context: the window less the new audio asked for. */
export interface ContextLimit {
  spec: ModelSpec;
  /** New frames asked for. */
  frames: number;
}

/** What jobs/continue starts from: a take in the services' library, and the part of it to continue. */
export interface ContextTake {
  takeId: string;
  region?: { start: number; end: number };
}

/** A context checked (and an audio file read) before the model is loaded; `take` hands it to the services. */
export interface ContextSource {
  /** The region of the source, in its seconds. */
  region: { start: number; end: number };
  take(services: Services): Promise<ContextTake>;
}

/** Seconds for a sentence: one decimal, more only where one would hide the difference. */
function seconds(value: number): string {
  return Math.abs(value * 10 - Math.round(value * 10)) < 1e-6 ? value.toFixed(1) : String(Number(value.toFixed(3)));
}

/** Seconds as a flag value a user can paste: no trailing zeros. */
function flagValue(value: number): string {
  return String(Number(value.toFixed(3)));
}

/** The region within a source of `length` seconds, described by `what` ("the 3.0 s file x.wav"). */
export function checkRegion(region: Region, length: number, what: string): { from: number; to: number } {
  const from = region.from ?? 0;
  if (from >= length) {
    throw new CliError(
      `--from ${flagValue(from)} s starts ${from === length ? 'at' : 'after'} the end of ${what}: there is nothing to continue from there. Pick a start before ${seconds(length)} s.`,
      2,
    );
  }
  if (region.to !== undefined && region.to <= from) {
    throw new CliError(
      region.from !== undefined
        ? `--from (${flagValue(from)} s) must be before --to (${flagValue(region.to)} s).`
        : `--to ${flagValue(region.to)} s leaves nothing to continue from: it must be after the start of ${what}.`,
      2,
    );
  }
  return { from, to: Math.min(region.to ?? length, length) };
}

/** Codec frames a stretch of audio becomes (the encoder rounds a partial frame up). */
function framesFor(span: number, spec: ModelSpec): number {
  return Math.ceil(secondsToSamples(span, spec.sampleRate) / spec.hopLength);
}

/**
 * The most context a continuation keeps: the services generate in windows of 30 s (long-form.ts),
 * and the first window holds the context and the first new frames (all of them, up to 18 s).
 */
export function maxContextFrames(newFrames: number, spec: ModelSpec): number {
  const window = Math.min(WINDOW_FRAMES, spec.maxPositions - spec.codebooks);
  return defaultWindowPlan(newFrames, Infinity, window).contextFrames;
}

/**
 * Refuses a region that is empty, or longer than the context a continuation keeps, before anything
 * is decoded or loaded, with a region that would fit.
 */
export function checkContextLength(from: number, to: number, { spec, frames }: ContextLimit): void {
  if (secondsToFrames(to, spec) - secondsToFrames(from, spec) < 1)
    throw new CliError('The selected region is shorter than one codec frame (20 ms).', 2);
  const maxFrames = maxContextFrames(frames, spec);
  if (framesFor(to - from, spec) <= maxFrames) return;
  const newSeconds = framesToSeconds(frames, spec);
  const most = Math.floor(framesToSeconds(maxFrames, spec) * 10) / 10;
  const span = most >= 1 ? Math.floor(most) : most;
  const exampleFrom = Math.ceil((to - span) * 1000) / 1000;
  // Past the first window's 18 s the context does not shrink further: fewer --seconds would not help.
  const fewer = frames < STRIDE_FRAMES ? ', or ask for fewer --seconds' : '';
  throw new CliError(
    `The context is ${seconds(to - from)} s but the model can continue from at most ${most.toFixed(1)} s (with ${seconds(newSeconds)} s of new audio): ` +
      `pick a region with --from/--to, e.g. --from ${flagValue(exampleFrom)} --to ${flagValue(to)}${fewer}.`,
    2,
  );
}

function parseCodes(text: string, path: string): Codes {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new CliError(`${path} is not JSON (${(error as Error).message}). Pass a file written by "continuo generate --json".`);
  }
  const candidate = Array.isArray(value) ? value : (value as { codes?: unknown })?.codes;
  if (!Array.isArray(candidate) || !candidate.every((row) => Array.isArray(row))) {
    throw new CliError(
      `${path} holds no audio codes: expected an array of codebooks, or an object with "codes" (as "continuo generate --json" prints).`,
    );
  }
  return candidate as Codes;
}

export function contextFromCodesFile(path: string, region: Region, limit: ContextLimit): ContextSource {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new CliError(
      `Cannot read ${path}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message}.`,
    );
  }
  const codes = parseCodes(text, path);
  const { spec } = limit;
  const length = framesToSeconds(codes[0]?.length ?? 0, spec);
  if (length === 0) throw new CliError(`${path} holds no audio codes (0 frames).`);
  const { from, to } = checkRegion(region, length, `the ${seconds(length)} s of codes in ${path}`);
  checkContextLength(from, to, limit);
  return {
    region: { start: from, end: to },
    // The codes are the model's own: imported whole, so the new take's region is the one typed.
    take: async (services) => ({
      takeId: (await services.importCodes(codes, { name: basename(path) })).id,
      region: { start: from, end: to },
    }),
  };
}

/**
 * Audio from a file: its length comes from the header where the format declares one (WAV, FLAC,
 * most MP3s), so a region is checked before decoding, and a WAV is read only where the region is.
 */
export async function contextFromAudio(path: string, region: Region, limit: ContextLimit): Promise<ContextSource> {
  const info = await probeAudioFile(path);
  const what = (length: number) => `the ${seconds(length)} s file ${path}`;
  let audio: AudioData;
  let span: { from: number; to: number };
  if (info.durationSeconds !== undefined) {
    span = checkRegion(region, info.durationSeconds, what(info.durationSeconds));
    checkContextLength(span.from, span.to, limit);
    audio = await readAudioFile(path, { start: span.from, end: span.to });
  } else {
    const whole = await readAudioFile(path);
    const length = whole.channels[0].length / whole.sampleRate;
    span = checkRegion(region, length, what(length));
    checkContextLength(span.from, span.to, limit);
    audio = cut(whole, span.from, span.to);
  }
  return { region: { start: span.from, end: span.to }, take: (services) => importRegion(services, audio, path, span, region) };
}

/**
 * The region of an audio file as an import take (only the region: a long recording is not copied
 * into the library whole). The services encode it when the job continues it.
 */
async function importRegion(
  services: Services,
  audio: AudioData,
  path: string,
  span: { from: number; to: number },
  typed: Region,
): Promise<ContextTake> {
  const name = basename(path);
  const stem = name.slice(0, name.length - extname(name).length) || name;
  const title = typed.from !== undefined || typed.to !== undefined ? `${stem} ${seconds(span.from)}–${seconds(span.to)} s` : undefined;
  const folder = mkdtempSync(join(tmpdir(), 'continuo-region-'));
  try {
    const file = join(folder, 'region.wav');
    writeFileSync(file, encodeWav(audio, 'float32'));
    return { takeId: (await services.importFile(file, { name, title })).id };
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
}

/**
 * A take of the user's library. The services continue it from its stored codes or its audio, as in
 * the studio. Services with a library of their own (--no-save) get a copy of it first.
 */
export function contextFromTake(library: Library, ref: string, region: Region, limit: ContextLimit): ContextSource {
  const take = library.getTake(ref);
  const { from, to } = checkRegion(region, take.durationSeconds, `take ${ref} (${seconds(take.durationSeconds)} s)`);
  checkContextLength(from, to, limit);
  const used = { start: from, end: to };
  return {
    region: used,
    take: async (services) => {
      if (services.library === library) return { takeId: take.id, region: used };
      const copy = services.library.saveTake({
        ...take,
        audio: library.readAudio(take.id),
        codes: library.getCodes(take.id),
        parentId: null,
        region: null,
      });
      return { takeId: copy.id, region: used };
    },
  };
}

function cut(audio: AudioData, from: number, to: number): AudioData {
  const start = secondsToSamples(from, audio.sampleRate);
  const end = secondsToSamples(to, audio.sampleRate);
  return { sampleRate: audio.sampleRate, channels: audio.channels.map((c) => c.slice(start, end)) };
}
