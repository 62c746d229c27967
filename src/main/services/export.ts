/**
 * Export for a DAW: a single take, or a project as stems — one file per track, all starting at
 * 0 and the same length so they line up on import — plus the mix of the unmuted tracks.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Project } from '../../shared/contract';
import { encodeFlac, encodeWav, fadeIn, fadeOut, mixdown, resample, toChannels, trim, type AudioData } from '../audio';
import { writeFileAtomic } from '../atomic-file';
import type { Library } from '../library';

export type ExportFormat = 'wav16' | 'wav24' | 'wav32f' | 'flac16' | 'flac24';

export async function encodeForExport(audio: AudioData, format: ExportFormat): Promise<Buffer> {
  switch (format) {
    case 'wav16':
      return encodeWav(audio, 'pcm16');
    case 'wav24':
      return encodeWav(audio, 'pcm24');
    case 'wav32f':
      return encodeWav(audio, 'float32');
    case 'flac16':
      return encodeFlac(audio, 16);
    case 'flac24':
      return encodeFlac(audio, 24);
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

export async function exportTake(
  library: Library,
  exportsDir: string,
  id: string,
  format: ExportFormat,
  sampleRate: number,
): Promise<string> {
  const take = library.getTake(id);
  let audio = library.readAudio(id);
  if (audio.sampleRate !== sampleRate) audio = await resample(audio, sampleRate);
  mkdirSync(exportsDir, { recursive: true });
  const file = join(exportsDir, `${slug(take.title ?? take.prompt)}-${take.id.slice(0, 8)}.${extensionOf(format)}`);
  writeFileAtomic(file, await encodeForExport(audio, format));
  return file;
}

export interface StemExport {
  folder: string;
  stems: { trackId: string; file: string }[];
  mix: string;
  seconds: number;
}

/** The project's end: the last moment any clip sounds. */
export function projectLength(project: Project): number {
  return Math.max(0, ...project.tracks.flatMap((t) => t.clips.map((c) => c.startSeconds + c.durationSeconds)));
}

export async function exportStems(
  library: Library,
  exportsDir: string,
  project: Project,
  format: ExportFormat,
  sampleRate: number,
): Promise<StemExport> {
  const seconds = projectLength(project);
  if (seconds === 0) throw new Error(`"${project.name}" has no clips yet: place takes on its tracks before exporting stems.`);
  const channels = Math.max(1, ...project.tracks.flatMap((t) => t.clips.map((c) => library.getTake(c.takeId).channels)));
  const rendered = new Map<string, AudioData>();
  const stems: AudioData[] = [];
  for (const track of project.tracks) {
    const clips = [];
    for (const clip of track.clips) {
      const key = `${clip.takeId}`;
      let source = rendered.get(key);
      if (!source) {
        source = toChannels(library.readAudio(clip.takeId), channels);
        if (source.sampleRate !== sampleRate) source = await resample(source, sampleRate);
        rendered.set(key, source);
      }
      let audio = trim(source, clip.offsetSeconds, clip.offsetSeconds + clip.durationSeconds);
      if (clip.fadeInSeconds > 0) audio = fadeIn(audio, clip.fadeInSeconds);
      if (clip.fadeOutSeconds > 0) audio = fadeOut(audio, clip.fadeOutSeconds);
      clips.push({ audio, offsetSeconds: clip.startSeconds, gainDb: clip.gainDb + track.gainDb });
    }
    stems.push(mixdown(clips, { sampleRate, channels, lengthSeconds: seconds }));
  }
  const mix = mixdown(
    stems.filter((_, i) => !project.tracks[i].muted).map((audio) => ({ audio, offsetSeconds: 0 })),
    { sampleRate, channels, lengthSeconds: seconds },
  );
  const folder = join(exportsDir, `${slug(project.name, 'project')}-${stamp()}`);
  mkdirSync(folder, { recursive: true });
  const ext = extensionOf(format);
  const files = [];
  for (const [i, track] of project.tracks.entries()) {
    const file = join(folder, `${String(i + 1).padStart(2, '0')}-${slug(track.name, 'track')}.${ext}`);
    writeFileAtomic(file, await encodeForExport(stems[i], format));
    files.push({ trackId: track.id, file });
  }
  const mixFile = join(folder, `mix.${ext}`);
  writeFileAtomic(mixFile, await encodeForExport(mix, format));
  return { folder, stems: files, mix: mixFile, seconds };
}
