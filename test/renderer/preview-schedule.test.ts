import { describe, expect, it } from 'vitest';
import { GrowingPeaks, PREVIEW_LEAD_SECONDS, PreviewClock } from '../../src/renderer/src/lib/preview-schedule';

describe('preview scheduling', () => {
  it('plays chunks back to back while they arrive ahead of playback', () => {
    const clock = new PreviewClock();
    expect(clock.schedule(10, 0.5)).toBeCloseTo(10 + PREVIEW_LEAD_SECONDS);
    expect(clock.schedule(10.2, 1)).toBeCloseTo(10.5 + PREVIEW_LEAD_SECONDS);
    expect(clock.schedule(10.4, 1)).toBeCloseTo(11.5 + PREVIEW_LEAD_SECONDS);
    expect(clock.end).toBeCloseTo(12.5 + PREVIEW_LEAD_SECONDS);
  });

  it('never starts a late chunk in the past: after an underrun it starts a short lead from now', () => {
    const clock = new PreviewClock();
    clock.schedule(0, 1);
    expect(clock.schedule(3, 1)).toBeCloseTo(3 + PREVIEW_LEAD_SECONDS);
  });
});

describe('growing peaks', () => {
  it('keeps one peak per bucket across chunk boundaries, over all channels', () => {
    const peaks = new GrowingPeaks(4);
    peaks.append([Float32Array.from([0.1, -0.5, 0.2]), Float32Array.from([0, 0, 0.3])]);
    expect(peaks.peaks).toEqual([]);
    peaks.append([Float32Array.from([0.05, 0.9, 0, 0, 0, 0.2]), Float32Array.from([0, 0, 0, 0, -0.7, 0])]);
    expect(peaks.peaks).toEqual([0.5, 0.9].map((v) => Math.fround(v)));
  });
});
