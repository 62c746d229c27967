/**
 * Rewrites the cached decoder graph so that its self-attention cache lives in two blocks: a large
 * "old" block that the graph only reads, and a small "recent" block that it extends each step.
 *
 * Why: the exported graph appends each step's K/V to the whole past with a Concat and returns the
 * result, so every step copies the entire cache (and onnxruntime-node copies the output once more
 * into a new JS buffer). At 30 s of audio that is gigabytes per step, more than the weights. With
 * two blocks the graph attends to both (scores are concatenated, the probabilities split), returns
 * only the grown recent block, and the runner folds it into the old block every few dozen steps.
 *
 * Nothing here depends on how a particular exporter wrote attention beyond this: the past feeds
 * one Concat on the sequence axis (and Shape nodes); the concatenated K/V reach one MatMul as its
 * second operand through layout ops. Shapes of anything on that path are rebuilt from the shapes
 * of the blocks (old + new − empty), so views sized by the key length keep working. The loader
 * checks the rewritten graph against the merged one before using it.
 */
import onnxProto from 'onnx-proto';
import { freeNames, prune, subgraphs } from './graph-utils';
import type { GraphProto } from './scan-model';

const { onnx } = onnxProto;
type NodeProto = onnxProto.onnx.INodeProto;
type ValueInfoProto = onnxProto.onnx.IValueInfoProto;
type TensorProto = onnxProto.onnx.ITensorProto;

export const recentName = (past: string) => past.replace('past_key_values', 'recent_key_values');

/** Ops that move or relabel a K/V tensor without mixing its positions. */
const LAYOUT_OPS = new Set(['Reshape', 'Transpose', 'Unsqueeze', 'Squeeze', 'Identity', 'Cast', 'Mul', 'Div', 'Shape']);

function int64Tensor(name: string, values: number[]): TensorProto {
  return { name, dataType: onnx.TensorProto.DataType.INT64, dims: [values.length], int64Data: values };
}

class Rewriter {
  readonly added: NodeProto[] = [];
  readonly initializers: TensorProto[] = [];
  private n = 0;

  constructor(private readonly prefix: string) {}

  fresh(hint: string): string {
    return `${this.prefix}/${hint}_${this.n++}`;
  }

  node(opType: string, input: string[], attribute: onnxProto.onnx.IAttributeProto[] = [], output = this.fresh(opType)): string {
    this.added.push({ opType, input, output: [output], name: this.fresh(`${opType}_node`), attribute });
    return output;
  }

  ints(values: number[]): string {
    const name = this.fresh('const');
    this.initializers.push(int64Tensor(name, values));
    return name;
  }

  /** The shape a concatenation of the two blocks would have: old + new − empty, elementwise. */
  summedShape(oldShape: string, newShape: string, emptyShape: string, output: string): void {
    this.node('Sub', [this.node('Add', [oldShape, newShape]), emptyShape], [], output);
  }
}

interface Graph {
  nodes: NodeProto[];
  consumers: Map<string, NodeProto[]>;
  outputs: Set<string>;
  subgraphReads: Set<string>;
}

function allNames(g: GraphProto, into: Set<string>): Set<string> {
  for (const node of g.node ?? []) {
    for (const input of node.input ?? []) into.add(input);
    for (const sub of subgraphs(node)) allNames(sub, into);
  }
  return into;
}

function index(graph: GraphProto): Graph {
  const nodes = graph.node ?? [];
  const consumers = new Map<string, NodeProto[]>();
  const subgraphReads = new Set<string>();
  for (const node of nodes) {
    for (const input of node.input ?? []) {
      if (!input) continue;
      consumers.set(input, [...(consumers.get(input) ?? []), node]);
    }
    for (const sub of subgraphs(node)) allNames(sub, subgraphReads);
  }
  return { nodes, consumers, outputs: new Set((graph.output ?? []).map((o) => o.name!)), subgraphReads };
}

function attr(node: NodeProto, name: string): number | undefined {
  const a = node.attribute?.find((x) => x.name === name);
  return a?.i === undefined || a.i === null ? undefined : Number(a.i);
}

/**
 * The layout path from a concatenated cache tensor to the MatMul that reads it: its nodes in
 * graph order (Shape nodes end branches), and that MatMul.
 */
function layoutPath(g: Graph, start: string, ignore: NodeProto | undefined): { path: NodeProto[]; matmul: NodeProto } {
  const path = new Set<NodeProto>();
  const derived = new Set<string>([start]);
  let matmul: NodeProto | undefined;
  const queue = [start];
  while (queue.length) {
    const name = queue.shift()!;
    if (g.subgraphReads.has(name)) throw new Error(`${name} is read inside a subgraph`);
    for (const node of g.consumers.get(name) ?? []) {
      if (node === ignore) continue;
      if (node.opType === 'MatMul') {
        if (node.input?.[1] !== name || derived.has(node.input[0]))
          throw new Error(`${start} reaches a MatMul other than as its second operand`);
        if (matmul && matmul !== node) throw new Error(`${start} reaches more than one MatMul`);
        matmul = node;
        continue;
      }
      if (!LAYOUT_OPS.has(node.opType ?? '')) throw new Error(`${start} passes through ${node.opType}`);
      if (path.has(node)) continue;
      path.add(node);
      if (node.opType === 'Shape') continue;
      for (const output of node.output ?? []) {
        if (g.outputs.has(output)) throw new Error(`${output} is a graph output on the attention path`);
        derived.add(output);
        queue.push(output);
      }
    }
  }
  if (!matmul) throw new Error(`${start} reaches no MatMul`);
  // A Mul/Div on the path scales the cache by something else (a scale), never by the cache itself.
  for (const node of path) {
    if ((node.opType === 'Mul' || node.opType === 'Div') && (node.input ?? []).filter((i) => derived.has(i)).length !== 1)
      throw new Error(`${start} is multiplied by itself`);
  }
  return { path: g.nodes.filter((n) => path.has(n)), matmul };
}

/** Copies the layout path for one block; returns the name its MatMul operand gets in the copy. */
function clonePath(
  r: Rewriter,
  path: NodeProto[],
  matmul: NodeProto,
  from: string,
  to: string,
  tag: string,
  shapes: Map<NodeProto, string>,
): string {
  const names = new Map<string, string>([[from, to]]);
  const map = (n: string) => names.get(n) ?? n;
  for (const node of path) {
    const input = (node.input ?? []).map(map);
    if (node.opType === 'Shape') {
      const out = r.fresh(`shape_${tag}`);
      r.added.push({ ...node, name: r.fresh(`Shape_${tag}`), input, output: [out] });
      shapes.set(node, out);
      continue;
    }
    const output = (node.output ?? []).map((o) => {
      const renamed = r.fresh(`${node.opType}_${tag}`);
      names.set(o, renamed);
      return renamed;
    });
    r.added.push({ ...node, name: r.fresh(`${node.opType}_${tag}`), input, output });
  }
  return map(matmul.input![1]);
}

/** Orders nodes so that each comes after what it reads (ONNX requires a sorted graph). */
function sortNodes(nodes: NodeProto[]): NodeProto[] {
  const producer = new Map<string, NodeProto>();
  for (const node of nodes) for (const o of node.output ?? []) producer.set(o, node);
  const done = new Set<NodeProto>();
  const sorted: NodeProto[] = [];
  const visit = (node: NodeProto) => {
    if (done.has(node)) return;
    done.add(node);
    for (const input of freeNames([node])) {
      const p = producer.get(input);
      if (p) visit(p);
    }
    sorted.push(node);
  };
  for (const node of nodes) visit(node);
  return sorted;
}

/** A copy of an input's type with its sequence axis (2) renamed. */
function withSequenceDim(info: ValueInfoProto, name: string, dimParam: string): ValueInfoProto {
  const tensor = info.type?.tensorType;
  const dims = tensor?.shape?.dim;
  if (!tensor || !dims || dims.length !== 4) return { ...info, name };
  return {
    ...info,
    name,
    type: { ...info.type, tensorType: { ...tensor, shape: { dim: dims.map((d, k) => (k === 2 ? { dimParam } : d)) } } },
  };
}

/**
 * The two-block version of a cached decoder graph with `layers` layers. Throws, saying why, when
 * the graph is not shaped as this rewrite expects.
 */
export function twoBlockCacheGraph(graph: GraphProto, layers: number): GraphProto {
  const g = index(graph);
  const r = new Rewriter('continuo_two_block');
  const removed = new Set<NodeProto>();
  const inputs: ValueInfoProto[] = [...(graph.input ?? [])];

  for (let i = 0; i < layers; i++) {
    for (const part of ['key', 'value'] as const) {
      const past = `past_key_values.${i}.decoder.${part}`;
      const present = `present.${i}.decoder.${part}`;
      const recent = recentName(past);
      const pastInfo = inputs.find((x) => x.name === past);
      if (!pastInfo) throw new Error(`the graph has no input ${past}`);
      if (g.subgraphReads.has(past)) throw new Error(`${past} is read inside a subgraph`);
      const readers = g.consumers.get(past) ?? [];
      const concat = readers.find((n) => n.opType === 'Concat');
      if (!concat || readers.some((n) => n !== concat && n.opType !== 'Shape'))
        throw new Error(`${past} is read by something other than one Concat and Shape nodes`);
      const axis = attr(concat, 'axis');
      if (concat.input?.length !== 2 || concat.input[0] !== past || (axis !== 2 && axis !== -2))
        throw new Error(`${past} is not concatenated with the new positions on the sequence axis`);
      const joined = concat.output![0];
      // The present is the Concat's output, or an Identity of it.
      const identity = (g.consumers.get(joined) ?? []).find((n) => n.opType === 'Identity' && n.output?.[0] === present);
      if (joined !== present && !identity) throw new Error(`${present} is not the output of the cache Concat`);
      if (identity) removed.add(identity);
      const fresh = concat.input[1];
      const { path, matmul } = layoutPath(g, joined, identity);

      inputs.push(withSequenceDim(pastInfo, recent, 'recent_sequence_length'));
      // The graph now returns the recent block grown by this step's positions.
      removed.add(concat);
      const grown = r.node('Concat', [recent, fresh], [{ name: 'axis', type: onnx.AttributeProto.AttributeType.INT, i: 2 }], present);
      const empty = r.node('Slice', [fresh, r.ints([0]), r.ints([0]), r.ints([2])]);

      // Shape(past) keeps meaning the whole past: old + recent.
      for (const shape of readers.filter((n) => n.opType === 'Shape')) {
        removed.add(shape);
        const like = (x: string) => r.node('Shape', [x], shape.attribute ?? []);
        const emptyPast = r.node('Slice', [recent, r.ints([0]), r.ints([0]), r.ints([2])]);
        r.summedShape(like(past), like(recent), like(emptyPast), shape.output![0]);
      }

      const shapes = { old: new Map<NodeProto, string>(), new: new Map<NodeProto, string>(), empty: new Map<NodeProto, string>() };
      const oldOperand = clonePath(r, path, matmul, joined, past, 'old', shapes.old);
      const newOperand = clonePath(r, path, matmul, joined, grown, 'new', shapes.new);
      const emptyPath = path.filter((n) => n.opType === 'Shape').length ? path : [];
      if (emptyPath.length) clonePath(r, emptyPath, matmul, joined, empty, 'empty', shapes.empty);
      for (const node of path) {
        removed.add(node);
        if (node.opType === 'Shape') r.summedShape(shapes.old.get(node)!, shapes.new.get(node)!, shapes.empty.get(node)!, node.output![0]);
      }

      removed.add(matmul);
      const other = matmul.input![0];
      const out = matmul.output![0];
      if (part === 'key') {
        // Scores over old and new positions side by side, as one row of the softmax.
        const a = r.node('MatMul', [other, oldOperand]);
        const b = r.node('MatMul', [other, newOperand]);
        r.node('Concat', [a, b], [{ name: 'axis', type: onnx.AttributeProto.AttributeType.INT, i: -1 }], out);
      } else {
        // Probabilities split where the old block ends; each part weighs its own values.
        const oldLength = r.node('Slice', [r.node('Shape', [oldOperand]), r.ints([-2]), r.ints([-1])]);
        const big = r.ints([2 ** 53 - 1]);
        const last = r.ints([-1]);
        const pOld = r.node('Slice', [other, r.ints([0]), oldLength, last]);
        const pNew = r.node('Slice', [other, oldLength, big, last]);
        r.node('Add', [r.node('MatMul', [pOld, oldOperand]), r.node('MatMul', [pNew, newOperand])], [], out);
      }
    }
  }

  const kept = g.nodes.filter((n) => !removed.has(n));
  // Copies made only for their shapes leave a few dead nodes behind.
  const nodes = prune(sortNodes([...kept, ...r.added]), [...g.outputs]);
  const read = freeNames(nodes);
  const initializer = [...(graph.initializer ?? []), ...r.initializers].filter((t) => read.has(t.name!));
  return { ...graph, input: inputs, node: nodes, initializer };
}
