/**
 * Streams an ONNX ModelProto to disk. protobufjs encodes the small parts (header, nodes, tensor
 * headers); the weights' raw bytes are framed by hand and written tensor by tensor, which keeps
 * peak memory at one tensor even for the ~1.7 GB `small` decoder. Protobuf allows a message's
 * fields in any order, so appending the `initializer` fields after the encoded graph is valid.
 */
import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import onnxProto from 'onnx-proto';
import { ELEM, type Graph, type LazyTensor } from './onnx-graph';
import { float32ToFloat16 } from '../../src/main/engine/float16';

const { onnx } = onnxProto;

export interface WriteOptions {
  opset?: number;
  /** Store weights as float16 (the graph must Cast them back to float32 where it computes). */
  weightType?: 'float32' | 'float16';
}

const TAG_GRAPH = (7 << 3) | 2;
const TAG_INITIALIZER = (5 << 3) | 2;
const TAG_RAW_DATA = (9 << 3) | 2;

function varint(value: number): Uint8Array {
  const bytes: number[] = [];
  let v = value;
  while (v >= 0x80) {
    bytes.push((v % 0x80) | 0x80);
    v = Math.floor(v / 0x80);
  }
  bytes.push(v);
  return Uint8Array.from(bytes);
}

function field(tag: number, length: number): Uint8Array {
  const len = varint(length);
  const out = new Uint8Array(1 + len.length);
  out[0] = tag;
  out.set(len, 1);
  return out;
}

interface FramedTensor {
  header: Uint8Array;
  rawLength: number;
  tensorLength: number;
  weight: LazyTensor;
}

function frame(weight: LazyTensor, elemBytes: number, dataType: number): FramedTensor {
  const header = onnx.TensorProto.encode({ name: weight.name, dims: weight.dims, dataType }).finish();
  const rawLength = weight.dims.reduce((a, b) => a * b, 1) * elemBytes;
  const tensorLength = header.length + field(TAG_RAW_DATA, rawLength).length + rawLength;
  return { header, rawLength, tensorLength, weight };
}

export function writeModel(path: string, graph: Graph, options: WriteOptions = {}): void {
  const half = options.weightType === 'float16';
  const dataType = half ? onnx.TensorProto.DataType.FLOAT16 : ELEM.float32;
  const head = onnx.ModelProto.encode({
    irVersion: 8,
    producerName: 'continuo-test-model-generator',
    opsetImport: [{ domain: '', version: options.opset ?? 17 }],
  }).finish();
  const body = onnx.GraphProto.encode(graph.toProto()).finish();
  const tensors = graph.weights.map((w) => frame(w, half ? 2 : 4, dataType));
  const graphLength =
    body.length + tensors.reduce((sum, t) => sum + field(TAG_INITIALIZER, t.tensorLength).length + t.tensorLength, 0);

  const tmp = `${path}.partial`;
  const fd = openSync(tmp, 'w');
  try {
    const write = (bytes: Uint8Array) => {
      let offset = 0;
      while (offset < bytes.length) offset += writeSync(fd, bytes, offset);
    };
    write(head);
    write(field(TAG_GRAPH, graphLength));
    write(body);
    for (const t of tensors) {
      write(field(TAG_INITIALIZER, t.tensorLength));
      write(t.header);
      write(field(TAG_RAW_DATA, t.rawLength));
      const values = t.weight.values();
      const raw = half ? float32ToFloat16(values) : values;
      write(new Uint8Array(raw.buffer, raw.byteOffset, raw.byteLength));
    }
    fsyncSync(fd);
  } catch (error) {
    closeSync(fd);
    rmSync(tmp, { force: true });
    throw error;
  }
  closeSync(fd);
  renameSync(tmp, path);
}
