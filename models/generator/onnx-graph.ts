/**
 * A small ONNX graph builder. It exists so the project can write MusicGen-shaped test models
 * without Python: nodes and small constants are plain protobuf objects, while large weights stay
 * lazy (`LazyTensor`) so that `writeModel` can stream them to disk one at a time — the `small`
 * preset holds ~1.7 GB of weights, more than one protobufjs buffer should hold.
 */
import onnxProto from 'onnx-proto';

const { onnx } = onnxProto;
export type NodeProto = onnxProto.onnx.INodeProto;
export type GraphProto = onnxProto.onnx.IGraphProto;
export type ValueInfoProto = onnxProto.onnx.IValueInfoProto;
export type AttributeProto = onnxProto.onnx.IAttributeProto;
export type TensorProto = onnxProto.onnx.ITensorProto;

export type Dim = number | string;
export type ElemType = 'float32' | 'int64' | 'bool';

export const ELEM: Record<ElemType, number> = {
  float32: onnx.TensorProto.DataType.FLOAT,
  int64: onnx.TensorProto.DataType.INT64,
  bool: onnx.TensorProto.DataType.BOOL,
};

/** Element types a weight can be stored as (ONNX TensorProto.DataType). */
export const DATA_TYPE = {
  float32: onnx.TensorProto.DataType.FLOAT,
  uint8: onnx.TensorProto.DataType.UINT8,
  int8: onnx.TensorProto.DataType.INT8,
  int32: onnx.TensorProto.DataType.INT32,
  int64: onnx.TensorProto.DataType.INT64,
  float16: onnx.TensorProto.DataType.FLOAT16,
} as const;

export type WeightValues = Float32Array | Uint16Array | Uint8Array | Int8Array | Int32Array | BigInt64Array;

/** A weight whose values are produced only when the model file is written. */
export interface LazyTensor {
  name: string;
  dims: number[];
  /** ONNX TensorProto.DataType of `values` (float16 values are their bits, as a Uint16Array). */
  dataType: number;
  values: () => WeightValues;
}

export type AttrValue = number | number[] | string | TensorProto | Graph | { float: number };

export function valueInfo(name: string, type: ElemType, dims: Dim[]): ValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType: ELEM[type],
        shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
      },
    },
  };
}

export function int64Tensor(values: number[], dims: number[] = [values.length]): TensorProto {
  const raw = new BigInt64Array(values.map((v) => BigInt(v)));
  return { dims, dataType: ELEM.int64, rawData: new Uint8Array(raw.buffer) };
}

export function floatTensor(values: Float32Array | number[], dims: number[] = [values.length]): TensorProto {
  const raw = values instanceof Float32Array ? values : new Float32Array(values);
  return { dims, dataType: ELEM.float32, rawData: new Uint8Array(raw.buffer, raw.byteOffset, raw.byteLength) };
}

function attribute(name: string, value: AttrValue): AttributeProto {
  const T = onnx.AttributeProto.AttributeType;
  if (value instanceof Graph) return { name, type: T.GRAPH, g: value.toProto() };
  if (typeof value === 'string') return { name, type: T.STRING, s: new TextEncoder().encode(value) };
  if (Array.isArray(value)) return { name, type: T.INTS, ints: value };
  if (typeof value === 'number') return { name, type: T.INT, i: value };
  if ('float' in value) return { name, type: T.FLOAT, f: value.float };
  return { name, type: T.TENSOR, t: value };
}

/**
 * One ONNX graph (the main graph or an `If` branch). Value names are made unique with a
 * graph-wide prefix so that branch values never shadow outer-scope names.
 */
export class Graph {
  readonly nodes: NodeProto[] = [];
  readonly inputs: ValueInfoProto[] = [];
  readonly outputs: ValueInfoProto[] = [];
  readonly weights: LazyTensor[] = [];
  private counter = 0;

  constructor(
    readonly name: string,
    private readonly prefix = name,
  ) {}

  input(name: string, type: ElemType, dims: Dim[]): string {
    this.inputs.push(valueInfo(name, type, dims));
    return name;
  }

  /** Declares `value` as a graph output called `name` (adding an Identity when they differ). */
  output(name: string, type: ElemType, dims: Dim[], value: string): void {
    if (value !== name) this.nodes.push({ opType: 'Identity', input: [value], output: [name], name: `${name}_out` });
    this.outputs.push(valueInfo(name, type, dims));
  }

  weight(name: string, dims: number[], values: () => Float32Array): string {
    this.weights.push({ name, dims, dataType: DATA_TYPE.float32, values });
    return name;
  }

  constant(tensor: TensorProto): string {
    return this.op('Constant', [], { value: tensor });
  }

  ints(values: number[]): string {
    return this.constant(int64Tensor(values));
  }

  scalarInt(value: number): string {
    return this.constant(int64Tensor([value], []));
  }

  scalarFloat(value: number): string {
    return this.constant(floatTensor([value], []));
  }

  op(opType: string, inputs: string[], attrs: Record<string, AttrValue> = {}): string {
    return this.opN(opType, inputs, 1, attrs)[0];
  }

  opN(opType: string, inputs: string[], outputs: number, attrs: Record<string, AttrValue> = {}): string[] {
    const id = this.counter;
    const names = Array.from({ length: outputs }, (_, i) => `${this.prefix}/${opType}_${id}${i ? `_${i}` : ''}`);
    return this.opTo(opType, inputs, names, attrs);
  }

  /** A node whose outputs carry the given names (for graph-level outputs such as `logits`). */
  opTo(opType: string, inputs: string[], outputs: string[], attrs: Record<string, AttrValue> = {}): string[] {
    const id = this.counter++;
    this.nodes.push({
      opType,
      name: `${this.prefix}/${opType}_${id}`,
      input: inputs,
      output: outputs,
      attribute: Object.entries(attrs).map(([k, v]) => attribute(k, v)),
    });
    return outputs;
  }

  /** The graph without its lazy weights; `writeModel` appends those as initializers. */
  toProto(): GraphProto {
    return { name: this.name, node: this.nodes, input: this.inputs, output: this.outputs };
  }
}
