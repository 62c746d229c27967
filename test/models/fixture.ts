/**
 * A served "repo" for the downloader tests: the generated tiny test model in the Hub export
 * layout, plus q8 file names (copies of the fp32 files — the bytes only need to be distinct
 * files, nothing runs them here) and an external-data file for the decoder.
 */
import { createHash, randomBytes } from 'node:crypto';
import { copyFileSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { generateTestModel } from '../../models/generator';
import { parseCatalog, type Catalog, type CatalogFile } from '../../src/main/models/catalog';

export interface RepoFixture {
  dir: string;
  /** Every file of the repo, by repo path. */
  files: Record<string, { bytes: number; sha256: string }>;
}

export function makeRepo(dir: string): RepoFixture {
  generateTestModel(dir, { preset: 'tiny' });
  copyFileSync(join(dir, 'onnx/text_encoder.onnx'), join(dir, 'onnx/text_encoder_quantized.onnx'));
  copyFileSync(join(dir, 'onnx/decoder_model_merged.onnx'), join(dir, 'onnx/decoder_model_merged_quantized.onnx'));
  writeFileSync(join(dir, 'onnx/decoder_model_merged.onnx_data'), randomBytes(300_000));
  const files: RepoFixture['files'] = {};
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    const data = readFileSync(path);
    files[relative(dir, path).split(sep).join('/')] = { bytes: data.length, sha256: createHash('sha256').update(data).digest('hex') };
  }
  return { dir, files };
}

export const sha256Of = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

export const TEST_REPO = 'continuo/test-small';

/** A catalog with one model served from `repo`; sizes/hashes known or left to the Hub's headers. */
export function testCatalog(repo: RepoFixture, options: { known?: boolean; externalData?: boolean } = {}): Catalog {
  const file = (path: string, optional = false): CatalogFile => ({
    path,
    bytes: options.known ? repo.files[path].bytes : null,
    sha256: options.known ? repo.files[path].sha256 : null,
    ...(optional ? { optional } : {}),
  });
  return parseCatalog({
    format: 1,
    models: [
      {
        id: 'test-small',
        name: 'Test Small',
        repo: TEST_REPO,
        revision: 'main',
        description: 'Random weights, for tests.',
        licence: {
          id: 'CC-BY-NC-4.0',
          name: 'CC BY-NC 4.0',
          url: 'https://creativecommons.org/licenses/by-nc/4.0/',
          summary: 'Non-commercial use only, with attribution.',
        },
        channels: 1,
        parameters: '1M',
        defaultVariant: 'q8',
        files: ['config.json', 'generation_config.json', 'tokenizer.json', 'tokenizer_config.json']
          .map((p) => file(p))
          .concat(file('special_tokens_map.json', true)),
        variants: {
          fp32: [
            file('onnx/text_encoder.onnx'),
            file('onnx/decoder_model_merged.onnx'),
            ...(options.externalData ? [file('onnx/decoder_model_merged.onnx_data')] : []),
            file('onnx/encodec_decode.onnx'),
            file('onnx/encodec_encoder.onnx', true),
          ],
          q8: [file('onnx/text_encoder_quantized.onnx'), file('onnx/decoder_model_merged_quantized.onnx')],
        },
      },
    ],
  });
}
