/**
 * Where a continuation's context comes from: a codes JSON file (as `--json` prints), or audio
 * that is resampled, remixed to the model's channels and encoded. `--from/--to` pick a region.
 */
import { readFileSync } from 'node:fs';
import { readAudioFile, resample, toChannels, type AudioData } from '../main/audio';
import type { Codes, MusicgenEngine } from '../main/engine';
import { Library } from '../main/library';
import { secondsToFrames, secondsToSamples } from '../shared/units';
import { CliError } from './errors';

export interface Region {
  from?: number;
  to?: number;
}

function checkRegion(region: Region, lengthSeconds: number, source: string): { from: number; to: number } {
  const from = region.from ?? 0;
  const to = region.to ?? lengthSeconds;
  if (from >= to) throw new CliError(`--from (${from} s) must be before --to (${to} s).`, 2);
  if (from >= lengthSeconds) throw new CliError(`--from ${from} s is past the end of ${source} (${lengthSeconds.toFixed(2)} s long).`, 2);
  return { from, to: Math.min(to, lengthSeconds) };
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
    throw new CliError(`${path} holds no audio codes: expected an array of codebooks, or an object with "codes" (as "continuo generate --json" prints).`);
  }
  return candidate as Codes;
}

export function codesFromFile(path: string, region: Region, engine: MusicgenEngine): Codes {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new CliError(`Cannot read ${path}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message}.`);
  }
  const codes = parseCodes(text, path);
  const frames = codes[0]?.length ?? 0;
  const spec = engine.spec;
  const { from, to } = checkRegion(region, (frames * spec.hopLength) / spec.sampleRate, path);
  return codes.map((row) => row.slice(secondsToFrames(from, spec), secondsToFrames(to, spec)));
}

/** Audio between two times, converted to the model's rate and channels, as the model's codes. */
async function encodeRegion(source: AudioData, from: number, to: number, engine: MusicgenEngine): Promise<Codes> {
  const spec = engine.spec;
  const start = secondsToSamples(from, source.sampleRate);
  const end = secondsToSamples(to, source.sampleRate);
  let audio: AudioData = { sampleRate: source.sampleRate, channels: source.channels.map((c) => c.slice(start, end)) };
  if (audio.sampleRate !== spec.sampleRate) audio = await resample(audio, spec.sampleRate);
  if (audio.channels.length !== spec.channels) audio = toChannels(audio, spec.channels);
  return engine.encode(audio);
}

export async function codesFromAudio(path: string, region: Region, engine: MusicgenEngine): Promise<Codes> {
  const audio = await readAudioFile(path);
  const { from, to } = checkRegion(region, audio.channels[0].length / audio.sampleRate, path);
  return encodeRegion(audio, from, to, engine);
}

/** A library take's region: its stored codes when they are this model's, else its audio encoded. */
export async function codesFromTake(dataDir: string, id: string, region: Region, engine: MusicgenEngine, modelId: string): Promise<{ codes: Codes; region: { start: number; end: number } }> {
  const library = Library.open(dataDir);
  try {
    const take = library.getTake(id);
    const { from, to } = checkRegion(region, take.durationSeconds, `take ${id}`);
    const spec = engine.spec;
    const stored = take.modelId === modelId ? library.getCodes(id) : null;
    if (stored && stored.length === spec.codebooks && take.kind !== 'edit') {
      return { codes: stored.map((row) => row.slice(secondsToFrames(from, spec), secondsToFrames(to, spec))), region: { start: from, end: to } };
    }
    return { codes: await encodeRegion(library.readAudio(id), from, to, engine), region: { start: from, end: to } };
  } finally {
    library.close();
  }
}
