/**
 * Deterministic random weights. Each tensor draws from its own stream, seeded by the model seed
 * and the tensor's name, so a tensor's values do not depend on the order tensors are written in.
 * The generator is a hand-written xorshift because the `small` preset draws ~420 M values.
 */
import type { Graph } from './onnx-graph';

function hashSeed(seed: number, name: string): number {
  let h = (seed ^ 0x9e3779b9) >>> 0;
  for (let i = 0; i < name.length; i++) {
    h = Math.imul(h ^ name.charCodeAt(i), 0x01000193) >>> 0;
  }
  return h || 0x12345678;
}

/** Uniform values in [-1, 1) from a 32-bit xorshift stream. */
export function uniformStream(seed: number, name: string, count: number): Float32Array {
  let x = hashSeed(seed, name);
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = (x >>> 0) / 2147483648 - 1;
  }
  return out;
}

/**
 * Registers weights on one graph (the top-level one). Registering a name twice returns the same
 * weight, which is how both `If` branches of the merged decoder share one set of initializers.
 */
export class Weights {
  private readonly known = new Set<string>();

  constructor(
    private readonly graph: Graph,
    private readonly seed: number,
  ) {}

  private register(name: string, dims: number[], values: () => Float32Array): string {
    if (!this.known.has(name)) {
      this.known.add(name);
      this.graph.weight(name, dims, values);
    }
    return name;
  }

  /** Uniform weights with the given standard deviation (uniform on [-a, a] has std a/√3). */
  random(name: string, dims: number[], std: number): string {
    const count = dims.reduce((a, b) => a * b, 1);
    const scale = std * Math.sqrt(3);
    return this.register(name, dims, () => {
      const values = uniformStream(this.seed, name, count);
      for (let i = 0; i < count; i++) values[i] *= scale;
      return values;
    });
  }

  fill(name: string, dims: number[], value: number): string {
    const count = dims.reduce((a, b) => a * b, 1);
    return this.register(name, dims, () => new Float32Array(count).fill(value));
  }

  fixed(name: string, dims: number[], values: () => Float32Array): string {
    return this.register(name, dims, values);
  }
}

/** Sinusoidal position table as MusicGen computes it: [cos(p·f), sin(p·f)], f = 10000^(-i/(half-1)). */
export function sinusoidalTable(positions: number, dim: number): Float32Array {
  const half = dim / 2;
  const scale = Math.log(10000) / (half - 1);
  const table = new Float32Array(positions * dim);
  for (let p = 0; p < positions; p++) {
    for (let i = 0; i < half; i++) {
      const angle = p * Math.exp(-i * scale);
      table[p * dim + i] = Math.cos(angle);
      table[p * dim + half + i] = Math.sin(angle);
    }
  }
  return table;
}
