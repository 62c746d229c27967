import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { encodeWav } from '../../src/main/audio';
import { decodeAcid, decodeSmpl, encodeAcid, encodeSmpl, insertWavChunks, readWavChunks } from '../../src/main/audio/bext';
import { audio, sine } from './signals';

function commandExists(name: string): boolean {
  try {
    execFileSync('which', [name], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

describe('smpl chunk', () => {
  const take = audio(48000, sine(440, 1, 48000, 0.5), sine(660, 1, 48000, 0.5));
  const wav = insertWavChunks(encodeWav(take, 'pcm24'), [
    { id: 'smpl', data: encodeSmpl({ sampleRate: 48000, loopStart: 1200, loopEnd: 48000 }) },
    { id: 'acid', data: encodeAcid({ tempoBpm: 120, beats: 2 }) },
  ]);

  it('round-trips through a WAV file next to other chunks, the loop end exclusive', () => {
    const chunks = readWavChunks(wav);
    expect(decodeSmpl(chunks.get('smpl')!)).toEqual({ sampleRate: 48000, unityNote: 60, loops: [{ start: 1200, end: 48000, type: 0 }] });
    expect(decodeAcid(chunks.get('acid')!).tempoBpm).toBe(120);
    expect(chunks.get('data')!.length).toBe(48000 * 2 * 3);
  });

  it('lays out the 36-byte header and one 24-byte forward loop as the RIFF sampler chunk defines them', () => {
    const chunk = encodeSmpl({ sampleRate: 44100, loopStart: 10, loopEnd: 1000, unityNote: 57 });
    expect(chunk).toHaveLength(60);
    const words = Array.from({ length: 15 }, (_, i) => chunk.readUInt32LE(i * 4));
    expect(words).toEqual([
      0, // manufacturer
      0, // product
      22676, // sample period: round(1e9 / 44100) ns
      57, // MIDI unity note
      0, // pitch fraction
      0, // SMPTE format
      0, // SMPTE offset
      1, // loop count
      0, // sampler data bytes
      0, // cue point id
      0, // type: forward
      10, // start
      999, // end, inclusive
      0, // fraction
      0, // play count: forever
    ]);
    expect(encodeSmpl({ sampleRate: 32000, loopStart: 0, loopEnd: 5 }).readUInt32LE(12)).toBe(60);
  });

  it.each([8000, 22050, 32000, 44100, 48000, 96000, 192000])('gives back %i Hz from the nanosecond sample period', (sampleRate) => {
    expect(decodeSmpl(encodeSmpl({ sampleRate, loopStart: 0, loopEnd: 1 })).sampleRate).toBe(sampleRate);
  });

  it('rejects an empty or negative loop', () => {
    expect(() => encodeSmpl({ sampleRate: 48000, loopStart: 10, loopEnd: 10 })).toThrow(RangeError);
    expect(() => encodeSmpl({ sampleRate: 48000, loopStart: -1, loopEnd: 10 })).toThrow(RangeError);
  });

  it('leaves the file readable by sox and ffprobe', ({ skip }) => {
    skip(!commandExists('sox') && !commandExists('ffprobe'), 'neither sox nor ffprobe is installed to cross-check the file');
    const file = join(mkdtempSync(join(tmpdir(), 'continuo-smpl-')), 'loop.wav');
    writeFileSync(file, wav);
    if (commandExists('sox')) {
      expect(execFileSync('sox', ['--i', '-s', file], { encoding: 'utf8' }).trim()).toBe('48000');
    }
    if (commandExists('ffprobe')) {
      const out = JSON.parse(execFileSync('ffprobe', ['-v', 'error', '-show_streams', '-of', 'json', file], { encoding: 'utf8' }));
      expect(out.streams[0]).toMatchObject({ sample_rate: '48000', channels: 2, duration_ts: 48000 });
    }
  });
});
