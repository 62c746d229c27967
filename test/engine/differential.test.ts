/**
 * The engine against transformers.js on the same generated model files: greedy decoding must
 * pick exactly the same audio codes, and the decoded audio must match — in fp32, and in the q8
 * and fp16 variants (transformers.js with dtype 'q8' / 'fp16'), where the engine runs the split,
 * two-block decoder too.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MusicgenEngine } from '../../src/main/engine';
import { testModel } from '../helpers/models';
import { referenceGenerate } from '../helpers/reference';
import { variantModel } from '../helpers/variant-models';

const CASES = [
  { prompts: ['warm lo-fi piano with vinyl crackle, 80 bpm'], steps: 8, guidance: 1 },
  { prompts: ['warm lo-fi piano with vinyl crackle, 80 bpm'], steps: 24, guidance: 3 },
  { prompts: [''], steps: 16, guidance: 3 },
  { prompts: ['driving techno kick, 128 bpm', 'sad cello'], steps: 60, guidance: 3 },
  { prompts: ['ambient pad with tape hiss', ''], steps: 12, guidance: 1 },
];

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i] - b[i]));
  return max;
}

describe.each(['tiny', 'tiny-stereo'] as const)('engine vs transformers.js on %s', (preset) => {
  let engine: MusicgenEngine;
  let dir: string;
  beforeAll(async () => {
    dir = testModel(preset);
    engine = await MusicgenEngine.load(dir, { device: 'cpu' });
  });
  afterAll(() => engine?.dispose());

  it.each(CASES)('greedy, guidance $guidance, $steps steps, prompts $prompts', async ({ prompts, steps, guidance }) => {
    const reference = await referenceGenerate(dir, prompts, steps, guidance);
    const result = await engine.generate({ prompts, maxNewTokens: steps, guidanceScale: guidance, sampling: { greedy: true } });

    expect(result.takes).toHaveLength(prompts.length);
    result.takes.forEach((take, b) => {
      expect(take.codes).toHaveLength(engine.spec.codebooks);
      expect(take.codes[0]).toHaveLength(steps + 1 - engine.spec.codebooks);
      expect(take.codes).toEqual(reference.codes[b]);
      expect(take.audio.channels).toHaveLength(engine.spec.channels);
      take.audio.channels.forEach((channel, c) => {
        expect(maxAbsDiff(channel, reference.audio[b][c])).toBeLessThanOrEqual(1e-5);
      });
    });
  });

  it('is sensitive to the prompt (a different prompt changes the codes)', async () => {
    const a = await engine.generate({ prompts: ['warm piano'], maxNewTokens: 20, sampling: { greedy: true } });
    const b = await engine.generate({ prompts: ['heavy metal guitar riff'], maxNewTokens: 20, sampling: { greedy: true } });
    expect(a.takes[0].codes).not.toEqual(b.takes[0].codes);
  });
});

const VARIANTS = [
  {
    name: 'q8, int8 weights per tensor, embeddings gathered then dequantized',
    variant: 'q8',
    q8: { weightType: 'int8', perChannel: false, embeddings: 'gather-then-dequantize' },
  },
  {
    name: 'q8, uint8 weights per channel, embedding tables dequantized',
    variant: 'q8',
    q8: { weightType: 'uint8', perChannel: true, embeddings: 'dequantize-then-gather' },
  },
  { name: 'fp16', variant: 'fp16' },
] as const;

describe.each(VARIANTS)('engine vs transformers.js on the tiny $name variant', ({ variant, ...options }) => {
  let engine: MusicgenEngine;
  let dir: string;
  beforeAll(async () => {
    dir = variantModel({ preset: 'tiny', variants: [variant], ...('q8' in options ? { q8: options.q8 } : {}) });
    engine = await MusicgenEngine.load(dir, { device: 'cpu', variant });
  });
  afterAll(() => engine?.dispose());

  it('runs the split decoder with the two-block cache', () => {
    expect(engine.decoderMode).toEqual({ mode: 'split', cache: 'two-block', note: undefined });
  });

  it.each(CASES.slice(1))('greedy, guidance $guidance, $steps steps, prompts $prompts', async ({ prompts, steps, guidance }) => {
    const reference = await referenceGenerate(dir, prompts, steps, guidance, variant);
    const result = await engine.generate({ prompts, maxNewTokens: steps, guidanceScale: guidance, sampling: { greedy: true } });
    result.takes.forEach((take, b) => {
      expect(take.codes).toEqual(reference.codes[b]);
      take.audio.channels.forEach((channel, c) => {
        expect(maxAbsDiff(channel, reference.audio[b][c])).toBeLessThanOrEqual(1e-5);
      });
    });
  });
});
