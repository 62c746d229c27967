import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MusicgenEngine } from '../../src/main/engine';
import { testModel } from '../helpers/models';

describe.each(['tiny', 'tiny-stereo'] as const)('continuation on %s', (preset) => {
  let engine: MusicgenEngine;
  beforeAll(async () => {
    engine = await MusicgenEngine.load(testModel(preset), { device: 'cpu' });
  });
  afterAll(() => engine?.dispose());

  it('returns the context codes unchanged, followed by max_new_tokens + 1 - K new frames', async () => {
    const K = engine.spec.codebooks;
    const first = await engine.generate({ prompts: ['bright synth arp'], maxNewTokens: 40, sampling: { greedy: true } });
    const context = first.takes[0].codes.map((row) => row.slice(5, 30));
    const next = await engine.generate({ prompts: ['bright synth arp'], maxNewTokens: 20, context, seed: 3 });
    const codes = next.takes[0].codes;
    expect(codes.map((row) => row.slice(0, 25))).toEqual(context);
    expect(codes[0]).toHaveLength(25 + 20 + 1 - K);
    expect(next.takes[0].contextFrames).toBe(25);
    expect(next.takes[0].audio.channels[0]).toHaveLength(codes[0].length * 640);
  });

  it('continues differently from different contexts', async () => {
    const a = await engine.generate({ prompts: ['x'], maxNewTokens: 30, sampling: { greedy: true } });
    const b = await engine.generate({ prompts: ['y'], maxNewTokens: 30, sampling: { greedy: true } });
    const cont = (ctx: number[][]) => engine.generate({ prompts: ['same'], maxNewTokens: 16, context: ctx, sampling: { greedy: true } });
    const [ca, cb] = [await cont(a.takes[0].codes), await cont(b.takes[0].codes)];
    const newA = ca.takes[0].codes.map((r) => r.slice(a.takes[0].codes[0].length));
    const newB = cb.takes[0].codes.map((r) => r.slice(b.takes[0].codes[0].length));
    expect(newA).not.toEqual(newB);
  });

  it('encodes its own decoded audio back to the same codes (codec round trip)', async () => {
    const take = (await engine.generate({ prompts: ['vinyl crackle'], maxNewTokens: 30, seed: 11 })).takes[0];
    const codes = await engine.encode(take.audio);
    expect(codes).toEqual(take.codes);
  });

  it('rejects context codes that do not fit the model', async () => {
    const K = engine.spec.codebooks;
    await expect(engine.generate({ prompts: [''], maxNewTokens: 10, context: [[1, 2, 3]] })).rejects.toThrow(`must have ${K} codebooks`);
    const bad = Array.from({ length: K }, () => [1, 2, 5000]);
    await expect(engine.generate({ prompts: [''], maxNewTokens: 10, context: bad })).rejects.toThrow('outside this model');
    const long = Array.from({ length: K }, () => new Array(2040).fill(1));
    await expect(engine.generate({ prompts: [''], maxNewTokens: 20, context: long })).rejects.toThrow("exceed this model's window");
  });
});
