import { describe, expect, it } from 'vitest';
import { applyGain, crossfade, dbToGain, fadeIn, fadeOut, gainToDb, toChannels, trim } from '../../src/main/audio/dsp';
import { audio } from './signals';

const ones = (frames: number, rate = 10) => audio(rate, new Array(frames).fill(1));
const values = (a: { channels: Float32Array[] }, c = 0) => Array.from(a.channels[c]);

describe('gain', () => {
  it('converts between dB and linear gain', () => {
    expect(dbToGain(20 * Math.log10(2))).toBeCloseTo(2, 12);
    expect(gainToDb(0.5)).toBeCloseTo(-6.0206, 4);
    expect(gainToDb(0)).toBe(-Infinity);
  });

  it('+6.0206 dB doubles every sample and leaves the input alone', () => {
    const input = audio(48000, [0.25, -0.1, 0], [0.5, 0.4, -0.3]);
    const louder = applyGain(input, 6.0206);
    louder.channels.forEach((channel, c) => channel.forEach((x, i) => expect(x).toBeCloseTo(2 * input.channels[c][i], 5)));
    expect(values(input)).toEqual([0.25, -0.1, 0].map(Math.fround));
    expect(values(applyGain(input, -Infinity))).toEqual([0, -0, 0]);
  });
});

describe('fades', () => {
  it('a linear fade-in starts at exactly 0 and ramps up to the untouched rest', () => {
    expect(values(fadeIn(ones(6), 0.4))).toEqual([0, 0.25, 0.5, 0.75, 1, 1]);
  });

  it('a linear fade-out ends at exactly 0', () => {
    expect(values(fadeOut(ones(6), 0.4))).toEqual([1, 1, 0.75, 0.5, 0.25, 0]);
  });

  it('equal-power fades follow a quarter sine', () => {
    const faded = values(fadeIn(ones(4), 0.4, 'equal-power'));
    expect(faded[0]).toBe(0);
    expect(faded[2]).toBeCloseTo(Math.SQRT1_2, 6);
    expect(values(fadeOut(ones(4), 0.4, 'equal-power'))[3]).toBe(0);
  });

  it('applies the same fade to every channel and clamps to the clip length', () => {
    const stereo = fadeOut(audio(10, [1, 1], [-1, -1]), 5);
    expect(values(stereo, 0)).toEqual([0.5, 0]);
    expect(values(stereo, 1)).toEqual([-0.5, -0]);
  });

  it('rejects a negative length', () => {
    expect(() => fadeIn(ones(4), -1)).toThrow(/zero or more seconds/);
  });
});

describe('trim', () => {
  const ramp = audio(10, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);

  it('keeps [start, end) in samples', () => {
    expect(values(trim(ramp, 0.2, 0.5))).toEqual([2, 3, 4]);
  });

  it('clamps a selection that runs past either edge', () => {
    expect(values(trim(ramp, -1, 0.2))).toEqual([0, 1]);
    expect(values(trim(ramp, 0.8, 99))).toEqual([8, 9]);
  });

  it('refuses to produce nothing', () => {
    expect(() => trim(ramp, 0.5, 0.5)).toThrow(/leaves no audio/);
    expect(() => trim(ramp, 2, 3)).toThrow(/leaves no audio \(the clip is 1 s long\)/);
  });
});

describe('toChannels', () => {
  it('duplicates mono into stereo', () => {
    const stereo = toChannels(audio(10, [0.5, -0.25]), 2);
    expect(stereo.channels.map((c) => Array.from(c))).toEqual([
      [0.5, -0.25],
      [0.5, -0.25],
    ]);
    stereo.channels[0][0] = 0;
    expect(stereo.channels[1][0]).toBe(0.5);
  });

  it('averages stereo into mono', () => {
    expect(values(toChannels(audio(10, [1, 0.5, 0], [0, 0.5, -1]), 1))).toEqual([0.5, 0.5, -0.5]);
  });

  it('copies when the count already matches and refuses other layouts', () => {
    expect(values(toChannels(audio(10, [0.5]), 1))).toEqual([0.5]);
    expect(() => toChannels(audio(10, [0], [0], [0]), 2)).toThrow(/Cannot convert 3 channels to 2/);
  });
});

describe('crossfade', () => {
  it('overlaps the end of a with the start of b', () => {
    const joined = crossfade(ones(10), audio(10, new Array(6).fill(0)), 0.4);
    expect(joined.channels[0].length).toBe(10 + 6 - 4);
    const out = values(joined);
    expect(out.slice(0, 6)).toEqual([1, 1, 1, 1, 1, 1]);
    expect(out.slice(6, 10)).toEqual([0, 0.25, 0.5, 0.75].map((t) => Math.fround(Math.cos((t * Math.PI) / 2))));
    expect(out.slice(10)).toEqual([0, 0]);
  });

  it('uses equal-power gains whose squares sum to 1', () => {
    const a = crossfade(ones(8), audio(10, new Array(8).fill(0)), 0.5).channels[0];
    const b = crossfade(audio(10, new Array(8).fill(0)), ones(8), 0.5).channels[0];
    for (let i = 3; i < 8; i++) expect(a[i] ** 2 + b[i] ** 2).toBeCloseTo(1, 6);
    expect(b[3]).toBe(0);
    expect(Array.from(b.slice(8))).toEqual([1, 1, 1]);
  });

  it('shortens the overlap to the shorter clip', () => {
    expect(crossfade(ones(10), ones(3), 5).channels[0].length).toBe(10);
  });

  it('refuses clips of different formats', () => {
    expect(() => crossfade(ones(4, 32000), ones(4, 48000), 0)).toThrow(/Cannot crossfade 1 ch at 32000 Hz with 1 ch at 48000 Hz/);
  });
});
