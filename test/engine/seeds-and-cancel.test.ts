import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MusicgenEngine, isCancelled } from '../../src/main/engine';
import { testModel } from '../helpers/models';

describe('seeded sampling and cancellation', () => {
  let engine: MusicgenEngine;
  beforeAll(async () => {
    engine = await MusicgenEngine.load(testModel('tiny'), { device: 'cpu' });
  });
  afterAll(() => engine?.dispose());

  const request = { prompts: ['lush strings, cinematic'], maxNewTokens: 40, guidanceScale: 3, sampling: { topK: 250, temperature: 1 } };

  it('gives identical codes and audio for the same seed', async () => {
    const a = await engine.generate({ ...request, seed: 1234 });
    const b = await engine.generate({ ...request, seed: 1234 });
    expect(a.takes[0].codes).toEqual(b.takes[0].codes);
    expect(Buffer.from(a.takes[0].audio.channels[0].buffer).equals(Buffer.from(b.takes[0].audio.channels[0].buffer))).toBe(true);
    expect(a.takes[0].seed).toBe(1234);
  });

  it('gives different codes for different seeds', async () => {
    const a = await engine.generate({ ...request, seed: 1 });
    const b = await engine.generate({ ...request, seed: 2 });
    expect(a.takes[0].codes).not.toEqual(b.takes[0].codes);
  });

  it('batches variations, each reproducible alone from its own seed', async () => {
    const batch = await engine.generate({ ...request, seed: 500, variations: 3 });
    expect(batch.takes.map((t) => t.seed)).toEqual([500, 501, 502]);
    expect(batch.takes[0].codes).not.toEqual(batch.takes[1].codes);
    const alone = await engine.generate({ ...request, seed: 502 });
    expect(alone.takes[0].codes).toEqual(batch.takes[2].codes);
  });

  it('rejects promptly with an abort error when cancelled mid-generation', async () => {
    const controller = new AbortController();
    let stepsSeen = 0;
    const started = Date.now();
    const promise = engine.generate(
      { ...request, maxNewTokens: 1500, seed: 9 },
      {
        signal: controller.signal,
        onProgress: (p) => {
          stepsSeen = p.step;
          if (p.step === 5) controller.abort();
        },
      },
    );
    const error = await promise.catch((e: unknown) => e);
    expect(isCancelled(error)).toBe(true);
    expect(stepsSeen).toBe(5);
    expect(Date.now() - started).toBeLessThan(5000);
    // The engine stays usable after a cancel.
    const after = await engine.generate({ ...request, seed: 1234, maxNewTokens: 10 });
    expect(after.takes[0].codes[0]).toHaveLength(7);
  });
});
