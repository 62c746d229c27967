/** What every bench shares: its command-line options and the generated test models it runs on. */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { generateTestModel } from '../models/generator';

export const ROOT = join(import.meta.dirname, '..');
/** Generated once and kept between runs (`small` is ~1.7 GB a variant). */
export const CACHE = join(ROOT, '.cache', 'bench-models');

const args = process.argv.slice(2);

/** The value after `--name`, if given. */
export function option(name: string): string | undefined {
  return args.includes(name) ? args[args.indexOf(name) + 1] : undefined;
}

export function flag(name: string): boolean {
  return args.includes(name);
}

/** The preset's test model in one variant, generated on first use. */
export function ensureModel(preset: string, variant: 'fp32' | 'q8' | 'fp16' = 'fp32'): string {
  const dir = join(CACHE, `${preset}-${variant}`);
  if (!existsSync(join(dir, 'config.json'))) {
    process.stderr.write(`generating the ${preset} ${variant} test model in ${dir}…\n`);
    generateTestModel(dir, { preset, variants: [variant] });
  }
  return dir;
}

export const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
