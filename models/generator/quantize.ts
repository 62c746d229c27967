/**
 * The q8 (`*_quantized.onnx`) variant of a model, written the way onnxruntime's dynamic
 * quantization (`quantize_dynamic`, IntegerOps, as transformers.js' scripts/quantize.py calls it
 * with MatMulConstBOnly) writes it, so the engine meets the graphs the Hub's q8 files contain:
 *
 * - a MatMul with a weight as B: `DynamicQuantizeLinear(A)` → `MatMulInteger(A_q, W_q, A_zp,
 *   W_zp)` → `Cast` to float → `Mul` by `A_scale · W_scale`. The activation's scale is computed
 *   at run time over the whole tensor — which is why a multi-position prefill quantizes
 *   differently from position-by-position steps. Weights per tensor or per output channel.
 * - a Gather from a weight table (embeddings): the table as uint8/int8 with either
 *   `DequantizeLinear` before the Gather or the Gather first and `DequantizeLinear` after it
 *   (both occur in quantized exports).
 *
 * MatMuls between two activations (attention) stay float, as with MatMulConstBOnly. Nodes in
 * `If` branches are rewritten in place, and a weight shared by both branches is quantized once.
 */
import onnxProto from 'onnx-proto';
import { allGraphs, mapNodes, type ModelDoc } from './model-doc';
import { DATA_TYPE, type LazyTensor, type NodeProto } from './onnx-graph';

const { onnx } = onnxProto;

export interface Q8Options {
  /** int8 symmetric weights (what quantize.py picks for graphs without Conv) or uint8 asymmetric. */
  weightType?: 'int8' | 'uint8';
  /** One scale (and zero point) per output column of each MatMul weight, per row of each table. */
  perChannel?: boolean;
  /** Where embedding tables are dequantized: before the Gather (the table) or after it (the rows). */
  embeddings?: 'dequantize-then-gather' | 'gather-then-dequantize' | 'float';
}

interface Quantized {
  values: string;
  scale: string;
  zeroPoint: string;
}

/** Round half to even, as numpy (and so onnxruntime's quantizer) rounds. */
function roundEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * Quantizes `values` in groups: group g holds the elements i with groupOf(i) = g. Returns the
 * quantized values, one scale and one zero point per group.
 */
function quantizeGroups(values: Float32Array, groups: number, groupOf: (i: number) => number, signed: boolean) {
  const min = new Float64Array(groups);
  const max = new Float64Array(groups);
  for (let i = 0; i < values.length; i++) {
    const g = groupOf(i);
    min[g] = Math.min(min[g], values[i]);
    max[g] = Math.max(max[g], values[i]);
  }
  const scale = new Float32Array(groups);
  const zeroPoint = signed ? new Int8Array(groups) : new Uint8Array(groups);
  for (let g = 0; g < groups; g++) {
    if (signed) {
      // Symmetric: zero point 0, [-127, 127].
      scale[g] = Math.max(Math.abs(min[g]), Math.abs(max[g])) / 127 || 1;
    } else {
      scale[g] = (max[g] - min[g]) / 255 || 1;
      zeroPoint[g] = Math.min(255, Math.max(0, roundEven(-min[g] / scale[g])));
    }
  }
  const [lo, hi] = signed ? [-127, 127] : [0, 255];
  const q = signed ? new Int8Array(values.length) : new Uint8Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const g = groupOf(i);
    q[i] = Math.min(hi, Math.max(lo, roundEven(values[i] / scale[g]) + zeroPoint[g]));
  }
  return { q, scale, zeroPoint };
}

export function quantizeQ8(doc: ModelDoc, options: Q8Options = {}): ModelDoc {
  const signed = (options.weightType ?? 'int8') === 'int8';
  const qType = signed ? DATA_TYPE.int8 : DATA_TYPE.uint8;
  const embeddings = options.embeddings ?? 'gather-then-dequantize';
  const weights = new Map(doc.weights.map((w) => [w.name, w]));
  const added: LazyTensor[] = [];
  const made = new Map<string, Quantized>();
  let counter = 0;
  const fresh = (hint: string) => `${hint}_q8_${counter++}`;

  const isFloatMatrix = (name: string) => {
    const w = weights.get(name);
    return w !== undefined && w.dataType === DATA_TYPE.float32 && w.dims.length === 2;
  };

  /** The weight quantized in groups along `axis` (0: rows, 1: columns), or per tensor. */
  const quantized = (name: string, axis: 0 | 1 | undefined): Quantized => {
    const key = `${name}|${axis}`;
    const known = made.get(key);
    if (known) return known;
    const w = weights.get(name)!;
    const [rows, cols] = w.dims;
    const groups = axis === undefined ? 1 : w.dims[axis];
    const groupOf = axis === undefined ? () => 0 : axis === 0 ? (i: number) => Math.floor(i / cols) : (i: number) => i % cols;
    // Computed once, when the first of the three tensors is written.
    let result: ReturnType<typeof quantizeGroups> | undefined;
    const get = () => (result ??= quantizeGroups(w.values() as Float32Array, groups, groupOf, signed));
    const dims = axis === undefined ? [] : [groups];
    const names = { values: `${name}_quantized`, scale: `${name}_scale`, zeroPoint: `${name}_zero_point` };
    if (axis !== undefined)
      Object.assign(names, {
        values: `${name}_quantized_axis${axis}`,
        scale: `${name}_scale_axis${axis}`,
        zeroPoint: `${name}_zero_point_axis${axis}`,
      });
    added.push(
      { name: names.values, dims: [rows, cols], dataType: qType, values: () => get().q },
      { name: names.scale, dims, dataType: DATA_TYPE.float32, values: () => get().scale },
      { name: names.zeroPoint, dims, dataType: qType, values: () => get().zeroPoint },
    );
    made.set(key, names);
    return names;
  };

  const node = (opType: string, input: string[], output: string[], attribute: NodeProto['attribute'] = []): NodeProto => ({
    opType,
    name: fresh(opType),
    input,
    output,
    attribute,
  });
  const castToFloat = { name: 'to', type: onnx.AttributeProto.AttributeType.INT, i: onnx.TensorProto.DataType.FLOAT };

  const rewrite = (n: NodeProto): NodeProto[] => {
    const [a, b] = n.input ?? [];
    if (n.opType === 'MatMul' && isFloatMatrix(b) && !isFloatMatrix(a)) {
      const w = quantized(b, options.perChannel ? 1 : undefined);
      const [aq, aScale, aZero, product, asFloat, scale] = [
        'a_quantized',
        'a_scale',
        'a_zero_point',
        'product',
        'product_float',
        'scale',
      ].map(fresh);
      return [
        node('DynamicQuantizeLinear', [a], [aq, aScale, aZero]),
        node('MatMulInteger', [aq, w.values, aZero, w.zeroPoint], [product]),
        node('Cast', [product], [asFloat], [castToFloat]),
        node('Mul', [aScale, w.scale], [scale]),
        node('Mul', [asFloat, scale], n.output ?? []),
      ];
    }
    if (
      n.opType === 'Gather' &&
      embeddings !== 'float' &&
      isFloatMatrix(a) &&
      !(n.attribute ?? []).some((x) => x.name === 'axis' && Number(x.i) !== 0)
    ) {
      if (embeddings === 'dequantize-then-gather') {
        const w = quantized(a, options.perChannel ? 0 : undefined);
        const table = fresh('table');
        const axis = options.perChannel ? [{ name: 'axis', type: onnx.AttributeProto.AttributeType.INT, i: 0 }] : [];
        return [node('DequantizeLinear', [w.values, w.scale, w.zeroPoint], [table], axis), { ...n, input: [table, b] }];
      }
      // The rows are gathered still quantized, so one scale must fit the whole table.
      const w = quantized(a, undefined);
      const rows = fresh('rows_quantized');
      return [{ ...n, input: [w.values, b], output: [rows] }, node('DequantizeLinear', [rows, w.scale, w.zeroPoint], n.output ?? [])];
    }
    return [n];
  };

  const graph = mapNodes(doc.graph, rewrite);
  const used = new Set(allGraphs(graph).flatMap((g) => (g.node ?? []).flatMap((n) => n.input ?? [])));
  return { ...doc, graph, weights: [...doc.weights, ...added].filter((w) => used.has(w.name)) };
}
