/**
 * The fp16 (`*_fp16.onnx`) variant of a model, as the Hub's fp16 MusicGen files are: every float
 * weight, constant and graph input/output becomes float16 — the text states, the KV cache
 * (past and present) and the logits included — so a caller feeds and reads float16. (transformers.js
 * reads each cache input's type from the session, so it runs such a decoder with dtype 'fp16'.)
 * Values beyond float16's range are clamped to ±65504, as onnxconverter-common's converter does,
 * so the additive attention masks (float32's lowest value) stay finite.
 */
import onnxProto from 'onnx-proto';
import { float32ToFloat16 } from '../../src/main/engine/float16';
import { mapNodes, type ModelDoc } from './model-doc';
import { DATA_TYPE, type GraphProto, type LazyTensor, type NodeProto, type TensorProto, type ValueInfoProto } from './onnx-graph';

const { onnx } = onnxProto;
const FLOAT = onnx.TensorProto.DataType.FLOAT;
const FLOAT16 = onnx.TensorProto.DataType.FLOAT16;
const HALF_MAX = 65504;

function toHalf(values: Float32Array): Uint16Array {
  // In place on a copy, in a plain loop: the small preset converts ~420 M values.
  const clamped = values.slice();
  for (let i = 0; i < clamped.length; i++) {
    const v = clamped[i];
    if (v > HALF_MAX) clamped[i] = HALF_MAX;
    else if (v < -HALF_MAX) clamped[i] = -HALF_MAX;
  }
  return float32ToFloat16(clamped);
}

function floatValues(t: TensorProto): Float32Array {
  if (t.rawData?.length) {
    const copy = new Uint8Array(t.rawData.length);
    copy.set(t.rawData);
    return new Float32Array(copy.buffer);
  }
  return Float32Array.from(t.floatData ?? []);
}

function halfTensor(t: TensorProto): TensorProto {
  if (t.dataType !== FLOAT) return t;
  if (t.dataLocation === onnx.TensorProto.DataLocation.EXTERNAL) throw new Error(`fp16: ${t.name} is external data inside a subgraph`);
  const half = toHalf(floatValues(t));
  return { ...t, dataType: FLOAT16, floatData: [], rawData: new Uint8Array(half.buffer) };
}

function halfValue(v: ValueInfoProto): ValueInfoProto {
  const tensor = v.type?.tensorType;
  if (tensor?.elemType !== FLOAT) return v;
  return { ...v, type: { ...v.type, tensorType: { ...tensor, elemType: FLOAT16 } } };
}

function halfNode(n: NodeProto): NodeProto[] {
  const attribute = (n.attribute ?? []).map((a) => {
    if (a.t) return { ...a, t: halfTensor(a.t) };
    if (n.opType === 'Cast' && a.name === 'to' && Number(a.i) === FLOAT) return { ...a, i: FLOAT16 };
    return a;
  });
  return [{ ...n, attribute }];
}

function halfGraph(graph: GraphProto): GraphProto {
  const withNodes = mapNodes(graph, halfNode);
  const types = (g: GraphProto): GraphProto => ({
    ...g,
    input: (g.input ?? []).map(halfValue),
    output: (g.output ?? []).map(halfValue),
    valueInfo: (g.valueInfo ?? []).map(halfValue),
    initializer: (g.initializer ?? []).map(halfTensor),
    node: (g.node ?? []).map((n) => ({
      ...n,
      attribute: (n.attribute ?? []).map((a) => ({
        ...a,
        ...(a.g ? { g: types(a.g) } : {}),
        ...(a.graphs?.length ? { graphs: a.graphs.map(types) } : {}),
      })),
    })),
  });
  return types(withNodes);
}

export function toFloat16(doc: ModelDoc): ModelDoc {
  const weights: LazyTensor[] = doc.weights.map((w) =>
    w.dataType === DATA_TYPE.float32 ? { ...w, dataType: DATA_TYPE.float16, values: () => toHalf(w.values() as Float32Array) } : w,
  );
  return { ...doc, graph: halfGraph(doc.graph), weights };
}
