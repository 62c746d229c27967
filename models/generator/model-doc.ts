/**
 * A model as the generator's transforms (q8, fp16, the unmerged pair) see it: the graph — nodes,
 * inputs, outputs, nested `If` branches — and its weights, which stay lazy. The generator's own
 * graphs become one with `modelOf`; an existing ONNX file with `readModel`, whose weights are read
 * from the file (or its external-data file) only when written. So the same transforms apply to the
 * generated decoders and to any other export (the torch-exported fixture), and a gigabyte file is
 * transformed one tensor at a time.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { dirname, join } from 'node:path';
import onnxProto from 'onnx-proto';
import { scanModel, type TensorProto } from '../../src/main/engine/onnx-split/scan-model';
import { DATA_TYPE, type Graph, type GraphProto, type LazyTensor, type NodeProto, type WeightValues } from './onnx-graph';

const { onnx } = onnxProto;

export interface ModelDoc {
  /** The graph without initializers: every initializer is in `weights`. */
  graph: GraphProto;
  weights: LazyTensor[];
  opset: number;
  producer?: string;
}

export function modelOf(graph: Graph, opset = 17): ModelDoc {
  return { graph: graph.toProto(), weights: graph.weights, opset };
}

const ARRAYS: Record<number, { new (buffer: ArrayBuffer): WeightValues; BYTES_PER_ELEMENT: number }> = {
  [DATA_TYPE.float32]: Float32Array,
  [DATA_TYPE.float16]: Uint16Array,
  [DATA_TYPE.uint8]: Uint8Array,
  [DATA_TYPE.int8]: Int8Array,
  [DATA_TYPE.int32]: Int32Array,
  [DATA_TYPE.int64]: BigInt64Array,
  [onnx.TensorProto.DataType.BOOL]: Uint8Array,
};

export function typedArray(dataType: number, bytes: Uint8Array): WeightValues {
  const Type = ARRAYS[dataType];
  if (!Type) throw new Error(`weights of ONNX data type ${dataType} are not supported`);
  const copy = new Uint8Array(bytes.byteLength);
  copy.set(bytes);
  return new Type(copy.buffer);
}

function readSpan(path: string, offset: number, length: number): Uint8Array {
  const out = Buffer.alloc(length);
  const fd = openSync(path, 'r');
  try {
    let done = 0;
    while (done < length) {
      const n = readSync(fd, out, done, length - done, offset + done);
      if (n <= 0) throw new Error(`${path} ends before byte ${offset + length}`);
      done += n;
    }
  } finally {
    closeSync(fd);
  }
  return out;
}

/** The values of a decoded initializer, wherever the TensorProto keeps them. */
function tensorValues(t: TensorProto, folder: string): WeightValues {
  const type = t.dataType ?? 0;
  if (t.dataLocation === onnx.TensorProto.DataLocation.EXTERNAL) {
    const field = (key: string) => t.externalData?.find((e) => e.key === key)?.value;
    const count = (t.dims ?? []).reduce<number>((a, b) => a * Number(b), 1);
    const length = Number(field('length') ?? count * ARRAYS[type].BYTES_PER_ELEMENT);
    return typedArray(type, readSpan(join(folder, field('location')!), Number(field('offset') ?? 0), length));
  }
  if (t.rawData?.length) return typedArray(type, t.rawData);
  if (t.floatData?.length) return Float32Array.from(t.floatData);
  if (t.int64Data?.length) return BigInt64Array.from(t.int64Data, (v) => BigInt(v.toString()));
  const ints = t.int32Data ?? [];
  if (type === DATA_TYPE.float16) return Uint16Array.from(ints);
  if (type === DATA_TYPE.int8) return Int8Array.from(ints);
  if (type === DATA_TYPE.int32) return Int32Array.from(ints);
  return typedArray(type, Uint8Array.from(ints));
}

/** An ONNX file as a ModelDoc; large weights are read from the file only when written. */
export function readModel(path: string): ModelDoc {
  const scanned = scanModel(path);
  const folder = dirname(path);
  const weights: LazyTensor[] = [...scanned.initializers.values()].map((ref) =>
    'inline' in ref
      ? {
          name: ref.name,
          dims: (ref.inline.dims ?? []).map(Number),
          dataType: ref.inline.dataType ?? 0,
          values: () => tensorValues(ref.inline, folder),
        }
      : {
          name: ref.name,
          dims: ref.dims,
          dataType: ref.dataType,
          values: () => typedArray(ref.dataType, readSpan(path, ref.offset, ref.length)),
        },
  );
  const opset = Number(scanned.header.opsetImport?.find((o) => !o.domain)?.version ?? 17);
  return { graph: { ...scanned.graph, initializer: [] }, weights, opset, producer: scanned.header.producerName ?? undefined };
}

/** Every graph of a model: the main graph and the branches of its `If` nodes, depth first. */
export function allGraphs(graph: GraphProto): GraphProto[] {
  const found = [graph];
  for (const node of graph.node ?? []) {
    for (const a of node.attribute ?? []) {
      if (a.g) found.push(...allGraphs(a.g));
      for (const g of a.graphs ?? []) found.push(...allGraphs(g));
    }
  }
  return found;
}

/**
 * A copy of `graph` with every node (in nested branches too, innermost first) replaced by what
 * `rewrite` returns for it; the original graph is left as it was.
 */
export function mapNodes(graph: GraphProto, rewrite: (node: NodeProto, graph: GraphProto) => NodeProto[]): GraphProto {
  const copy: GraphProto = { ...graph };
  copy.node = (graph.node ?? []).flatMap((n) => {
    const attribute = (n.attribute ?? []).map((a) => ({
      ...a,
      ...(a.g ? { g: mapNodes(a.g, rewrite) } : {}),
      ...(a.graphs?.length ? { graphs: a.graphs.map((g) => mapNodes(g, rewrite)) } : {}),
    }));
    return rewrite({ ...n, attribute }, copy);
  });
  return copy;
}
