import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MusicgenEngine, generateLongForm, planWindows } from '../../src/main/engine';
import { testModel } from '../helpers/models';

describe('window planning', () => {
  it('fills the first window, then slides by the stride', () => {
    expect(planWindows(500, 0, 1500, 900)).toEqual({ contextFrames: 0, windows: [{ context: 0, frames: 500 }] });
    expect(planWindows(3000, 0, 1500, 900).windows).toEqual([
      { context: 0, frames: 1500 },
      { context: 600, frames: 900 },
      { context: 900, frames: 600 },
    ]);
  });

  it('keeps only the end of a context too long for the window', () => {
    expect(planWindows(500, 1400, 1500, 900)).toEqual({ contextFrames: 1000, windows: [{ context: 1000, frames: 500 }] });
    expect(planWindows(3000, 100, 1500, 900).windows[0]).toEqual({ context: 100, frames: 1400 });
  });
});

describe('long-form generation', () => {
  let engine: MusicgenEngine;
  beforeAll(async () => {
    engine = await MusicgenEngine.load(testModel('tiny'), { device: 'cpu' });
  });
  afterAll(() => engine?.dispose());

  it('goes past the window, keeping the first window identical to a plain generation', async () => {
    const windows: number[] = [];
    const long = await generateLongForm(
      engine,
      { prompts: ['slow ambient pad'], newFrames: 160, seed: 42, windowFrames: 100, strideFrames: 40 },
      { onProgress: (p) => windows.push(p.window) },
    );
    const take = long.takes[0];
    expect(take.codes[0]).toHaveLength(160);
    expect(take.audio.channels[0]).toHaveLength(160 * 640);
    expect(new Set(windows)).toEqual(new Set([1, 2, 3]));
    const plain = await engine.generate({ prompts: ['slow ambient pad'], maxNewTokens: 100 + 3, seed: 42 });
    expect(take.codes.map((r) => r.slice(0, 100))).toEqual(plain.takes[0].codes);
  });

  it('continues a context and keeps each variation reproducible from its own seed', async () => {
    const base = await engine.generate({ prompts: ['x'], maxNewTokens: 40, seed: 1 });
    const context = base.takes[0].codes;
    const batch = await generateLongForm(engine, {
      prompts: ['y'],
      variations: 2,
      newFrames: 90,
      context,
      seed: 7,
      windowFrames: 80,
      strideFrames: 30,
    });
    expect(batch.takes.map((t) => t.seed)).toEqual([7, 8]);
    for (const take of batch.takes)
      expect(take.codes.map((r) => r.slice(0, take.contextFrames))).toEqual(context.map((r) => r.slice(r.length - take.contextFrames)));
    const alone = await generateLongForm(engine, { prompts: ['y'], newFrames: 90, context, seed: 8, windowFrames: 80, strideFrames: 30 });
    expect(alone.takes[0].codes).toEqual(batch.takes[1].codes);
  });
});
