import { assertAudioData, frameCount, type AudioData } from './types';

export interface Peaks {
  /** Lowest sample of any channel in each bucket. */
  min: Float32Array;
  /** Highest sample of any channel in each bucket. */
  max: Float32Array;
}

/**
 * Min/max envelope for drawing a waveform `buckets` pixels wide, merged over channels so one
 * lane shows the whole take. One pass over the samples: fast enough to redraw on every zoom.
 * With more buckets than samples, each bucket shows the sample it falls on.
 */
export function computePeaks(audio: AudioData, buckets: number): Peaks {
  assertAudioData(audio);
  if (!Number.isInteger(buckets) || buckets < 1) {
    throw new RangeError(`Peaks need a whole number of buckets (1 or more), got ${buckets}.`);
  }
  const min = new Float32Array(buckets);
  const max = new Float32Array(buckets);
  const frames = frameCount(audio);
  if (frames === 0) return { min, max };

  min.fill(Infinity);
  max.fill(-Infinity);
  for (const channel of audio.channels) {
    for (let b = 0; b < buckets; b++) {
      const start = Math.floor((b * frames) / buckets);
      const end = Math.max(start + 1, Math.floor(((b + 1) * frames) / buckets));
      let low = min[b];
      let high = max[b];
      for (let i = start; i < end; i++) {
        const sample = channel[i];
        if (sample < low) low = sample;
        if (sample > high) high = sample;
      }
      min[b] = low;
      max[b] = high;
    }
  }
  return { min, max };
}
