import { describe, expect, it } from 'vitest';
import { resample } from '../../src/main/audio/resample';
import { frameCount } from '../../src/main/audio/types';
import { audio, noise, rms, sine } from './signals';

/** RMS distance between `actual` and an ideal sine at `rate`, over [from, to) seconds. */
function sineError(actual: Float32Array, frequency: number, amplitude: number, rate: number, from: number, to: number): number {
  const start = Math.round(from * rate);
  const diff = Array.from(
    actual.subarray(start, Math.round(to * rate)),
    (x, i) => x - amplitude * Math.sin((2 * Math.PI * frequency * (start + i)) / rate),
  );
  return rms(diff);
}

describe('resample', () => {
  it('returns an equal copy when the rate does not change', async () => {
    const input = audio(32000, [0.1, -0.2, 0.3]);
    const output = await resample(input, 32000);
    expect(output).toEqual(input);
    expect(output.channels[0]).not.toBe(input.channels[0]);
  });

  it.each([
    [32000, 48000, 32000],
    [32000, 48000, 32001],
    [48000, 32000, 48001],
    [32000, 44100, 32003],
    [44100, 32000, 44101],
    [48000, 44100, 7],
  ])('%i Hz -> %i Hz turns %i frames into exactly round(frames * ratio)', async (from, to, frames) => {
    const output = await resample(audio(from, noise(frames, 1, 0.5), noise(frames, 2, 0.5)), to, 'fastest');
    expect(output.sampleRate).toBe(to);
    expect(output.channels.map((c) => c.length)).toEqual([1, 1].map(() => Math.round((frames * to) / from)));
  });

  it.each([
    [32000, 48000],
    [48000, 32000],
    [32000, 44100],
  ])('keeps a 1 kHz sine a 1 kHz sine from %i Hz to %i Hz, end included', async (from, to) => {
    const input = audio(from, sine(1000, 2, from, 0.5));
    const output = await resample(input, to);
    expect(sineError(output.channels[0], 1000, 0.5, to, 0.05, 1.95)).toBeLessThan(1e-3);
    // The last 50 ms only survive if the converter was flushed (its filter holds them back).
    expect(sineError(output.channels[0], 1000, 0.5, to, 1.95, 1.998)).toBeLessThan(5e-3);
  });

  it('keeps channels apart and stays seamless across internal chunks (10 s of stereo)', async () => {
    const input = audio(48000, sine(1000, 10, 48000, 0.5), sine(440, 10, 48000, 0.25));
    const output = await resample(input, 32000, 'medium');
    expect(frameCount(output)).toBe(320000);
    expect(sineError(output.channels[0], 1000, 0.5, 32000, 0.05, 9.95)).toBeLessThan(1e-3);
    expect(sineError(output.channels[1], 440, 0.25, 32000, 0.05, 9.95)).toBeLessThan(1e-3);
  });

  it('removes content above the new Nyquist frequency when downsampling', async () => {
    const output = await resample(audio(48000, sine(20000, 1, 48000, 0.5)), 32000);
    expect(rms(output.channels[0].subarray(1600, 30400))).toBeLessThan(1e-3);
  });

  it('leaves its input untouched and handles empty audio', async () => {
    const input = audio(32000, [0.5, 0.25, -0.5, 1]);
    await resample(input, 48000);
    expect(Array.from(input.channels[0])).toEqual([0.5, 0.25, -0.5, 1]);
    expect(await resample(audio(32000, []), 48000)).toEqual(audio(48000, []));
  });

  it('rejects rates libsamplerate cannot handle', async () => {
    await expect(resample(audio(32000, [0]), 0)).rejects.toThrow(/Cannot resample at 0 Hz/);
    await expect(resample(audio(32000, [0]), 44100.5)).rejects.toThrow(/whole numbers/);
    await expect(resample(audio(100, [0]), 192000)).rejects.toThrow(/ratio exceeds 256/);
  });
});
