import { expect, it } from 'vitest';
import { chooseLoop, estimateKey, estimateTempo, scoreSeam } from '../../../src/main/audio/analysis';
import { audio } from '../signals';
import { add, chords, drums } from './music';

// Its speed is measured by `npm run bench:analysis`, not here.
it('analyses a 3-minute stereo 32 kHz take: tempo, key, a seam and a loop window', () => {
  const rate = 32000;
  const bar = [
    [57, 60, 64],
    [50, 53, 57],
    [52, 56, 59],
    [57, 60, 64],
  ];
  const music = add(chords(Array.from({ length: 23 }, () => bar).flat(), 2, rate), drums({ bpm: 120, seconds: 184, sampleRate: rate }));
  const take = audio(rate, music.subarray(0, 180 * rate), music.subarray(7, 180 * rate + 7));
  expect(estimateTempo(take)!.bpm).toBeCloseTo(120, 0);
  expect(estimateKey(take)!.key).toBe('A minor');
  expect(scoreSeam(take, 90 * rate, { tempoBpm: 120 }).score).toBeGreaterThan(0.8);
  const barSamples = Array.from({ length: 91 }, (_, b) => b * 2 * rate);
  expect(chooseLoop(take, { barSamples, bars: 4, tempoBpm: 120 }).score.score).toBeGreaterThan(0.8);
});
