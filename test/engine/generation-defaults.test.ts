/**
 * Sampling defaults from generation_config.json follow transformers: a default top-k above the
 * codebook keeps the whole codebook, greedy decoding ignores the sampling defaults, and only a
 * value the user typed is refused (by the CLI) or lowered with a warning (by the engine).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PRESETS, generateTestModel } from '../../models/generator';
import { MusicgenEngine } from '../../src/main/engine';
import { runCli } from '../helpers/cli';
import { tempDir } from '../helpers/models';

// The tiny model with 64 codes per codebook instead of 2048.
PRESETS['tiny-64'] ??= { ...PRESETS.tiny, name: 'tiny-64', codec: { ...PRESETS.tiny.codec, codebookSize: 64 } };

describe('generation config defaults', () => {
  const work = tempDir();
  const dir = join(work, 'tiny-64');
  let engine: MusicgenEngine;

  beforeAll(async () => {
    generateTestModel(dir, { preset: 'tiny-64' });
    const genPath = join(dir, 'generation_config.json');
    const gen = JSON.parse(readFileSync(genPath, 'utf8'));
    delete gen.top_k;
    writeFileSync(genPath, JSON.stringify(gen));
    engine = await MusicgenEngine.load(dir, { device: 'cpu' });
  });
  afterAll(() => engine?.dispose());

  it('a missing top_k keeps the whole 64-code codebook instead of refusing 250', async () => {
    expect(engine.spec.codebookSize).toBe(64);
    const result = await engine.generate({ prompts: ['p'], maxNewTokens: 12, seed: 3 });
    expect(result.request.sampling).toEqual({ greedy: false, temperature: 1, topK: 64, topP: 1 });
    expect(result.warnings).toEqual([]);
    expect(result.takes[0].codes.flat().every((c) => c >= 0 && c < 64)).toBe(true);
    // top-k 64 of 64 is no cut at all: the same draws as top-k 0.
    const all = await engine.generate({ prompts: ['p'], maxNewTokens: 12, seed: 3, sampling: { topK: 0 } });
    expect(all.takes[0].codes).toEqual(result.takes[0].codes);
  });

  it('greedy decoding ignores the sampling defaults', async () => {
    const result = await engine.generate({ prompts: ['p'], maxNewTokens: 12, sampling: { greedy: true } });
    expect(result.request.sampling.greedy).toBe(true);
    expect(result.takes[0].codes[0]).toHaveLength(9);
  });

  it('an explicit top-k above the codebook is lowered to it with a warning; a negative one is refused', async () => {
    const result = await engine.generate({ prompts: ['p'], maxNewTokens: 8, seed: 1, sampling: { topK: 250 } });
    expect(result.request.sampling.topK).toBe(64);
    expect(result.warnings).toEqual(['top-k 250 is more than the 64 codes this model picks from, so all 64 are kept.']);
    await expect(engine.generate({ prompts: ['p'], maxNewTokens: 8, sampling: { topK: -1 } })).rejects.toThrow(
      /top-k must be a whole number, 0 or more/,
    );
  });

  it('the CLI generates with the defaults and with --greedy, and refuses a typed --top-k above the codebook', async () => {
    const out = (name: string) => join(work, `${name}.wav`);
    const plain = await runCli(['generate', '--model', dir, '--prompt', 'p', '--max-new-tokens', '8', '--no-save', '--out', out('plain')]);
    expect(plain.stderr).not.toMatch(/top-k/);
    expect(plain.code).toBe(0);
    const greedy = await runCli([
      'generate',
      '--model',
      dir,
      '--prompt',
      'p',
      '--max-new-tokens',
      '8',
      '--greedy',
      '--no-save',
      '--out',
      out('greedy'),
    ]);
    expect(greedy.code).toBe(0);
    const typed = await runCli([
      'generate',
      '--model',
      dir,
      '--prompt',
      'p',
      '--max-new-tokens',
      '8',
      '--top-k',
      '250',
      '--no-save',
      '--out',
      out('typed'),
    ]);
    expect(typed.code).toBe(2);
    expect(typed.stderr).toMatch(/--top-k 250 is more than the 64 codes this model picks from: give at most 64, or 0 for all of them\./);
  });
});
