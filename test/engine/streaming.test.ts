import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AudioStreamer, MusicgenEngine, generateLongForm, isCancelled, type AudioChunk, type Codes } from '../../src/main/engine';
import { testModel } from '../helpers/models';

/**
 * The stated tolerance: a preview chunk may differ from the same samples of the final whole-take
 * decode by at most this much (peak, on audio in [-1, 1]). On the test codec the decode is
 * per-frame, so the measured difference is float rounding of a different batch shape (0 here).
 */
export const PREVIEW_TOLERANCE = 1e-4;

/** Joins one take's chunks, checking they butt-join (each starts where the last ended). */
function join(chunks: AudioChunk[], take: number): Float32Array[] {
  const mine = chunks.filter((c) => c.take === take);
  let at = mine[0].startSample;
  const channels = mine[0].channels.map(() => [] as number[]);
  for (const chunk of mine) {
    expect(chunk.startSample).toBe(at);
    chunk.channels.forEach((ch, c) => channels[c].push(...ch));
    at += chunk.channels[0].length;
  }
  expect(mine.at(-1)!.final).toBe(true);
  expect(mine.slice(0, -1).every((c) => !c.final)).toBe(true);
  return channels.map((ch) => Float32Array.from(ch));
}

function maxDiff(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i] - b[i]));
  return max;
}

describe('AudioStreamer', () => {
  // A non-causal toy codec: each code becomes `hop` samples of its value, then a 5-tap moving
  // average runs over the whole decode (zero outside it), so edge samples depend on neighbours.
  const hop = 4;
  const decode = async (batch: Codes[]) =>
    batch.map((codes) => {
      const raw = codes[0].flatMap((c) => Array<number>(hop).fill(c));
      const out = raw.map((_, i) => [-2, -1, 0, 1, 2].reduce((s, d) => s + (raw[i + d] ?? 0), 0) / 5);
      return { sampleRate: 100, channels: [Float32Array.from(out)] };
    });
  const codes: Codes = [Array.from({ length: 40 }, (_, i) => (i * 7) % 11)];

  async function stream(left: number, right: number): Promise<{ chunks: AudioChunk[]; final: Float32Array }> {
    const chunks: AudioChunk[] = [];
    const streamer = new AudioStreamer(decode, hop, 100, [[[]]], (c) => chunks.push(c), {
      firstChunkFrames: 3,
      chunkFrames: 6,
      leftContextFrames: left,
      rightContextFrames: right,
    });
    for (let f = 0; f < 40; f++) await streamer.push([[[codes[0][f]]]]);
    const [final] = await decode([codes]);
    streamer.finish([final]);
    return { chunks, final: final.channels[0] };
  }

  it('re-decodes left context and holds back right context, so chunks equal the whole decode', async () => {
    const { chunks, final } = await stream(1, 1);
    expect(chunks.length).toBeGreaterThan(4);
    expect(maxDiff(join(chunks, 0)[0], final)).toBeLessThan(1e-6);
  });

  it('without context the joins click (the test above is not vacuous)', async () => {
    const { chunks, final } = await stream(0, 0);
    expect(maxDiff(join(chunks, 0)[0], final)).toBeGreaterThan(0.5);
  });

  it('never streams the context it starts with', async () => {
    const chunks: AudioChunk[] = [];
    const streamer = new AudioStreamer(decode, hop, 100, [[[1, 2, 3, 4, 5]]], (c) => chunks.push(c), { firstChunkFrames: 2 });
    for (let f = 0; f < 10; f++) await streamer.push([[[f]]]);
    expect(chunks[0].startSample).toBe(5 * hop);
  });
});

describe('streaming preview from the engine', () => {
  let engine: MusicgenEngine;
  let stereo: MusicgenEngine;
  beforeAll(async () => {
    engine = await MusicgenEngine.load(testModel('tiny'), { device: 'cpu' });
    stereo = await MusicgenEngine.load(testModel('tiny-stereo'), { device: 'cpu' });
  });
  afterAll(async () => {
    await engine?.dispose();
    await stereo?.dispose();
  });

  it('chunks arrive before the end, join, and equal the final take within the tolerance', async () => {
    const chunks: AudioChunk[] = [];
    const stepAt: number[] = [];
    let step = 0;
    const result = await engine.generate(
      { prompts: ['warm rhodes'], maxNewTokens: 203, seed: 5 },
      {
        onProgress: (p) => (step = p.step),
        onAudio: (c) => {
          chunks.push(c);
          stepAt.push(step);
        },
        stream: { firstChunkFrames: 25, chunkFrames: 50 },
      },
    );
    // 200 frames: chunks of 25, 50, 50, 50 while generating, the rest from the final decode.
    expect(chunks.length).toBe(5);
    expect(stepAt[0]).toBeLessThan(50);
    expect(stepAt.filter((s) => s < 203).length).toBe(4);
    const final = result.takes[0].audio.channels[0];
    const joined = join(chunks, 0)[0];
    const diff = maxDiff(joined, final);
    expect(diff).toBeLessThanOrEqual(PREVIEW_TOLERANCE);
    expect(result.timings.streamMs).toBeGreaterThan(0);
    // Streaming changes nothing about the take itself.
    const plain = await engine.generate({ prompts: ['warm rhodes'], maxNewTokens: 203, seed: 5 });
    expect(plain.takes[0].codes).toEqual(result.takes[0].codes);
    expect(maxDiff(plain.takes[0].audio.channels[0], final)).toBe(0);
  });

  it('streams every take of a batch, in stereo, with its take index', async () => {
    const chunks: AudioChunk[] = [];
    const result = await stereo.generate(
      { prompts: ['a', 'b'], variations: 2, maxNewTokens: 107, seed: 9 },
      { onAudio: (c) => chunks.push(c), stream: { firstChunkFrames: 20, chunkFrames: 30 } },
    );
    expect(new Set(chunks.map((c) => c.take))).toEqual(new Set([0, 1, 2, 3]));
    result.takes.forEach((take, t) => {
      const joined = join(chunks, t);
      expect(joined).toHaveLength(2);
      joined.forEach((ch, c) => expect(maxDiff(ch, take.audio.channels[c])).toBeLessThanOrEqual(PREVIEW_TOLERANCE));
    });
  });

  it('streams only the new part of a continuation, placed after the context', async () => {
    const first = await engine.generate({ prompts: ['x'], maxNewTokens: 43, seed: 1 });
    const chunks: AudioChunk[] = [];
    const result = await engine.generate(
      { prompts: ['x'], maxNewTokens: 63, seed: 2, context: first.takes[0].codes },
      { onAudio: (c) => chunks.push(c), stream: { firstChunkFrames: 20 } },
    );
    expect(chunks[0].startSample).toBe(40 * 640);
    const joined = join(chunks, 0)[0];
    expect(maxDiff(joined, result.takes[0].audio.channels[0].subarray(40 * 640))).toBeLessThanOrEqual(PREVIEW_TOLERANCE);
  });

  it('streams across the windows of a long take', async () => {
    const chunks: AudioChunk[] = [];
    const long = await generateLongForm(
      engine,
      { prompts: ['slow ambient pad'], newFrames: 160, seed: 42, windowFrames: 100, strideFrames: 40 },
      { onAudio: (c) => chunks.push(c), stream: { firstChunkFrames: 25, chunkFrames: 30 } },
    );
    expect(chunks.length).toBeGreaterThan(4);
    expect(maxDiff(join(chunks, 0)[0], long.takes[0].audio.channels[0])).toBeLessThanOrEqual(PREVIEW_TOLERANCE);
    expect(long.timings.streamMs).toBeGreaterThan(0);
  });

  it('cancel stops the chunks with the generation', async () => {
    const controller = new AbortController();
    const chunks: AudioChunk[] = [];
    const run = engine.generate(
      { prompts: ['x'], maxNewTokens: 400, seed: 3 },
      {
        signal: controller.signal,
        stream: { firstChunkFrames: 10, chunkFrames: 10 },
        onAudio: (c) => {
          chunks.push(c);
          if (chunks.length === 2) controller.abort();
        },
      },
    );
    const error = await run.catch((e: unknown) => e);
    expect(isCancelled(error)).toBe(true);
    expect(chunks).toHaveLength(2);
    expect(chunks.some((c) => c.final)).toBe(false);
  });
});
