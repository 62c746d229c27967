/**
 * Reads an ONNX model's structure without loading its weights. The protobuf is walked straight
 * from the file: nodes, inputs and outputs are decoded, while each large initializer is recorded
 * only as (name, dims, type, byte offset, byte length) so that derived models can point at those
 * bytes as ONNX external data instead of copying gigabytes.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import onnxProto from 'onnx-proto';

const { onnx } = onnxProto;
export type GraphProto = onnxProto.onnx.IGraphProto;
export type TensorProto = onnxProto.onnx.ITensorProto;
export type ModelHeader = Pick<onnxProto.onnx.IModelProto, 'irVersion' | 'opsetImport' | 'functions' | 'producerName'>;

/** An initializer: inline (small, kept as decoded) or a span of raw bytes in the source file. */
export type InitializerRef =
  { name: string; inline: TensorProto } | { name: string; dims: number[]; dataType: number; offset: number; length: number };

export interface ScannedModel {
  header: ModelHeader;
  graph: GraphProto;
  initializers: Map<string, InitializerRef>;
}

const INLINE_LIMIT = 4096;

/** Random-access reads of protobuf wire data from a file, through a small read buffer. */
class FileWire {
  private readonly buffer = Buffer.alloc(1 << 16);
  private start = 0;
  private end = 0;

  constructor(private readonly fd: number) {}

  byte(pos: number): number {
    if (pos < this.start || pos >= this.end) {
      const n = readSync(this.fd, this.buffer, 0, this.buffer.length, pos);
      if (n <= 0) throw new Error(`unexpected end of file at byte ${pos}`);
      this.start = pos;
      this.end = pos + n;
    }
    return this.buffer[pos - this.start];
  }

  /** A varint at `pos`: its value and the position after it. */
  varint(pos: number): [number, number] {
    let value = 0;
    let scale = 1;
    for (let i = 0; i < 10; i++) {
      const b = this.byte(pos++);
      value += (b & 0x7f) * scale;
      if (b < 0x80) return [value, pos];
      scale *= 128;
    }
    throw new Error(`bad varint at byte ${pos}`);
  }

  bytes(pos: number, length: number): Buffer {
    const out = Buffer.alloc(length);
    let done = 0;
    while (done < length) {
      const n = readSync(this.fd, out, done, length - done, pos + done);
      if (n <= 0) throw new Error(`unexpected end of file at byte ${pos + done}`);
      done += n;
    }
    return out;
  }
}

interface Field {
  number: number;
  wire: number;
  /** Start of the whole field (tag) and of its payload; end of the field. */
  tagAt: number;
  at: number;
  end: number;
  value?: number;
}

function* fields(wire: FileWire, from: number, to: number): Generator<Field> {
  let pos = from;
  while (pos < to) {
    const tagAt = pos;
    const [tag, afterTag] = wire.varint(pos);
    const number = Math.floor(tag / 8);
    const type = tag % 8;
    if (type === 0) {
      const [value, next] = wire.varint(afterTag);
      yield { number, wire: type, tagAt, at: afterTag, end: next, value };
      pos = next;
    } else if (type === 2) {
      const [length, at] = wire.varint(afterTag);
      yield { number, wire: type, tagAt, at, end: at + length };
      pos = at + length;
    } else if (type === 5 || type === 1) {
      const size = type === 5 ? 4 : 8;
      yield { number, wire: type, tagAt, at: afterTag, end: afterTag + size };
      pos = afterTag + size;
    } else {
      throw new Error(`unsupported protobuf wire type ${type} at byte ${tagAt}`);
    }
  }
}

function scanInitializer(wire: FileWire, field: Field): InitializerRef {
  let raw: Field | undefined;
  const header: Buffer[] = [];
  for (const f of fields(wire, field.at, field.end)) {
    if (f.number === 9 && f.wire === 2 && f.end - f.at > INLINE_LIMIT) raw = f;
    else header.push(wire.bytes(f.tagAt, f.end - f.tagAt));
  }
  const tensor = onnx.TensorProto.decode(Buffer.concat(header));
  if (!raw) return { name: tensor.name, inline: onnx.TensorProto.decode(wire.bytes(field.at, field.end - field.at)) };
  return { name: tensor.name, dims: tensor.dims.map(Number), dataType: tensor.dataType, offset: raw.at, length: raw.end - raw.at };
}

export function scanModel(path: string): ScannedModel {
  const fd = openSync(path, 'r');
  try {
    const wire = new FileWire(fd);
    const size = fstatSync(fd).size;
    const headerParts: Buffer[] = [];
    let graphField: Field | undefined;
    for (const f of fields(wire, 0, size)) {
      if (f.number === 7 && f.wire === 2) graphField = f;
      else headerParts.push(wire.bytes(f.tagAt, f.end - f.tagAt));
    }
    if (!graphField) throw new Error('the file holds no ONNX graph');
    const model = onnx.ModelProto.decode(Buffer.concat(headerParts));
    const graphParts: Buffer[] = [];
    const initializers = new Map<string, InitializerRef>();
    for (const f of fields(wire, graphField.at, graphField.end)) {
      if (f.number === 5 && f.wire === 2) {
        const ref = scanInitializer(wire, f);
        initializers.set(ref.name, ref);
      } else {
        graphParts.push(wire.bytes(f.tagAt, f.end - f.tagAt));
      }
    }
    return {
      header: { irVersion: model.irVersion, opsetImport: model.opsetImport, functions: model.functions, producerName: model.producerName },
      graph: onnx.GraphProto.decode(Buffer.concat(graphParts)),
      initializers,
    };
  } finally {
    closeSync(fd);
  }
}

/** A graph input or output as the file declares it: a fixed size or a symbolic name per axis. */
export interface DeclaredValue {
  name: string;
  /** ONNX TensorProto.DataType (1 float, 7 int64, 9 bool, 10 float16), when declared. */
  elemType?: number;
  /** Per axis: its size, its symbolic name, or 0/undefined when neither is declared. */
  dims?: (number | string | undefined)[];
}

export interface GraphIO {
  /** Inputs a caller feeds (initializers that older exports also list as inputs left out, as ORT does). */
  inputs: DeclaredValue[];
  outputs: DeclaredValue[];
}

function declared(bytes: Buffer): DeclaredValue {
  const info = onnx.ValueInfoProto.decode(bytes);
  const tensor = info.type?.tensorType;
  return {
    name: info.name,
    elemType: tensor?.elemType ?? undefined,
    dims: tensor?.shape
      ? (tensor.shape.dim ?? []).map((d) => d.dimParam || (d.dimValue != null ? Number(d.dimValue) : undefined))
      : undefined,
  };
}

/**
 * The declared inputs and outputs of an ONNX file, read without decoding its nodes or touching
 * its weights (cheap even for gigabyte decoders), so the engine can check that each file is the
 * graph it expects before it creates any session. Throws when the file is cut short.
 */
export function readGraphIO(path: string): GraphIO {
  const fd = openSync(path, 'r');
  try {
    const wire = new FileWire(fd);
    const size = fstatSync(fd).size;
    let graphField: Field | undefined;
    for (const f of fields(wire, 0, size)) {
      if (f.end > size) throw new Error(`unexpected end of file at byte ${size}`);
      if (f.number === 7 && f.wire === 2) graphField = f;
    }
    if (!graphField) throw new Error('the file holds no ONNX graph');
    const inputs: DeclaredValue[] = [];
    const outputs: DeclaredValue[] = [];
    const initializers = new Set<string>();
    for (const f of fields(wire, graphField.at, graphField.end)) {
      if (f.end > graphField.end) throw new Error(`unexpected end of graph at byte ${graphField.end}`);
      if (f.wire !== 2) continue;
      if (f.number === 11) inputs.push(declared(wire.bytes(f.at, f.end - f.at)));
      else if (f.number === 12) outputs.push(declared(wire.bytes(f.at, f.end - f.at)));
      else if (f.number === 5) {
        for (const t of fields(wire, f.at, f.end)) {
          if (t.number === 8 && t.wire === 2) {
            initializers.add(wire.bytes(t.at, t.end - t.at).toString('utf8'));
            break;
          }
        }
      }
    }
    return { inputs: inputs.filter((i) => !initializers.has(i.name)), outputs };
  } finally {
    closeSync(fd);
  }
}
