/**
 * EnCodec through its two ONNX files: codes → audio (`encodec_decode`, whole batch in one call)
 * and audio → codes (`encodec_encoder`, for continuing audio whose codes are not stored).
 */
import * as ort from 'onnxruntime-node';
import type { ModelSpec } from './config';
import type { Codes } from './delay-pattern';
import { EngineError } from './errors';
import { float16ToFloat32, float32ToFloat16 } from './float16';

/** Planar audio: one Float32Array per channel. */
export interface PlanarAudio {
  sampleRate: number;
  channels: Float32Array[];
}

function toFloat32(tensor: ort.Tensor): Float32Array {
  return tensor.type === 'float16' ? float16ToFloat32(tensor.data as Uint16Array) : (tensor.data as Float32Array);
}

export function checkCodes(codes: Codes, spec: ModelSpec, what = 'codes'): number {
  if (!Array.isArray(codes) || codes.length !== spec.codebooks) {
    throw new EngineError(
      'request-invalid',
      `The ${what} must have ${spec.codebooks} codebooks (this model's), got ${Array.isArray(codes) ? codes.length : 'none'}.`,
    );
  }
  const frames = codes[0]?.length ?? 0;
  for (const row of codes) {
    if (!Array.isArray(row) || row.length !== frames) {
      throw new EngineError('request-invalid', `Every codebook of the ${what} must have the same number of frames (${frames}).`);
    }
    for (const c of row) {
      if (!Number.isInteger(c) || c < 0 || c >= spec.codebookSize) {
        throw new EngineError('request-invalid', `The ${what} contain ${c}, outside this model's code range 0..${spec.codebookSize - 1}.`);
      }
    }
  }
  return frames;
}

export async function decodeAudio(session: ort.InferenceSession, spec: ModelSpec, batch: Codes[]): Promise<PlanarAudio[]> {
  const K = spec.codebooks;
  const frames = batch[0][0].length;
  if (frames === 0)
    return batch.map(() => ({ sampleRate: spec.sampleRate, channels: Array.from({ length: spec.channels }, () => new Float32Array(0)) }));
  const data = new BigInt64Array(batch.length * K * frames);
  batch.forEach((codes, b) => codes.forEach((row, k) => row.forEach((c, f) => (data[(b * K + k) * frames + f] = BigInt(c)))));
  const out = await session.run({ audio_codes: new ort.Tensor('int64', data, [1, batch.length, K, frames]) });
  const audio = out.audio_values;
  const [, channels, samples] = audio.dims;
  const values = toFloat32(audio);
  return batch.map((_, b) => ({
    sampleRate: spec.sampleRate,
    channels: Array.from({ length: channels }, (_, c) => values.slice((b * channels + c) * samples, (b * channels + c + 1) * samples)),
  }));
}

/** Encodes audio at the model's rate and channel count; a partial last frame is zero-padded. */
export async function encodeAudio(session: ort.InferenceSession, spec: ModelSpec, audio: PlanarAudio): Promise<Codes> {
  if (audio.sampleRate !== spec.sampleRate) {
    throw new EngineError(
      'audio-invalid',
      `Audio must be resampled to ${spec.sampleRate} Hz before encoding (got ${audio.sampleRate} Hz).`,
    );
  }
  if (audio.channels.length !== spec.channels) {
    throw new EngineError('audio-invalid', `This model encodes ${spec.channels}-channel audio (got ${audio.channels.length}).`);
  }
  const length = audio.channels[0].length;
  const frames = Math.ceil(length / spec.hopLength);
  if (frames === 0) throw new EngineError('audio-invalid', 'The audio to encode is empty.');
  const padded = frames * spec.hopLength;
  const input = new Float32Array(spec.channels * padded);
  audio.channels.forEach((ch, c) => input.set(ch, c * padded));
  const elem = session.inputMetadata.find((m) => m.name === 'input_values');
  const tensor =
    elem && elem.isTensor && elem.type === 'float16'
      ? new ort.Tensor('float16', float32ToFloat16(input), [1, spec.channels, padded])
      : new ort.Tensor('float32', input, [1, spec.channels, padded]);
  const out = await session.run({ input_values: tensor });
  const codes = out.audio_codes;
  const [, , K, F] = codes.dims;
  const data = codes.data as BigInt64Array;
  return Array.from({ length: K }, (_, k) => Array.from(data.subarray(k * F, (k + 1) * F), Number));
}
