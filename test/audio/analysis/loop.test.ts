import { describe, expect, it } from 'vitest';
import { chooseLoop, crossfadeLoop } from '../../../src/main/audio/analysis';
import { audio, sine } from '../signals';
import { add, chords, concat, drums } from './music';

const rate = 32000;
const bpm = 120;
const barSamples = Array.from({ length: 9 }, (_, b) => b * 2 * rate); // 4/4 at 120 bpm: 2 s a bar

function groove(seconds: number, offsetBeats = 0): Float32Array {
  return add(chords([[57, 60, 64]], seconds, rate), drums({ bpm, seconds, sampleRate: rate, offsetBeats, eighths: true }));
}

/** Bars 0–3 on the beat; bars 4–7 half a beat late and swelling by 6 dB: only bars 0–3 loop cleanly. */
function song(): Float32Array {
  const late = groove(8, 0.5).map((x, i, all) => x * (1 + i / all.length));
  return concat(groove(8), late);
}

describe('chooseLoop', () => {
  it('picks the window whose end flows back into its start', () => {
    const music = audio(rate, song());
    const chosen = chooseLoop(music, { barSamples, bars: 4 });
    expect(chosen).toMatchObject({ startBar: 0, startSample: 0, endSample: 8 * rate });
    expect(chosen.score.score).toBeGreaterThan(0.8);
    // The windows that wrap from late drums into early ones slip half a beat; the last one jumps in level.
    const withTempo = chooseLoop(music, { barSamples, bars: 4, tempoBpm: bpm });
    expect(withTempo.startBar).toBe(0);
    expect(withTempo.score.beatPhaseError).toBeLessThan(0.05);
  });

  it('keeps to windows that fit and says when none does', () => {
    const short = audio(rate, groove(5));
    const chosen = chooseLoop(short, { barSamples, bars: 2 });
    expect(chosen).toMatchObject({ startBar: 0, startSample: 0, endSample: 4 * rate });
    expect(() => chooseLoop(short, { barSamples, bars: 3 })).toThrow(RangeError);
    expect(() => chooseLoop(short, { barSamples: [0, 100, 50], bars: 1 })).toThrow(RangeError);
    expect(() => chooseLoop(short, { barSamples, bars: 1.5 })).toThrow(RangeError);
  });
});

describe('crossfadeLoop', () => {
  // 220 Hz does not fit a whole number of periods into the loop, so a plain cut clicks at the wrap.
  const tone = audio(rate, sine(220, 2, rate, 0.8), sine(330, 2, rate, 0.5));
  const start = 1001;
  const end = 40_017;

  function largestStep(channel: Float32Array): number {
    let largest = 0;
    for (let i = 1; i < channel.length; i++) largest = Math.max(largest, Math.abs(channel[i] - channel[i - 1]));
    return largest;
  }
  const wrapStep = (channel: Float32Array) => Math.abs(channel[0] - channel[channel.length - 1]);

  it('returns exactly the loop length, wrapping as smoothly as the audio moves anywhere', () => {
    const plain = tone.channels[0].slice(start, end);
    expect(wrapStep(plain)).toBeGreaterThan(2 * largestStep(plain));
    const loop = crossfadeLoop(tone, start, end, 800);
    expect(loop.sampleRate).toBe(rate);
    loop.channels.forEach((channel, c) => {
      expect(channel).toHaveLength(end - start);
      expect(wrapStep(channel)).toBeLessThanOrEqual(largestStep(channel));
      // Past the fade it is the original, untouched.
      expect(channel.subarray(800).every((x, i) => x === tone.channels[c][start + 800 + i])).toBe(true);
    });
  });

  it('fades the tail into the lead-in when nothing follows the loop', () => {
    const frames = tone.channels[0].length;
    const loop = crossfadeLoop(tone, start + 5000, frames, 800);
    for (const channel of loop.channels) {
      expect(channel).toHaveLength(frames - start - 5000);
      expect(wrapStep(channel)).toBeLessThanOrEqual(largestStep(channel));
    }
    expect(loop.channels[0][loop.channels[0].length - 1]).toBeCloseTo(tone.channels[0][start + 4999], 6);
  });

  it('dips to silence at the wrap when the loop is the whole audio', () => {
    const frames = tone.channels[0].length;
    const loop = crossfadeLoop(tone, 0, frames, 400);
    for (const channel of loop.channels) {
      expect(channel).toHaveLength(frames);
      expect(channel[0]).toBe(0);
      expect(Math.abs(channel[frames - 1])).toBeLessThan(0.01);
    }
  });

  it('rejects a range outside the audio', () => {
    expect(() => crossfadeLoop(tone, 10, 10, 100)).toThrow(RangeError);
    expect(() => crossfadeLoop(tone, 0, 64_001, 100)).toThrow(RangeError);
    expect(() => crossfadeLoop(tone, 0, 100, -1)).toThrow(RangeError);
  });
});
