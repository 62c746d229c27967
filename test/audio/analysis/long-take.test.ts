import { expect, it } from 'vitest';
import { chooseLoop, estimateKey, estimateTempo, scoreSeam } from '../../../src/main/audio/analysis';
import { threeMinuteTake } from './music';

// Its speed is measured by `npm run bench:analysis`, not here.
it('analyses a 3-minute stereo 32 kHz take: tempo, key, a seam and a loop window', () => {
  const rate = 32000;
  const take = threeMinuteTake(rate);
  expect(estimateTempo(take)!.bpm).toBeCloseTo(120, 0);
  expect(estimateKey(take)!.key).toBe('A minor');
  expect(scoreSeam(take, 90 * rate, { tempoBpm: 120 }).score).toBeGreaterThan(0.8);
  const barSamples = Array.from({ length: 91 }, (_, b) => b * 2 * rate);
  expect(chooseLoop(take, { barSamples, bars: 4, tempoBpm: 120 }).score.score).toBeGreaterThan(0.8);
});
