import { describe, expect, it } from 'vitest';
import { fadeIn, fadeOut, trim } from '../../src/main/audio';
import { arrangementFrames, audibleTracks, renderMix, type RenderTrack } from '../../src/main/audio/render-mix';
import { audio, noise } from './signals';

const sr = 1000;
const a = audio(sr, noise(3000, 1, 0.5));
const b = audio(sr, noise(2000, 2, 0.5));
const clip = (source = a, extra = {}) => ({
  source,
  startSeconds: 0,
  offsetSeconds: 0,
  durationSeconds: 1,
  gainDb: 0,
  fadeInSeconds: 0,
  fadeOutSeconds: 0,
  ...extra,
});

describe('renderMix: the one renderer of an arrangement', () => {
  it('places clips with offset, gains and fades like the editor DSP', () => {
    const tracks: RenderTrack[] = [
      {
        gainDb: -6,
        muted: false,
        clips: [clip(a, { startSeconds: 0.5, offsetSeconds: 1, durationSeconds: 1.5, gainDb: 2, fadeInSeconds: 0.1, fadeOutSeconds: 0.2 })],
      },
    ];
    const frames = arrangementFrames(tracks, sr);
    expect(frames).toBe(2000);
    const { mix } = renderMix(tracks, { sampleRate: sr, channels: 1, startFrame: 0, frames });
    const expected = fadeOut(fadeIn(trim(a, 1, 2.5), 0.1), 0.2).channels[0];
    const g = 10 ** (-4 / 20);
    expect(mix.channels[0].subarray(0, 500).every((x) => x === 0)).toBe(true);
    for (let i = 0; i < 1500; i++) expect(mix.channels[0][500 + i]).toBeCloseTo(expected[i] * g, 6);
  });

  it('a rendered range is exactly the same frames of the full render', () => {
    const tracks: RenderTrack[] = [
      { gainDb: 0, muted: false, clips: [clip(a, { startSeconds: 0.3, durationSeconds: 2.5, fadeInSeconds: 0.25, fadeOutSeconds: 0.5 })] },
      { gainDb: 3, muted: false, clips: [clip(b, { startSeconds: 1.1, durationSeconds: 2, gainDb: -2, fadeOutSeconds: 1 })] },
    ];
    const frames = arrangementFrames(tracks, sr);
    const full = renderMix(tracks, { sampleRate: sr, channels: 1, startFrame: 0, frames }, true);
    const part = renderMix(tracks, { sampleRate: sr, channels: 1, startFrame: 777, frames: 1234 });
    expect(part.mix.channels[0]).toEqual(full.mix.channels[0].slice(777, 777 + 1234));
    expect(full.stems).toHaveLength(2);
    expect(full.stems.every((s) => s.channels[0].length === frames)).toBe(true);
  });

  it('mute and solo decide what the mix hears; stems always sound', () => {
    expect(audibleTracks([{ muted: true }, { muted: false }])).toEqual([false, true]);
    expect(audibleTracks([{ muted: true, solo: true }, { muted: false }])).toEqual([true, false]);
    const tracks: RenderTrack[] = [
      { gainDb: 0, muted: true, clips: [clip(a)] },
      { gainDb: 0, muted: false, clips: [clip(b)] },
    ];
    const { mix, stems } = renderMix(tracks, { sampleRate: sr, channels: 1, startFrame: 0, frames: 1000 }, true);
    expect(mix.channels[0]).toEqual(stems[1].channels[0]);
    expect(stems[0].channels[0]).toEqual(a.channels[0].slice(0, 1000));
  });
});
