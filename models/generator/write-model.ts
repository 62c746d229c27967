/**
 * Streams an ONNX ModelProto to disk. protobufjs encodes the small parts (header, nodes, tensor
 * headers); the weights' raw bytes are framed by hand and written tensor by tensor, which keeps
 * peak memory at one tensor even for the ~1.7 GB `small` decoder. Protobuf allows a message's
 * fields in any order, so appending the `initializer` fields after the encoded graph is valid.
 *
 * With `externalData`, the weights go to that file beside the model instead (ONNX external data,
 * as optimum writes exports past protobuf's 2 GB limit: `decoder_model_merged.onnx_data`), each at
 * a 4096-byte boundary so onnxruntime can map it rather than copy it.
 */
import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import onnxProto from 'onnx-proto';
import type { LazyTensor } from './onnx-graph';
import type { ModelDoc } from './model-doc';

const { onnx } = onnxProto;

export interface WriteOptions {
  /** File name (beside the model) to store the weights in as ONNX external data. */
  externalData?: string;
}

const TAG_GRAPH = (7 << 3) | 2;
const TAG_INITIALIZER = (5 << 3) | 2;
const TAG_RAW_DATA = (9 << 3) | 2;
/** Tensors smaller than this stay inside the model file (onnx's own default threshold). */
const EXTERNAL_THRESHOLD = 1024;
const ALIGNMENT = 4096;

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

function bytesOf(weight: LazyTensor): Uint8Array {
  const values = weight.values();
  const count = weight.dims.reduce((a, b) => a * b, 1);
  if (values.length !== count) throw new Error(`weight ${weight.name} has ${values.length} values for dims [${weight.dims}]`);
  return new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
}

/** Writes through a temp file, renamed into place once complete. */
function writeFile(path: string, body: (write: (bytes: Uint8Array) => void) => void): void {
  const tmp = `${path}.partial`;
  const fd = openSync(tmp, 'w');
  try {
    body((bytes) => {
      let offset = 0;
      while (offset < bytes.length) offset += writeSync(fd, bytes, offset);
    });
    fsyncSync(fd);
  } catch (error) {
    closeSync(fd);
    rmSync(tmp, { force: true });
    throw error;
  }
  closeSync(fd);
  renameSync(tmp, path);
}

function header(doc: ModelDoc): Uint8Array {
  return onnx.ModelProto.encode({
    irVersion: 8,
    producerName: doc.producer ?? 'continuo-test-model-generator',
    opsetImport: [{ domain: '', version: doc.opset }],
  }).finish();
}

export function writeModel(path: string, doc: ModelDoc, options: WriteOptions = {}): void {
  if (options.externalData) return writeWithExternalData(path, doc, options.externalData);
  const body = onnx.GraphProto.encode(doc.graph).finish();
  const framed = doc.weights.map((weight) => {
    const head = onnx.TensorProto.encode({ name: weight.name, dims: weight.dims, dataType: weight.dataType }).finish();
    const rawLength = weight.dims.reduce((a, b) => a * b, 1) * bytesPerElement(weight.dataType);
    return { weight, head, rawLength, tensorLength: head.length + field(TAG_RAW_DATA, rawLength).length + rawLength };
  });
  const graphLength = body.length + framed.reduce((sum, t) => sum + field(TAG_INITIALIZER, t.tensorLength).length + t.tensorLength, 0);
  writeFile(path, (write) => {
    write(header(doc));
    write(field(TAG_GRAPH, graphLength));
    write(body);
    for (const t of framed) {
      write(field(TAG_INITIALIZER, t.tensorLength));
      write(t.head);
      write(field(TAG_RAW_DATA, t.rawLength));
      const raw = bytesOf(t.weight);
      if (raw.length !== t.rawLength) throw new Error(`weight ${t.weight.name} has ${raw.length} bytes, expected ${t.rawLength}`);
      write(raw);
    }
  });
}

function writeWithExternalData(path: string, doc: ModelDoc, location: string): void {
  const initializer: onnxProto.onnx.ITensorProto[] = [];
  writeFile(join(dirname(path), location), (write) => {
    let offset = 0;
    for (const weight of doc.weights) {
      const raw = bytesOf(weight);
      if (raw.length < EXTERNAL_THRESHOLD) {
        initializer.push({ name: weight.name, dims: weight.dims, dataType: weight.dataType, rawData: raw.slice() });
        continue;
      }
      const padding = (ALIGNMENT - (offset % ALIGNMENT)) % ALIGNMENT;
      if (padding) write(new Uint8Array(padding));
      offset += padding;
      write(raw);
      initializer.push({
        name: weight.name,
        dims: weight.dims,
        dataType: weight.dataType,
        dataLocation: onnx.TensorProto.DataLocation.EXTERNAL,
        externalData: [
          { key: 'location', value: location },
          { key: 'offset', value: String(offset) },
          { key: 'length', value: String(raw.length) },
        ],
      });
      offset += raw.length;
    }
  });
  const graph = onnx.GraphProto.encode({ ...doc.graph, initializer: [...(doc.graph.initializer ?? []), ...initializer] }).finish();
  writeFile(path, (write) => {
    write(header(doc));
    write(field(TAG_GRAPH, graph.length));
    write(graph);
  });
}

function bytesPerElement(dataType: number): number {
  const T = onnx.TensorProto.DataType;
  if (dataType === T.FLOAT || dataType === T.INT32) return 4;
  if (dataType === T.FLOAT16) return 2;
  if (dataType === T.INT64 || dataType === T.DOUBLE) return 8;
  if (dataType === T.UINT8 || dataType === T.INT8 || dataType === T.BOOL) return 1;
  throw new Error(`weights of ONNX data type ${dataType} are not supported`);
}
