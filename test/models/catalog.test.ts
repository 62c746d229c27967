import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { filesFor, findModel, loadCatalog, parseCatalog, variantBytes, variantsOf } from '../../src/main/models/catalog';
import { tempDir } from '../helpers/models';

const JSON_FILES = ['config.json', 'generation_config.json', 'tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json'];

describe('bundled catalog', () => {
  const catalog = loadCatalog();

  it('lists musicgen-small from Xenova/musicgen-small with its licence', () => {
    const entry = findModel('musicgen-small', catalog);
    expect(entry).toMatchObject({ repo: 'Xenova/musicgen-small', revision: 'main', channels: 1, parameters: '300M', defaultVariant: 'q8' });
    expect(entry.licence.id).toBe('CC-BY-NC-4.0');
    expect(entry.licence.summary).toMatch(/non-commercial/i);
    expect(entry.licence.summary).toMatch(/credit|attribut/i);
    expect(variantsOf(entry)).toEqual(['fp32', 'fp16', 'q8']);
    expect(catalog.notes).toMatch(/stereo and melody/);
  });

  it('invents no sizes or hashes: unknown ones are null', () => {
    for (const entry of catalog.models.filter((m) => !m.hubFolders)) {
      for (const variant of variantsOf(entry)) {
        for (const f of filesFor(entry, variant)) {
          expect(f.bytes).toBeNull();
          expect(f.sha256).toBeNull();
        }
        expect(variantBytes(entry, variant)).toBeNull();
      }
    }
  });

  it('q8 follows the model card: quantized text encoder and decoder, fp32 audio codec', () => {
    const paths = filesFor(findModel('musicgen-small', catalog), 'q8').map((f) => f.path);
    expect(paths).toEqual([
      ...JSON_FILES,
      'onnx/text_encoder_quantized.onnx',
      'onnx/decoder_model_merged_quantized.onnx',
      'onnx/encodec_decode.onnx',
      'onnx/encodec_encoder.onnx',
    ]);
  });

  it('fp16 uses its own files and the fp32 codec encoder it lacks', () => {
    const paths = filesFor(findModel('musicgen-small', catalog), 'fp16').map((f) => f.path);
    expect(paths.slice(JSON_FILES.length)).toEqual([
      'onnx/text_encoder_fp16.onnx',
      'onnx/decoder_model_merged_fp16.onnx',
      'onnx/encodec_decode_fp16.onnx',
      'onnx/encodec_encoder.onnx',
    ]);
  });

  it('names the known ids and variants in its errors', () => {
    expect(() => findModel('musicgen-huge', catalog)).toThrow(/no model "musicgen-huge".*Known models: musicgen-small/);
    expect(() => filesFor(findModel('musicgen-small', catalog), 'q4')).toThrow(/no "q4" variant\. Available: fp32, fp16, q8/);
  });
});

describe('catalog validation', () => {
  const dir = tempDir();
  const base = () => structuredClone(loadCatalog()) as unknown as { models: Record<string, unknown>[] } & Record<string, unknown>;

  it('reads a catalog file from a path', () => {
    const path = join(dir, 'catalog.json');
    writeFileSync(path, JSON.stringify(base()));
    expect(loadCatalog(path).models[0].id).toBe('musicgen-small');
  });

  it.each([
    [
      'a path escaping the model folder',
      (c: ReturnType<typeof base>) => ((c.models[0].files as { path: string }[])[0].path = '../evil.json'),
      /relative path/,
    ],
    [
      'a sha256 that is not hex',
      (c: ReturnType<typeof base>) => ((c.models[0].files as { sha256: string }[])[0].sha256 = 'abc'),
      /64 lowercase hex/,
    ],
    [
      'a variant without its decoder',
      (c: ReturnType<typeof base>) => (c.models[0].variants as Record<string, unknown[]>).q8.splice(1, 1),
      /no onnx\/decoder_model_merged_quantized\.onnx/,
    ],
    [
      'a default variant it does not have',
      (c: ReturnType<typeof base>) => (c.models[0].defaultVariant = 'q4'),
      /"q4" is not one of its variants/,
    ],
    [
      'a file that belongs to no session',
      (c: ReturnType<typeof base>) =>
        (c.models[0].variants as Record<string, unknown[]>).q8.push({ path: 'onnx/other.onnx', bytes: null, sha256: null }),
      /not a q8 session file/,
    ],
    ['an id that looks like an unfinished download', (c: ReturnType<typeof base>) => (c.models[0].id = 'x.partial'), /\.partial/],
  ])('rejects %s', (_name, mutate, message) => {
    const data = base();
    mutate(data);
    expect(() => parseCatalog(data)).toThrow(message);
  });

  it('lists external data right after the ONNX file it belongs to', () => {
    const data = base();
    (data.models[0].variants as Record<string, unknown[]>).fp32.splice(2, 0, {
      path: 'onnx/decoder_model_merged.onnx_data',
      bytes: 5,
      sha256: null,
    });
    const paths = filesFor(parseCatalog(data).models[0], 'fp32').map((f) => f.path);
    expect(paths.slice(JSON_FILES.length, JSON_FILES.length + 3)).toEqual([
      'onnx/text_encoder.onnx',
      'onnx/decoder_model_merged.onnx',
      'onnx/decoder_model_merged.onnx_data',
    ]);
  });
});
