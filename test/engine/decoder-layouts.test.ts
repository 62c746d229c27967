/**
 * Decoders as the Hub's bigger exports ship them: weights in ONNX external data
 * (`*.onnx_data`), and the unmerged `decoder_model` + `decoder_with_past_model` pair instead of
 * the merged file. Each is split (the derived graphs pointing into the files that hold the
 * weights), runs the two-block cache and picks the same codes as the merged file with inline
 * weights; the stamp follows every file the split reads.
 */
import { cpSync, existsSync, readFileSync, readdirSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import onnxProto from 'onnx-proto';
import { beforeAll, describe, expect, it } from 'vitest';
import { MusicgenEngine, installedVariants, type GenerateRequest } from '../../src/main/engine';
import { tempDir, testModel } from '../helpers/models';
import { variantModel } from '../helpers/variant-models';
import type { GenerateOptions } from '../../models/generator';

const { onnx } = onnxProto;
const request: GenerateRequest = {
  prompts: ['p', 'a longer second prompt'],
  maxNewTokens: 40,
  guidanceScale: 3,
  sampling: { greedy: true },
};

const work = tempDir();
let n = 0;
function copyOf(options: GenerateOptions): string {
  const dir = join(work, `m${n++}`);
  cpSync(variantModel(options), dir, { recursive: true });
  return dir;
}

async function run(dir: string, variant: 'fp32' | 'q8' = 'fp32') {
  const engine = await MusicgenEngine.load(dir, { device: 'cpu', variant });
  try {
    return { mode: engine.decoderMode, codes: (await engine.generate(request)).takes.map((t) => t.codes) };
  } finally {
    await engine.dispose();
  }
}

/** The files the external-data references of a derived graph point into. */
function pointsInto(file: string): string[] {
  const model = onnx.ModelProto.decode(readFileSync(file));
  const locations = (model.graph!.initializer ?? [])
    .filter((t) => t.dataLocation === onnx.TensorProto.DataLocation.EXTERNAL)
    .map((t) => String(t.externalData!.find((e) => e.key === 'location')!.value));
  return [...new Set(locations)].sort();
}

describe('decoder layouts', () => {
  let reference: number[][][];
  beforeAll(async () => {
    reference = (await run(testModel('tiny'))).codes;
  });

  it.each([
    {
      name: 'merged, weights in decoder_model_merged.onnx_data',
      options: { decoderLayout: 'merged', externalData: true },
      key: 'decoder_model_merged',
      weights: { cross: ['decoder_model_merged.onnx_data'], decoder: ['decoder_model_merged.onnx_data'] },
    },
    {
      name: 'the unmerged pair',
      options: { decoderLayout: 'pair' },
      key: 'decoder_with_past_model',
      weights: { cross: ['decoder_model.onnx'], decoder: ['decoder_with_past_model.onnx'] },
    },
    {
      name: 'the unmerged pair, weights in external data',
      options: { decoderLayout: 'pair', externalData: true },
      key: 'decoder_with_past_model',
      weights: { cross: ['decoder_model.onnx_data'], decoder: ['decoder_with_past_model.onnx_data'] },
    },
  ] as const)('$name: split, two-block cache, the codes of the merged file', async ({ options, key, weights }) => {
    const dir = copyOf({ preset: 'tiny', ...options });
    expect(installedVariants(dir)).toEqual(['fp32']);
    const result = await run(dir);
    expect(result.mode).toEqual({ mode: 'split', cache: 'two-block', note: undefined });
    expect(result.codes).toEqual(reference);

    const onnxDir = join(dir, 'onnx');
    const derived = (kind: string) => join(onnxDir, `${key}.continuo-${kind}.onnx`);
    expect(pointsInto(derived('cross'))).toEqual(weights.cross);
    expect(pointsInto(derived('two-block'))).toEqual(weights.decoder);
    for (const kind of ['cross', 'two-block', 'with-past']) expect(statSync(derived(kind)).size).toBeLessThan(100_000);
    // The stamp vouches for every file the derived graphs read.
    const stamp = JSON.parse(readFileSync(join(onnxDir, `${key}.onnx.continuo-split.json`), 'utf8'));
    const read = readdirSync(onnxDir).filter((f) => /^decoder_(model|with_past_model|model_merged)\.onnx(_data)?$/.test(f));
    expect(stamp.sources.map((s: { file: string }) => s.file).sort()).toEqual(read.sort());
    expect(stamp.sources[0].file).toBe(`${key}.onnx`);
  });

  it('runs the unmerged pair as exported when the split is refused, saying so, with the same codes', async () => {
    const dir = copyOf({ preset: 'tiny', decoderLayout: 'pair' });
    expect((await run(dir)).mode.mode).toBe('split');
    const stamp = join(dir, 'onnx/decoder_with_past_model.onnx.continuo-split.json');
    writeFileSync(stamp, JSON.stringify({ ...JSON.parse(readFileSync(stamp, 'utf8')), valid: false, reason: 'forced' }));
    const refused = await run(dir);
    expect(refused.mode).toEqual({ mode: 'pair', cache: 'concat', note: 'forced' });
    expect(refused.codes).toEqual(reference);

    // decoder_model.onnx is read by the split too: when it changes, the split is checked again.
    const noPast = join(dir, 'onnx/decoder_model.onnx');
    const later = new Date(statSync(noPast).mtimeMs + 5000);
    utimesSync(noPast, later, later);
    expect((await run(dir)).mode).toEqual({ mode: 'split', cache: 'two-block', note: undefined });
  });

  it('the merged file wins when a folder has both layouts', async () => {
    const dir = copyOf({ preset: 'tiny', decoderLayout: 'both' });
    await run(dir);
    expect(existsSync(join(dir, 'onnx/decoder_model_merged.onnx.continuo-split.json'))).toBe(true);
    expect(existsSync(join(dir, 'onnx/decoder_with_past_model.onnx.continuo-split.json'))).toBe(false);
  });

  it('a q8 pair with external data runs split with the two-block cache and the codes of the q8 merged file', async () => {
    const merged = await run(copyOf({ preset: 'tiny', variants: ['q8'] }), 'q8');
    const pair = await run(copyOf({ preset: 'tiny', variants: ['q8'], decoderLayout: 'pair', externalData: true }), 'q8');
    expect(merged.mode).toEqual({ mode: 'split', cache: 'two-block', note: undefined });
    expect(pair.mode).toEqual({ mode: 'split', cache: 'two-block', note: undefined });
    expect(pair.codes).toEqual(merged.codes);
  });
});
