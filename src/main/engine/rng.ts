/**
 * Seeded uniform random numbers for sampling. Each take gets its own stream (seed + take index)
 * so a take can be regenerated alone, from the seed stored with it, and come out identical.
 */
import { uniformFloat64 } from 'pure-rand/distribution/uniformFloat64';
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';

export const MAX_SEED = 0xffffffff;

export type Uniform = () => number;

export function seededUniform(seed: number): Uniform {
  const rng = xoroshiro128plus(seed | 0);
  return () => uniformFloat64(rng);
}

export function takeSeed(seed: number, takeIndex: number): number {
  return (seed + takeIndex) >>> 0;
}

export function randomSeed(): number {
  return Math.floor(Math.random() * (MAX_SEED + 1));
}
