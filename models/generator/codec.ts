/**
 * `onnx/encodec_decode.onnx` (audio_codes [1, B, K, F] → audio_values [B, C, F·640]) and
 * `onnx/encodec_encoder.onnx` (input_values [B, C, N] → audio_codes [1, B, K, F]).
 *
 * A genuine residual vector quantiser stands in for EnCodec's convolutions: decoding sums one
 * vector per quantiser and projects each frame to 640 samples through a matrix with orthonormal
 * rows; encoding projects back and quantises greedily, residual by residual. Each quantiser's
 * codebook is 5× finer than the one before, so encode(decode(codes)) gives the codes back — the
 * property that lets tests check continuation from audio against continuation from stored codes.
 *
 * Stereo models interleave channels over codebooks as MusicGen does: codebook k = q·C + c.
 */
import { Graph, int64Tensor } from './onnx-graph';
import { dimOf, shapeOf } from './layers';
import type { Preset } from './presets';
import { uniformStream, Weights } from './weights';

const AMPLITUDE = 0.8;
const QUANTISER_RATIO = 0.2;

function quantisers(preset: Preset): number {
  return preset.decoder.codebooks / preset.codec.channels;
}

function codebooks(w: Weights, preset: Preset, seed: number): string {
  const { codebookSize: n, codebookDim: dc } = preset.codec;
  const q = quantisers(preset);
  return w.fixed('quantizer.codebooks', [q * n, dc], () => {
    const values = uniformStream(seed, 'quantizer.codebooks', q * n * dc);
    for (let i = 0; i < values.length; i++) values[i] *= Math.sqrt(3) * QUANTISER_RATIO ** Math.floor(i / (n * dc));
    return values;
  });
}

/** Rows of a [dc, hop] matrix made orthonormal by Gram–Schmidt. */
function orthonormalRows(seed: number, dc: number, hop: number): Float64Array[] {
  const raw = uniformStream(seed, 'codec.projection', dc * hop);
  const rows: Float64Array[] = [];
  for (let r = 0; r < dc; r++) {
    const row = Float64Array.from(raw.subarray(r * hop, (r + 1) * hop));
    for (const prev of rows) {
      let dot = 0;
      for (let i = 0; i < hop; i++) dot += row[i] * prev[i];
      for (let i = 0; i < hop; i++) row[i] -= dot * prev[i];
    }
    const norm = Math.hypot(...row);
    for (let i = 0; i < hop; i++) row[i] /= norm;
    rows.push(row);
  }
  return rows;
}

function projection(seed: number, dc: number, hop: number, transpose: boolean): () => Float32Array {
  return () => {
    const rows = orthonormalRows(seed, dc, hop);
    const out = new Float32Array(dc * hop);
    for (let r = 0; r < dc; r++) {
      for (let i = 0; i < hop; i++) {
        if (transpose) out[i * dc + r] = rows[r][i] / AMPLITUDE;
        else out[r * hop + i] = rows[r][i] * AMPLITUDE;
      }
    }
    return out;
  };
}

export function buildCodecDecoder(preset: Preset, seed: number): Graph {
  const { channels: C, codebookSize: n, codebookDim: dc, hopLength: hop } = preset.codec;
  const Q = quantisers(preset);
  const g = new Graph('encodec_decode');
  const w = new Weights(g, seed);
  g.input('audio_codes', 'int64', [1, 'batch_size', preset.decoder.codebooks, 'chunk_length']);
  const codes = g.op('Squeeze', ['audio_codes', g.ints([0])]);
  const frames = dimOf(g, codes, 2);
  const grouped = g.op('Transpose', [g.op('Reshape', [codes, shapeOf(g, [0, Q, C, frames])])], { perm: [0, 2, 1, 3] });
  const offsets = g.constant(
    int64Tensor(
      Array.from({ length: Q }, (_, q) => q * n),
      [1, 1, Q, 1],
    ),
  );
  const vectors = g.op('Gather', [codebooks(w, preset, seed), g.op('Add', [grouped, offsets])]);
  const summed = g.op('ReduceSum', [vectors, g.ints([2])], { keepdims: 0 });
  const samples = g.op('MatMul', [summed, w.fixed('codec.decode_projection', [dc, hop], projection(seed, dc, hop, false))]);
  const audio = g.op('Reshape', [samples, g.ints([0, C, -1])]);
  const clipped = g.op('Clip', [audio, g.scalarFloat(-1), g.scalarFloat(1)]);
  g.output('audio_values', 'float32', ['batch_size', C, 'sequence_length'], clipped);
  return g;
}

export function buildCodecEncoder(preset: Preset, seed: number): Graph {
  const { channels: C, codebookSize: n, codebookDim: dc, hopLength: hop } = preset.codec;
  const Q = quantisers(preset);
  const g = new Graph('encodec_encode');
  const w = new Weights(g, seed);
  g.input('input_values', 'float32', ['batch_size', C, 'sequence_length']);
  const framed = g.op('Reshape', ['input_values', g.ints([0, C, -1, hop])]);
  let residual = g.op('MatMul', [framed, w.fixed('codec.encode_projection', [hop, dc], projection(seed, dc, hop, true))]);
  const table = codebooks(w, preset, seed);
  const indices: string[] = [];
  for (let q = 0; q < Q; q++) {
    const book = g.op('Slice', [table, g.ints([q * n]), g.ints([(q + 1) * n]), g.ints([0])]);
    const norms = g.op('ReduceSum', [g.op('Mul', [book, book]), g.ints([1])], { keepdims: 0 });
    const dots = g.op('MatMul', [residual, g.op('Transpose', [book], { perm: [1, 0] })]);
    const distance = g.op('Sub', [norms, g.op('Mul', [dots, g.scalarFloat(2)])]);
    const index = g.op('ArgMin', [distance], { axis: -1, keepdims: 0 });
    residual = g.op('Sub', [residual, g.op('Gather', [book, index])]);
    indices.push(g.op('Unsqueeze', [index, g.ints([2])]));
  }
  const stacked = g.op('Transpose', [g.op('Concat', indices, { axis: 2 })], { perm: [0, 2, 1, 3] });
  const codes = g.op('Unsqueeze', [g.op('Reshape', [stacked, g.ints([0, Q * C, -1])]), g.ints([0])]);
  g.output('audio_codes', 'int64', [1, 'batch_size', preset.decoder.codebooks, 'chunk_length'], codes);
  return g;
}
