import { describe, expect, it } from 'vitest';
import { mixdown } from '../../src/main/audio/mixdown';
import { audio } from './signals';

const rows = (a: { channels: Float32Array[] }) => a.channels.map((c) => Array.from(c));

describe('mixdown', () => {
  it('places clips at their offsets and sums where they overlap', () => {
    const mix = mixdown(
      [
        { audio: audio(1000, [1, 2, 3]), offsetSeconds: 0.002 },
        { audio: audio(1000, [10, 20]), offsetSeconds: 0.004, gainDb: -6.020599913279624 },
      ],
      { sampleRate: 1000, channels: 1 },
    );
    expect(rows(mix)[0].map((x) => Math.round(x * 1e6) / 1e6)).toEqual([0, 0, 1, 2, 8, 10]);
  });

  it('spreads mono clips to every channel of a stereo mix', () => {
    const mix = mixdown(
      [
        { audio: audio(100, [0.5, 0.5]), offsetSeconds: 0 },
        { audio: audio(100, [0.1, 0.1], [-0.1, -0.1]), offsetSeconds: 0.01 },
      ],
      { sampleRate: 100, channels: 2 },
    );
    expect(rows(mix)).toEqual(
      [
        [0.5, 0.6, 0.1],
        [0.5, 0.4, -0.1],
      ].map((c) => c.map(Math.fround)),
    );
  });

  it('cuts the mix at lengthSeconds and pads it with silence up to there', () => {
    const clips = [{ audio: audio(10, [1, 1, 1, 1]), offsetSeconds: 0.1 }];
    expect(rows(mixdown(clips, { sampleRate: 10, channels: 1, lengthSeconds: 0.3 }))).toEqual([[0, 1, 1]]);
    expect(rows(mixdown(clips, { sampleRate: 10, channels: 1, lengthSeconds: 0.7 }))).toEqual([[0, 1, 1, 1, 1, 0, 0]]);
    expect(rows(mixdown([], { sampleRate: 10, channels: 2, lengthSeconds: 0.2 }))).toEqual([
      [0, 0],
      [0, 0],
    ]);
  });

  it('drops the head of a clip with a negative offset', () => {
    const mix = mixdown([{ audio: audio(10, [1, 2, 3, 4]), offsetSeconds: -0.2 }], { sampleRate: 10, channels: 1 });
    expect(rows(mix)).toEqual([[3, 4]]);
  });

  it('leaves the clips untouched', () => {
    const clip = audio(10, [0.5]);
    mixdown([{ audio: clip, offsetSeconds: 0, gainDb: 12 }], { sampleRate: 10, channels: 1 });
    expect(Array.from(clip.channels[0])).toEqual([0.5]);
  });

  it('refuses clips at another sample rate and invalid mix formats', () => {
    const clips = [
      { audio: audio(32000, [0]), offsetSeconds: 0 },
      { audio: audio(48000, [0]), offsetSeconds: 0 },
    ];
    expect(() => mixdown(clips, { sampleRate: 32000, channels: 2 })).toThrow(
      'Clip 2 is at 48000 Hz but the mix is at 32000 Hz: resample it first.',
    );
    expect(() => mixdown([], { sampleRate: 32000, channels: 0 })).toThrow(/Invalid mix format/);
  });
});
