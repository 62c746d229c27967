/**
 * Where a continuation's context comes from: a codes JSON file (as `--json` prints), or audio
 * that is resampled, remixed to the model's channels and encoded. `--from/--to` pick a region.
 */
import { readFileSync } from 'node:fs';
import { readAudioFile, resample, toChannels, type AudioData } from '../main/audio';
import type { Codes, MusicgenEngine } from '../main/engine';
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

export async function codesFromAudio(path: string, region: Region, engine: MusicgenEngine): Promise<Codes> {
  const spec = engine.spec;
  let audio: AudioData = await readAudioFile(path);
  const { from, to } = checkRegion(region, audio.channels[0].length / audio.sampleRate, path);
  const start = secondsToSamples(from, audio.sampleRate);
  const end = secondsToSamples(to, audio.sampleRate);
  audio = { sampleRate: audio.sampleRate, channels: audio.channels.map((c) => c.slice(start, end)) };
  if (audio.sampleRate !== spec.sampleRate) audio = await resample(audio, spec.sampleRate);
  if (audio.channels.length !== spec.channels) audio = toChannels(audio, spec.channels);
  return engine.encode(audio);
}
