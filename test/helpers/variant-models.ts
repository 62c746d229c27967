/**
 * Generated test models in the Hub's other layouts (q8 and fp16 variants, external data, the
 * unmerged decoder pair), one temp folder per set of options per test file.
 */
import { join } from 'node:path';
import { generateTestModel, type GenerateOptions } from '../../models/generator';
import { tempDir } from './models';

const made = new Map<string, string>();
let root: string | undefined;

export function variantModel(options: GenerateOptions): string {
  const key = JSON.stringify(options);
  const known = made.get(key);
  if (known) return known;
  root ??= tempDir('continuo-variant-models-');
  const dir = join(root, `m${made.size}`);
  generateTestModel(dir, options);
  made.set(key, dir);
  return dir;
}
