/**
 * Where a continuation's context comes from: a codes JSON file (as `--json` prints), a library
 * take, or audio that is resampled, remixed to the model's channels and encoded. `--from/--to`
 * pick a region. Everything that can be checked without the model is checked first, in seconds
 * and naming the flags: the region against the source's length (read from an audio file's
 * header, so a long file is refused before it is decoded) and against the model's window.
 */
import { readFileSync } from 'node:fs';
import { probeAudioFile, readAudioFile, resample, toChannels, type AudioData } from '../main/audio';
import type { Codes, ModelSpec, MusicgenEngine } from '../main/engine';
import type { Library } from '../main/library';
import { framesForMaxNewTokens, framesToSeconds, secondsToFrames, secondsToSamples } from '../shared/units';
import { CliError } from './errors';

export interface Region {
  from?: number;
  to?: number;
}

/** What bounds a context: the model's window less the new audio asked for. */
export interface ContextLimit {
  spec: ModelSpec;
  maxNewTokens: number;
}

/** A context checked and read as far as the model is not needed; `codes` finishes it. */
export interface ContextSource {
  region: { start: number; end: number };
  /** The library take continued, by its full id. */
  parentId?: string;
  codes(engine: MusicgenEngine): Promise<Codes>;
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
 * Refuses a context that would not fit the model's window next to the new audio, before
 * anything is decoded or loaded, with a region that would fit.
 */
export function checkContextLength(from: number, to: number, { spec, maxNewTokens }: ContextLimit): void {
  const maxFrames = spec.maxPositions - 1 - maxNewTokens; // the start token, the context, the new steps
  if (framesFor(to - from, spec) <= maxFrames) return;
  const newSeconds = framesToSeconds(framesForMaxNewTokens(maxNewTokens, spec.codebooks), spec);
  if (maxFrames < 1) {
    throw new CliError(
      `With ${seconds(newSeconds)} s of new audio the model's ${seconds(framesToSeconds(spec.maxPositions, spec))} s window has no room left for a context: ask for fewer --seconds.`,
      2,
    );
  }
  const most = Math.floor(framesToSeconds(maxFrames, spec) * 10) / 10;
  const span = most >= 1 ? Math.floor(most) : most;
  const exampleFrom = Math.ceil((to - span) * 1000) / 1000;
  throw new CliError(
    `The context is ${seconds(to - from)} s but the model can continue from at most ${most.toFixed(1)} s (with ${seconds(newSeconds)} s of new audio): ` +
      `pick a region with --from/--to, e.g. --from ${flagValue(exampleFrom)} --to ${flagValue(to)}, or ask for fewer --seconds.`,
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
  const sliced = codes.map((row) => row.slice(secondsToFrames(from, spec), secondsToFrames(to, spec)));
  return { region: { start: from, end: to }, codes: async () => sliced };
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
  return { region: { start: span.from, end: span.to }, codes: (engine) => encode(audio, engine) };
}

/** A library take's region: its stored codes when they are this model's, else its audio encoded. */
export function contextFromTake(library: Library, ref: string, region: Region, limit: ContextLimit, modelId: string): ContextSource {
  const take = library.getTake(ref);
  const { from, to } = checkRegion(region, take.durationSeconds, `take ${ref} (${seconds(take.durationSeconds)} s)`);
  checkContextLength(from, to, limit);
  const { spec } = limit;
  const stored = take.modelId === modelId ? library.getCodes(take.id) : null;
  const result = { region: { start: from, end: to }, parentId: take.id };
  if (stored && stored.length === spec.codebooks && take.kind !== 'edit') {
    const sliced = stored.map((row) => row.slice(secondsToFrames(from, spec), secondsToFrames(to, spec)));
    return { ...result, codes: async () => sliced };
  }
  const audio = cut(library.readAudio(take.id), from, to);
  return { ...result, codes: (engine) => encode(audio, engine) };
}

function cut(audio: AudioData, from: number, to: number): AudioData {
  const start = secondsToSamples(from, audio.sampleRate);
  const end = secondsToSamples(to, audio.sampleRate);
  return { sampleRate: audio.sampleRate, channels: audio.channels.map((c) => c.slice(start, end)) };
}

/** Audio converted to the model's rate and channels, as the model's codes. */
async function encode(source: AudioData, engine: MusicgenEngine): Promise<Codes> {
  const spec = engine.spec;
  let audio = source;
  if (audio.sampleRate !== spec.sampleRate) audio = await resample(audio, spec.sampleRate);
  if (audio.channels.length !== spec.channels) audio = toChannels(audio, spec.channels);
  return engine.encode(audio);
}
