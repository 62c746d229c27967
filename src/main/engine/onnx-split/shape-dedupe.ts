/**
 * Removes the repeated shape arithmetic of exported graphs. `torch.onnx.export` writes every
 * `view(bsz, tgt_len, heads, head_dim)` of every layer as its own chain — Shape → Gather →
 * Unsqueeze → Concat → Reshape — so a musicgen-small step runs ~900 more tiny nodes than a graph
 * written by hand, ~10 % of a step on two cores (measured with onnxruntime's profiler: the weight
 * MatMuls cost the same). Every layer asks the same question (the batch size and the number of
 * positions of the residual stream), so the answers can be computed once.
 *
 * 1. A small symbolic shape inference names each tensor's dimensions: a declared size, or a
 *    symbol that stands for "dimension i of tensor t at run time", carried through the ops that
 *    keep it (elementwise with broadcasting, MatMul, LayerNormalization, Transpose, Reshape to a
 *    shape computed from other dimensions, Concat, Gather, …). Unknown dimensions get a symbol of
 *    their own, so two dimensions only compare equal when the ops prove them equal.
 * 2. Shape nodes of tensors with the same symbolic dimensions are one Shape node.
 * 3. Common-subexpression elimination over the cheap integer ops that follow (same op, same
 *    attributes, same inputs — constants compared by value) merges the per-layer chains.
 *
 * Only rewiring and removal happen, never a new computation; the loader probes the result against
 * the export as always.
 */
import onnxProto from 'onnx-proto';
import { prune, subgraphs } from './graph-utils';
import type { GraphProto, TensorProto } from './scan-model';

const { onnx } = onnxProto;
type NodeProto = onnxProto.onnx.INodeProto;

type Dims = string[];

const UNARY = new Set([
  'DynamicQuantizeLinear',
  'DequantizeLinear',
  'QuantizeLinear',
  'Sqrt',
  'Erf',
  'Gelu',
  'Softmax',
  'Cast',
  'Relu',
  'Tanh',
  'Sigmoid',
  'Neg',
  'Identity',
  'Not',
  'Reciprocal',
  'Exp',
  'Log',
  'Abs',
  'LayerNormalization',
  'Dropout',
  'FastGelu',
  'BiasGelu',
  'SimplifiedLayerNormalization',
]);
const BROADCAST = new Set([
  'Add',
  'Sub',
  'Mul',
  'Div',
  'Pow',
  'Equal',
  'Where',
  'And',
  'Or',
  'Greater',
  'Less',
  'Max',
  'Min',
  'GreaterOrEqual',
  'LessOrEqual',
]);
/** Ops merged when repeated: cheap, deterministic, no subgraphs. */
const MERGEABLE = new Set([
  'Shape',
  'Gather',
  'Unsqueeze',
  'Squeeze',
  'Concat',
  'Constant',
  'Cast',
  'Mul',
  'Add',
  'Sub',
  'Div',
  'Slice',
  'Equal',
  'Where',
  'Range',
  'Expand',
  'ConstantOfShape',
  'Reshape',
  'Less',
  'Greater',
  'Not',
  'Neg',
  'Identity',
  'Min',
  'Max',
]);
const SMALL = 64;

function intAttr(node: NodeProto, name: string): number | undefined {
  const a = node.attribute?.find((x) => x.name === name);
  return a?.i === undefined || a.i === null ? undefined : Number(a.i);
}

function intsAttr(node: NodeProto, name: string): number[] | undefined {
  const a = node.attribute?.find((x) => x.name === name);
  return a?.ints?.length ? a.ints.map(Number) : undefined;
}

/** The integer values of a small int64/int32 tensor, or undefined. */
function intValues(t: TensorProto): number[] | undefined {
  const T = onnx.TensorProto.DataType;
  if (t.dataType !== T.INT64 && t.dataType !== T.INT32) return undefined;
  if (t.dataLocation === onnx.TensorProto.DataLocation.EXTERNAL) return undefined;
  let values: number[];
  if (t.rawData?.length) {
    const bytes = Uint8Array.from(t.rawData);
    values = t.dataType === T.INT64 ? Array.from(new BigInt64Array(bytes.buffer), Number) : Array.from(new Int32Array(bytes.buffer));
  } else values = t.dataType === T.INT64 ? (t.int64Data ?? []).map(Number) : (t.int32Data ?? []).map(Number);
  return values.length <= SMALL ? values : undefined;
}

/** A dimension expression, simplified where both sides are numbers. */
function combine(op: string, a: string, b: string): string {
  const [x, y] = [Number(a), Number(b)];
  if (a !== '' && b !== '' && Number.isInteger(x) && Number.isInteger(y)) {
    if (op === 'Add') return String(x + y);
    if (op === 'Sub') return String(x - y);
    if (op === 'Mul') return String(x * y);
    if (op === 'Div' && y !== 0) return String(Math.trunc(x / y));
  }
  return `(${a}${{ Add: '+', Sub: '-', Mul: '*', Div: '/' }[op] ?? op}${b})`;
}

class Shapes {
  readonly dims = new Map<string, Dims>();
  /** Symbolic values of small integer tensors (shape vectors, scalars): values and whether 0-D. */
  readonly values = new Map<string, { v: string[]; scalar: boolean }>();

  constructor(graph: GraphProto) {
    for (const input of graph.input ?? []) {
      const dims = input.type?.tensorType?.shape?.dim;
      if (dims)
        this.dims.set(
          input.name!,
          dims.map((d, i) => (d.dimValue != null && Number(d.dimValue) > 0 ? String(Number(d.dimValue)) : `${input.name}#${i}`)),
        );
    }
    for (const t of graph.initializer ?? []) this.constant(t.name!, t);
  }

  constant(name: string, t: TensorProto): void {
    const dims = (t.dims ?? []).map((d) => String(Number(d)));
    this.dims.set(name, dims);
    const v = intValues(t);
    if (v && dims.length <= 1) this.values.set(name, { v: v.map(String), scalar: dims.length === 0 });
  }

  /** Fresh symbols for a tensor of known rank whose sizes the rules do not know. */
  private fresh(name: string, rank: number): Dims {
    return Array.from({ length: rank }, (_, i) => `${name}?${i}`);
  }

  private broadcast(name: string, all: Dims[]): Dims {
    const rank = Math.max(...all.map((d) => d.length));
    return Array.from({ length: rank }, (_, k) => {
      const at = all.map((d) => d[d.length - rank + k]).filter((x) => x !== undefined && x !== '1');
      if (at.length === 0) return '1';
      return at.every((x) => x === at[0]) ? at[0] : `${name}?${k}`;
    });
  }

  infer(node: NodeProto): void {
    const op = node.opType ?? '';
    const ins = node.input ?? [];
    const out = node.output?.[0];
    if (!out || (node.domain && node.domain !== 'com.microsoft')) return;
    const d = (i: number) => (ins[i] ? this.dims.get(ins[i]) : undefined);
    const val = (i: number) => (ins[i] ? this.values.get(ins[i]) : undefined);
    const set = (dims: Dims | undefined) => dims && this.dims.set(out, dims);
    if (op === 'Constant') {
      const t = node.attribute?.find((a) => a.name === 'value')?.t;
      if (t) this.constant(out, t);
      return;
    }
    if (op === 'Shape') {
      const x = d(0);
      if (!x) return;
      const start = intAttr(node, 'start') ?? 0;
      const end = intAttr(node, 'end') ?? x.length;
      const v = x.slice(start < 0 ? x.length + start : start, end < 0 ? x.length + end : end);
      this.values.set(out, { v, scalar: false });
      this.dims.set(out, [String(v.length)]);
      return;
    }
    const a = val(0);
    const b = val(1);
    if (op === 'Gather' && a && !a.scalar) {
      const index = val(1);
      if (index && index.v.every((x) => Number.isInteger(Number(x)))) {
        const picked = index.v.map((i) => a.v[Number(i) < 0 ? a.v.length + Number(i) : Number(i)]);
        if (picked.every((x) => x !== undefined)) {
          this.values.set(out, { v: picked, scalar: index.scalar });
          this.dims.set(out, index.scalar ? [] : [String(picked.length)]);
          return;
        }
      }
    }
    if (op === 'Unsqueeze' && a?.scalar) this.values.set(out, { v: a.v, scalar: false });
    if (op === 'Squeeze' && a && !a.scalar && a.v.length === 1) this.values.set(out, { v: a.v, scalar: true });
    if (op === 'Concat' && (intAttr(node, 'axis') ?? 0) === 0 && ins.every((_, i) => val(i) && !val(i)!.scalar))
      this.values.set(out, { v: ins.flatMap((_, i) => val(i)!.v), scalar: false });
    if (op === 'Cast' && a && [6, 7].includes(intAttr(node, 'to') ?? 0)) this.values.set(out, a);
    if (['Add', 'Sub', 'Mul', 'Div'].includes(op) && a && b && (a.v.length === b.v.length || a.scalar || b.scalar)) {
      const n = Math.max(a.v.length, b.v.length);
      this.values.set(out, {
        v: Array.from({ length: n }, (_, i) => combine(op, a.v[a.scalar ? 0 : i], b.v[b.scalar ? 0 : i])),
        scalar: a.scalar && b.scalar,
      });
    }

    if (UNARY.has(op)) return void set(d(0));
    if (BROADCAST.has(op)) {
      const all = ins.map((_, i) => d(i));
      return void (all.every((x) => x) && set(this.broadcast(out, all as Dims[])));
    }
    if (op === 'MatMul' || op === 'MatMulInteger') {
      const [x, y] = [d(0), d(1)];
      if (!x || !y || x.length < 2 || y.length < 2) return;
      if (y.length === 2) return void set([...x.slice(0, -1), y[1]]);
      return void set([...this.broadcast(out, [x.slice(0, -2), y.slice(0, -2)]), x[x.length - 2], y[y.length - 1]]);
    }
    if (op === 'Transpose') {
      const x = d(0);
      const perm = intsAttr(node, 'perm') ?? (x ? x.map((_, i) => x.length - 1 - i) : undefined);
      return void (x && perm && set(perm.map((p) => x[p])));
    }
    if (op === 'Reshape') {
      const x = d(0);
      const shape = val(1);
      if (!shape || shape.scalar) return;
      const allowZero = intAttr(node, 'allowzero') === 1;
      return void set(shape.v.map((s, i) => (s === '0' && !allowZero ? (x?.[i] ?? `${out}?${i}`) : s === '-1' ? `${out}?${i}` : s)));
    }
    if (op === 'Unsqueeze' || op === 'Squeeze') {
      const x = d(0);
      const axes = intsAttr(node, 'axes') ?? val(1)?.v.map(Number);
      if (!x || !axes) return;
      if (op === 'Squeeze') {
        const norm = axes.map((k) => (k < 0 ? x.length + k : k));
        return void set(x.filter((_, i) => !norm.includes(i)));
      }
      const rank = x.length + axes.length;
      const norm = axes.map((k) => (k < 0 ? rank + k : k));
      const rest = [...x];
      return void set(Array.from({ length: rank }, (_, i) => (norm.includes(i) ? '1' : rest.shift()!)));
    }
    if (op === 'Concat') {
      const all = ins.map((_, i) => d(i));
      if (!all.every((x) => x && x.length === all[0]!.length)) return;
      const rank = all[0]!.length;
      const axis = (intAttr(node, 'axis') ?? 0) < 0 ? rank + intAttr(node, 'axis')! : (intAttr(node, 'axis') ?? 0);
      // Concat requires every other dimension to match, so the first input's stand for all.
      return void set(all[0]!.map((x, i) => (i === axis ? (all as Dims[]).map((y) => y[i]).reduce((s, y) => combine('Add', s, y)) : x)));
    }
    if (op === 'Gather') {
      const [x, idx] = [d(0), d(1)];
      const axis = intAttr(node, 'axis') ?? 0;
      if (!x || !idx) return;
      const k = axis < 0 ? x.length + axis : axis;
      return void set([...x.slice(0, k), ...idx, ...x.slice(k + 1)]);
    }
    if (op === 'ReduceMean' || op === 'ReduceSum' || op === 'ReduceMax') {
      const x = d(0);
      const axes = intsAttr(node, 'axes') ?? val(1)?.v.map(Number);
      if (!x || !axes) return;
      const norm = axes.map((k) => (k < 0 ? x.length + k : k));
      const keep = intAttr(node, 'keepdims') ?? 1;
      return void set(x.flatMap((s, i) => (norm.includes(i) ? (keep ? ['1'] : []) : [s])));
    }
    if (op === 'Slice' || op === 'Expand' || op === 'Tile' || op === 'ConstantOfShape' || op === 'Range') {
      const x = op === 'ConstantOfShape' ? val(0)?.v : d(0);
      if (op === 'ConstantOfShape' && x) return void set(x);
      if (op === 'Range') return void set(this.fresh(out, 1));
      if (x && op !== 'Expand') set(this.fresh(out, x.length));
    }
  }
}

function attributeKey(node: NodeProto): string {
  return (node.attribute ?? []).map((a) => Buffer.from(onnx.AttributeProto.encode(a).finish()).toString('base64')).join(',');
}

/** The graph with repeated shape arithmetic computed once (see above); graphs with subgraphs are left as they are. */
export function dedupeShapes(graph: GraphProto): GraphProto {
  const nodes = graph.node ?? [];
  if (nodes.some((n) => subgraphs(n).length)) return graph;
  const shapes = new Shapes(graph);
  const outputs = new Set((graph.output ?? []).map((o) => o.name!));
  // Small integer initializers compare by value.
  const constantKey = new Map<string, string>();
  for (const t of graph.initializer ?? []) {
    const v = intValues(t);
    if (v) constantKey.set(t.name!, `const:${t.dataType}:${(t.dims ?? []).join('x')}:${v.join(',')}`);
  }
  const renamed = new Map<string, string>();
  const seen = new Map<string, string[]>();
  const kept: NodeProto[] = [];
  for (const original of nodes) {
    const node = { ...original, input: (original.input ?? []).map((i) => renamed.get(i) ?? i) };
    shapes.infer(node);
    const outs = node.output ?? [];
    if (!MERGEABLE.has(node.opType ?? '') || (node.domain ?? '') !== '' || outs.some((o) => outputs.has(o))) {
      kept.push(node);
      continue;
    }
    let key: string;
    if (node.opType === 'Shape') {
      const dims = shapes.dims.get(node.input[0]);
      key = dims ? `Shape|${attributeKey(node)}|${dims.join(',')}` : `Shape|${attributeKey(node)}|${node.input[0]}`;
    } else {
      key = `${node.opType}|${attributeKey(node)}|${node.input.map((i) => constantKey.get(i) ?? i).join(',')}`;
    }
    const earlier = seen.get(key);
    if (earlier && earlier.length === outs.length) {
      outs.forEach((o, i) => renamed.set(o, earlier[i]));
      continue;
    }
    seen.set(key, outs);
    if (node.opType === 'Constant' && outs.length === 1) {
      const t = node.attribute?.find((a) => a.name === 'value')?.t;
      const v = t && intValues(t);
      if (t && v) constantKey.set(outs[0], `const:${t.dataType}:${(t.dims ?? []).join('x')}:${v.join(',')}`);
    }
    kept.push(node);
  }
  const pruned = prune(kept, [...outputs]);
  const read = new Set(pruned.flatMap((n) => n.input ?? []));
  return { ...graph, node: pruned, initializer: (graph.initializer ?? []).filter((t) => read.has(t.name!) || outputs.has(t.name!)) };
}
