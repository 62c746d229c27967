/**
 * EnCodec through its two ONNX files: codes → audio (`encodec_decode`, the whole batch at once, in 30 s pieces)
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

/**
 * Codes longer than this are decoded in pieces. EnCodec's decoder holds every layer's activations for
 * the whole input at once (64 channels at the full sample rate in its last stages: ~1.5 GB per tensor
 * for 3 minutes), so a song of minutes in one call can exhaust memory. A piece is 30 s plus a second of
 * context on each side (the decoder is non-causal, and its LSTM needs to settle), and neighbouring
 * pieces are crossfaded over one frame around the cut, where both decoded with context.
 */
export const DECODE_PIECE = { frames: 1500, contextFrames: 50, fadeFrames: 1 };

export async function decodeAudio(
  session: ort.InferenceSession,
  spec: ModelSpec,
  batch: Codes[],
  piece: typeof DECODE_PIECE = DECODE_PIECE,
): Promise<PlanarAudio[]> {
  const frames = batch[0]?.[0]?.length ?? 0;
  if (frames <= piece.frames + 2 * piece.contextFrames) return decodeWhole(session, spec, batch);
  const samples = frames * spec.hopLength;
  const fade = piece.fadeFrames * spec.hopLength;
  const out = batch.map(() => Array.from({ length: spec.channels }, () => new Float32Array(samples)));
  for (let start = 0; start < frames; start += piece.frames) {
    const from = Math.max(0, start - piece.contextFrames);
    const to = Math.min(frames, start + piece.frames + piece.contextFrames);
    const decoded = await decodeWhole(
      session,
      spec,
      batch.map((codes) => codes.map((row) => row.slice(from, to))),
    );
    // This piece owns [start, end); across the cut at `start` it fades in over the previous piece.
    const offset = from * spec.hopLength;
    const begin = start === 0 ? 0 : start * spec.hopLength - fade / 2;
    const end = Math.min(samples, (start + piece.frames) * spec.hopLength + (start + piece.frames < frames ? fade / 2 : 0));
    decoded.forEach((audio, b) =>
      audio.channels.forEach((channel, c) => {
        const target = out[b][c];
        for (let i = begin; i < end; i++) {
          const t = start === 0 ? 1 : Math.min(1, (i - begin) / fade);
          target[i] = t >= 1 ? channel[i - offset] : target[i] * (1 - t) + channel[i - offset] * t;
        }
      }),
    );
  }
  return out.map((channels) => ({ sampleRate: spec.sampleRate, channels }));
}

async function decodeWhole(session: ort.InferenceSession, spec: ModelSpec, batch: Codes[]): Promise<PlanarAudio[]> {
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
