/**
 * `npm run bench:analysis`: what measuring a take costs (tempo, key, one seam, an N-bar loop
 * search) on a 3-minute stereo 32 kHz piece of synthetic music (chords and drums at 120 bpm).
 * Target: the analysis a song or loop job adds stays a small fraction of generating it (well under
 * 5 s for 3 minutes on 2 cores). Prints one JSON line per run and the medians.
 *   --runs N   repetitions (default 3)
 */
import { chooseLoop, estimateKey, estimateTempo, scoreSeam } from '../src/main/audio/analysis';
import { threeMinuteTake } from '../test/audio/analysis/music';
import { median, option } from './bench-setup';

const runs = Number(option('--runs') ?? 3);
const rate = 32000;
const take = threeMinuteTake(rate);
const barSamples = Array.from({ length: 91 }, (_, b) => b * 2 * rate);

const time = (fn: () => unknown) => {
  const started = performance.now();
  fn();
  return Math.round(performance.now() - started);
};

const results = Array.from({ length: runs }, () => {
  const result = {
    tempoMs: time(() => estimateTempo(take)),
    keyMs: time(() => estimateKey(take)),
    seamMs: time(() => scoreSeam(take, 90 * rate, { tempoBpm: 120 })),
    loopSearchMs: time(() => chooseLoop(take, { barSamples, bars: 4, tempoBpm: 120 })),
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
  return result;
});
const keys = Object.keys(results[0]) as (keyof (typeof results)[number])[];
const medians = Object.fromEntries(keys.map((k) => [k, median(results.map((r) => r[k]))]));
process.stdout.write(`median of ${runs} (3 min stereo 32 kHz): ${JSON.stringify(medians)}\n`);
