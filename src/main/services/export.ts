/**
 * Export for a DAW: a single take, or a project as stems — one file per track, all starting at
 * 0 and the same length so they line up on import — plus the mix of the unmuted tracks.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Project, Take } from '../../shared/contract';
import { applyGain, encodeFlac, encodeWav, frameCount, loudnessLufs, peakDb, resample, toChannels, type AudioData } from '../audio';
import { encodeAcid, encodeBext, encodeSmpl, insertWavChunks, type BextInfo } from '../audio/bext';
import { barToSample, type TimeSignature } from '../../shared/musical-time';
import { encodeCueMarkers, type CueMarker } from '../audio/cue-markers';
import { insertVorbisComment } from '../audio/flac-tags';
import { arrangementFrames, renderMix, type RenderTrack } from '../audio/render-mix';
import { limitTruePeak, truePeakDb } from '../audio/true-peak';
import { writeFileAtomic } from '../atomic-file';
import type { Library } from '../library';

export type ExportFormat = 'wav16' | 'wav24' | 'wav32f' | 'flac16' | 'flac24';

/**
 * WAV metadata: Broadcast WAV `bext`; `acid` (tempo, meter, beats) where a tempo is known; and for a
 * loop, `smpl` with one forward loop over the whole file, so a sampler or DAW loops it at once.
 * FLAC gets the same facts as Vorbis comments.
 */
export interface FileMetadata {
  bext?: BextInfo;
  tempoBpm?: number | null;
  timeSignature?: TimeSignature | null;
  /** The file is a loop from its first to its last sample. */
  loop?: boolean;
  /** Named markers (a song's sections), WAV only: `cue ` + `LIST`/`labl`. */
  markers?: CueMarker[];
}

/** The RIFF chunks that carry `meta` in a WAV file of `audio`. */
export function wavMetadataChunks(audio: AudioData, meta: FileMetadata): { id: string; data: Uint8Array }[] {
  const chunks: { id: string; data: Uint8Array }[] = [];
  const frames = frameCount(audio);
  if (meta.bext) chunks.push({ id: 'bext', data: encodeBext(meta.bext) });
  if (meta.tempoBpm) {
    const beats = (frames / audio.sampleRate) * (meta.tempoBpm / 60);
    const [numerator, denominator] = (meta.timeSignature ?? '4/4').split('/').map(Number);
    chunks.push({ id: 'acid', data: encodeAcid({ tempoBpm: meta.tempoBpm, beats, meter: [numerator, denominator] }) });
  }
  if (meta.loop) chunks.push({ id: 'smpl', data: encodeSmpl({ sampleRate: audio.sampleRate, loopStart: 0, loopEnd: frames }) });
  if (meta.markers?.length) chunks.push(...encodeCueMarkers(meta.markers));
  return chunks;
}

export async function encodeForExport(audio: AudioData, format: ExportFormat, meta: FileMetadata = {}): Promise<Buffer> {
  const frames = frameCount(audio);
  const chunks = wavMetadataChunks(audio, meta);
  const wav = (bytes: Buffer) => (chunks.length ? insertWavChunks(bytes, chunks) : bytes);
  // FLAC: the same facts as Vorbis comments.
  const tags: Record<string, string> = {};
  if (meta.bext) {
    tags.DESCRIPTION = tags.COMMENT = meta.bext.description;
    tags.ENCODED_BY = meta.bext.originator;
    tags.TIME_REFERENCE = String(meta.bext.timeReference ?? 0);
  }
  if (meta.tempoBpm) tags.BPM = String(meta.tempoBpm);
  if (meta.timeSignature) tags.TIMESIGNATURE = meta.timeSignature;
  // The loop tags game engines and some samplers read from Vorbis comments.
  if (meta.loop) Object.assign(tags, { LOOPSTART: '0', LOOPLENGTH: String(frames) });
  const flac = (bytes: Buffer) => (Object.keys(tags).length ? insertVorbisComment(bytes, tags) : bytes);
  switch (format) {
    case 'wav16':
      return wav(encodeWav(audio, 'pcm16'));
    case 'wav24':
      return wav(encodeWav(audio, 'pcm24'));
    case 'wav32f':
      return wav(encodeWav(audio, 'float32'));
    case 'flac16':
      return flac(await encodeFlac(audio, 16));
    case 'flac24':
      return flac(await encodeFlac(audio, 24));
  }
}

export function extensionOf(format: ExportFormat): string {
  return format.startsWith('flac') ? 'flac' : 'wav';
}

/** A file-name-safe version of a title: letters, digits and dashes. */
export function slug(text: string, fallback = 'untitled'): string {
  const s = text
    .normalize('NFKD')
    .replace(/[^\w\s-]/g, '')
    .trim()
    .replace(/[\s_]+/g, '-')
    .toLowerCase()
    .slice(0, 48);
  return s || fallback;
}

function stamp(now = new Date()): string {
  return now.toISOString().slice(0, 19).replace(/[:T]/g, '-');
}

export const ORIGINATOR = 'Continuo';

export interface LevelOptions {
  /** Normalise the mix (or the take) to this integrated loudness, in LUFS. */
  targetLufs?: number;
  /** True-peak ceiling in dBTP for normalisation and the limiter. Default -1. */
  ceilingDb?: number;
  /** Limit a fixed-gain export to the ceiling instead of warning that it would clip. */
  limit?: boolean;
}

export interface Levelled {
  audio: AudioData;
  /** Static gain applied before any limiting, in dB (to apply to stems too). */
  gainDb: number;
  loudnessLufs: number;
  truePeakDb: number;
  warnings: string[];
}

/**
 * Never clips silently: normalises to a loudness target under a true-peak ceiling (limiting what
 * the gain pushes over), limits a fixed-gain export on request, or else says when an integer
 * file would clip and by how much.
 */
export function levelForExport(audio: AudioData, format: ExportFormat, options: LevelOptions, what: string): Levelled {
  const ceilingDb = options.ceilingDb ?? -1;
  const warnings: string[] = [];
  let gainDb = 0;
  let out = audio;
  if (options.targetLufs !== undefined) {
    const measured = loudnessLufs(audio);
    if (Number.isFinite(measured)) {
      gainDb = options.targetLufs - measured;
      out = applyGain(audio, gainDb);
    } else {
      warnings.push(`${what} is silent or shorter than 0.4 s, so it was not loudness-normalised.`);
    }
  }
  let peak = truePeakDb(out);
  if (options.targetLufs !== undefined || options.limit) {
    if (peak > ceilingDb) {
      out = limitTruePeak(out, { ceilingDb });
      peak = truePeakDb(out);
    }
  } else if (!format.endsWith('32f')) {
    const samplePeak = peakDb(out);
    if (samplePeak > 0) {
      warnings.push(
        `${what} peaks at +${samplePeak.toFixed(1)} dBFS and clips in a ${format.endsWith('16') ? 16 : 24}-bit file: lower its gain, turn on the limiter, or export 32-bit float.`,
      );
    }
  }
  return { audio: out, gainDb, loudnessLufs: loudnessLufs(out), truePeakDb: peak, warnings };
}

/** The bext description of a take: prompt, seed and model (ASCII, 256 characters at most). */
export function describeTake(take: Take): string {
  const tail = ` | seed ${take.seed} | model ${take.modelId}${take.modelVariant ? ` (${take.modelVariant})` : ''}`;
  return `${take.prompt.slice(0, Math.max(0, 256 - tail.length))}${tail}`.slice(0, 256);
}

export interface ExportResult {
  file: string;
  /** null for silence (no gated block, or digital zero): JSON has no -Infinity. */
  loudnessLufs: number | null;
  truePeakDb: number | null;
  warnings: string[];
}

const finite = (value: number): number | null => (Number.isFinite(value) ? value : null);

/**
 * A take as an export file: `file` is where to write it (the CLI's --out), or omitted for the
 * exports folder under a name made from its title. Same bytes either way: levels, bext, tempo,
 * loop points and section markers.
 */
export async function exportTake(
  library: Library,
  exportsDir: string,
  id: string,
  format: ExportFormat,
  sampleRate: number,
  levels: LevelOptions = {},
  file?: string,
): Promise<ExportResult> {
  const take = library.getTake(id);
  const music = take.music;
  const loop =
    music?.loop && music.tempoBpm ? { bars: music.loop.bars, tempoBpm: music.tempoBpm, timeSignature: music.timeSignature ?? '4/4' } : null;
  let audio = library.readAudio(id);
  if (loop) audio = await resampleLoop(audio, sampleRate, barToSample(loop.bars, loop, sampleRate));
  else if (audio.sampleRate !== sampleRate) audio = await resample(audio, sampleRate);
  const levelled = levelForExport(audio, format, levels, 'The take');
  if (!file) mkdirSync(exportsDir, { recursive: true });
  const target = file ?? join(exportsDir, `${slug(take.title ?? take.prompt)}-${take.id.slice(0, 8)}.${extensionOf(format)}`);
  const bext: BextInfo = {
    description: describeTake(take),
    originator: ORIGINATOR,
    originatorReference: take.id.slice(0, 32),
    timeReference: 0,
    loudnessLufs: levelled.loudnessLufs,
    truePeakDb: levelled.truePeakDb,
  };
  // A song's sections become markers at their starts, at the export's rate.
  const markers = music?.song?.sections.map((s) => ({ sample: Math.round(s.startSeconds * sampleRate), label: s.name }));
  const meta = { bext, tempoBpm: music?.tempoBpm, timeSignature: music?.timeSignature, loop: loop !== null, markers };
  writeFileAtomic(target, await encodeForExport(levelled.audio, format, meta));
  return {
    file: target,
    loudnessLufs: finite(levelled.loudnessLufs),
    truePeakDb: finite(levelled.truePeakDb),
    warnings: levelled.warnings,
  };
}

/**
 * A loop at another rate, exactly `length` samples long (N bars at the new rate). It is resampled
 * as a cycle — its tail before it and its head after it — so the filter sees the wrap, not silence,
 * and the loop point stays click-free.
 */
async function resampleLoop(audio: AudioData, sampleRate: number, length: number): Promise<AudioData> {
  const frames = frameCount(audio);
  if (audio.sampleRate === sampleRate && frames === length) return audio;
  const pad = Math.min(frames, Math.round(audio.sampleRate * 0.1));
  const cycled: AudioData = {
    sampleRate: audio.sampleRate,
    channels: audio.channels.map((c) => {
      const out = new Float32Array(frames + 2 * pad);
      out.set(c.subarray(frames - pad), 0);
      out.set(c, pad);
      out.set(c.subarray(0, pad), pad + frames);
      return out;
    }),
  };
  const resampled = audio.sampleRate === sampleRate ? cycled : await resample(cycled, sampleRate);
  const start = Math.round((pad * sampleRate) / audio.sampleRate);
  return { sampleRate, channels: resampled.channels.map((c) => c.slice(start, start + length)) };
}

export interface StemExport {
  folder: string;
  stems: { trackId: string; file: string }[];
  mix: string;
  seconds: number;
  loudnessLufs: number | null;
  truePeakDb: number | null;
  warnings: string[];
}

/** The project's end: the last moment any clip sounds. */
export function projectLength(project: Project): number {
  return Math.max(0, ...project.tracks.flatMap((t) => t.clips.map((c) => c.startSeconds + c.durationSeconds)));
}

/** The channel count a project renders at: the widest take on it. */
export function projectChannels(library: Library, project: Project): number {
  return Math.max(1, ...project.tracks.flatMap((t) => t.clips.map((c) => library.getTake(c.takeId).channels)));
}

/** A take's audio at the mix's rate and width, loaded (and resampled) once per call. */
export type SourceLoader = (takeId: string) => Promise<AudioData>;

export function sourceLoader(library: Library, sampleRate: number, channels: number): SourceLoader {
  const loaded = new Map<string, Promise<AudioData>>();
  return (takeId) => {
    let source = loaded.get(takeId);
    if (!source) {
      source = (async () => {
        const audio = toChannels(library.readAudio(takeId), channels);
        return audio.sampleRate === sampleRate ? audio : resample(audio, sampleRate);
      })();
      loaded.set(takeId, source);
    }
    return source;
  };
}

/** The project as the renderer of the mix sees it: tracks of clips with their sources. */
export async function renderTracks(project: Project, load: SourceLoader): Promise<RenderTrack[]> {
  return Promise.all(
    project.tracks.map(async (track) => ({
      gainDb: track.gainDb,
      muted: track.muted,
      solo: track.solo,
      clips: await Promise.all(track.clips.map(async (clip) => ({ ...clip, source: await load(clip.takeId) }))),
    })),
  );
}

export async function exportStems(
  library: Library,
  exportsDir: string,
  project: Project,
  format: ExportFormat,
  sampleRate: number,
  levels: LevelOptions = {},
): Promise<StemExport> {
  if (projectLength(project) === 0)
    throw new Error(`"${project.name}" has no clips yet: place takes on its tracks before exporting stems.`);
  const channels = projectChannels(library, project);
  const tracks = await renderTracks(project, sourceLoader(library, sampleRate, channels));
  const frames = arrangementFrames(tracks, sampleRate);
  const { mix, stems } = renderMix(tracks, { sampleRate, channels, startFrame: 0, frames }, true);
  const levelled = levelForExport(mix, format, levels, 'The mix');
  const warnings = [...levelled.warnings];
  const folder = join(exportsDir, `${slug(project.name, 'project')}-${stamp()}`);
  mkdirSync(folder, { recursive: true });
  const ext = extensionOf(format);
  // Loudness fields are the mix's; a stem's are left unknown (measuring eight true peaks of a long
  // project would double the export's time for numbers no DAW acts on).
  const bext = (description: string, isMix: boolean): BextInfo => ({
    description: description.slice(0, 256),
    originator: ORIGINATOR,
    originatorReference: project.id.slice(0, 32),
    timeReference: 0, // every file starts at the project's start
    loudnessLufs: isMix ? levelled.loudnessLufs : undefined,
    truePeakDb: isMix ? levelled.truePeakDb : undefined,
  });
  const files = [];
  for (const [i, track] of project.tracks.entries()) {
    // Stems get the mix's normalisation gain, so they still sum to the mix in a DAW.
    const stem = levelled.gainDb !== 0 ? applyGain(stems[i], levelled.gainDb) : stems[i];
    if (!format.endsWith('32f') && peakDb(stem) > 0) {
      warnings.push(
        `Track "${track.name}" peaks at +${peakDb(stem).toFixed(1)} dBFS and clips in its stem: lower its gain or export 32-bit float.`,
      );
    }
    const file = join(folder, `${String(i + 1).padStart(2, '0')}-${slug(track.name, 'track')}.${ext}`);
    const prompts = [...new Set(track.clips.map((c) => describeTake(library.getTake(c.takeId))))].join(' / ');
    const description = `${project.name} - ${track.name}: ${prompts}`;
    writeFileAtomic(
      file,
      await encodeForExport(stem, format, {
        bext: bext(description, false),
        tempoBpm: project.tempoBpm,
        timeSignature: project.timeSignature,
      }),
    );
    files.push({ trackId: track.id, file });
  }
  const mixFile = join(folder, `mix.${ext}`);
  const mixMeta = { bext: bext(`${project.name} - mix`, true), tempoBpm: project.tempoBpm, timeSignature: project.timeSignature };
  writeFileAtomic(mixFile, await encodeForExport(levelled.audio, format, mixMeta));
  return {
    folder,
    stems: files,
    mix: mixFile,
    seconds: frames / sampleRate,
    loudnessLufs: finite(levelled.loudnessLufs),
    truePeakDb: finite(levelled.truePeakDb),
    warnings,
  };
}
