/** Transformer building blocks expressed as ONNX nodes (opset 17). */
import { floatTensor, type Graph } from './onnx-graph';
import type { Weights } from './weights';

/** The additive mask value HF uses (finfo(float32).min): an all-masked row stays finite. */
export const MASK_MIN = -3.4028234663852886e38;

export function linear(g: Graph, w: Weights, x: string, name: string, inDim: number, outDim: number, bias = true): string {
  const y = g.op('MatMul', [x, w.random(`${name}.weight`, [inDim, outDim], 1 / Math.sqrt(inDim))]);
  return bias ? g.op('Add', [y, w.random(`${name}.bias`, [outDim], 0.02)]) : y;
}

export function layerNorm(g: Graph, w: Weights, x: string, name: string, dim: number): string {
  const scale = w.fill(`${name}.weight`, [dim], 1);
  const bias = w.fill(`${name}.bias`, [dim], 0);
  return g.op('LayerNormalization', [x, scale, bias], { axis: -1, epsilon: { float: 1e-5 } });
}

/** Exact GELU: 0.5·x·(1 + erf(x/√2)). */
export function gelu(g: Graph, x: string): string {
  const erf = g.op('Erf', [g.op('Mul', [x, g.scalarFloat(Math.SQRT1_2)])]);
  return g.op('Mul', [g.op('Mul', [x, g.scalarFloat(0.5)]), g.op('Add', [erf, g.scalarFloat(1)])]);
}

/** [B, S, H·hd] → [B, H, S, hd] */
export function splitHeads(g: Graph, x: string, heads: number, headDim: number): string {
  return g.op('Transpose', [g.op('Reshape', [x, g.ints([0, 0, heads, headDim])])], { perm: [0, 2, 1, 3] });
}

/** [B, H, S, hd] → [B, S, H·hd] */
export function mergeHeads(g: Graph, x: string, dim: number): string {
  return g.op('Reshape', [g.op('Transpose', [x], { perm: [0, 2, 1, 3] }), g.ints([0, 0, dim])]);
}

/** softmax(q·kᵀ/√hd + mask)·v on split heads; `mask` broadcasts to [B, H, S, T]. */
export function attend(g: Graph, q: string, k: string, v: string, mask: string, headDim: number): string {
  const kt = g.op('Transpose', [k], { perm: [0, 1, 3, 2] });
  const scores = g.op('Mul', [g.op('MatMul', [q, kt]), g.scalarFloat(1 / Math.sqrt(headDim))]);
  const probs = g.op('Softmax', [g.op('Add', [scores, mask])], { axis: -1 });
  return g.op('MatMul', [probs, v]);
}

/** Additive key-padding mask [B, 1, 1, T] from an int64 attention mask [B, T]. */
export function paddingMask(g: Graph, mask: string): string {
  const m = g.op('Cast', [mask], { to: 1 });
  const blocked = g.op('Sub', [g.scalarFloat(1), m]);
  const additive = g.op('Mul', [blocked, g.scalarFloat(MASK_MIN)]);
  return g.op('Unsqueeze', [additive, g.ints([1, 2])]);
}

/** Gathers rows of a sinusoidal table for positions [start, start + length). */
export function positions(g: Graph, table: string, start: string, length: string): string {
  const end = g.op('Add', [start, length]);
  return g.op('Gather', [table, g.op('Range', [start, end, g.scalarInt(1)])]);
}

/** The size of `axis` of `x` as a scalar int64. */
export function dimOf(g: Graph, x: string, axis: number): string {
  return g.op('Gather', [g.op('Shape', [x]), g.scalarInt(axis)]);
}

/** A 1-D int64 shape built from constants and scalar dims, for Reshape. */
export function shapeOf(g: Graph, parts: (number | string)[]): string {
  const pieces = parts.map((p) => (typeof p === 'number' ? g.ints([p]) : g.op('Unsqueeze', [p, g.ints([0])])));
  return g.op('Concat', pieces, { axis: 0 });
}

export function emptyFloat(g: Graph, dims: number[]): string {
  return g.constant(floatTensor(new Float32Array(0), dims));
}
