import { createRequire } from 'node:module';
import { assertAudioData, createSilence, frameCount, type AudioData } from './types';

// A CommonJS package whose exports Node's ESM loader cannot detect, hence require.
const { create, ConverterType } = createRequire(import.meta.url)(
  '@alexanderolsen/libsamplerate-js',
) as typeof import('@alexanderolsen/libsamplerate-js');

/** libsamplerate's sinc converters: best ~144 dB SNR / 97 % bandwidth, medium ~121 dB / 90 %. */
export type ResampleQuality = 'best' | 'medium' | 'fastest';

const CONVERTERS = {
  best: ConverterType.SRC_SINC_BEST_QUALITY,
  medium: ConverterType.SRC_SINC_MEDIUM_QUALITY,
  fastest: ConverterType.SRC_SINC_FASTEST,
};
/** libsamplerate-js passes samples through fixed WASM buffers of this many floats each way. */
const WASM_BUFFER_FLOATS = 1_008_000;
const MAX_RATE = 192_000;
const MAX_RATIO = 256;
const FLUSH_FRAMES = 4096;

/**
 * Converts to `targetRate` with libsamplerate (band-limited sinc interpolation), e.g. the model's
 * 32 kHz output to 44.1/48 kHz for export, or imported audio down to 32 kHz for the model.
 *
 * The output has exactly round(frames * targetRate / sampleRate) frames, time-aligned with the
 * input, so durations and clip offsets stay exact. libsamplerate-js never signals end of input
 * and holds back the filter's tail; feeding silence after the signal flushes it out, just as
 * libsamplerate's own end-of-input handling does. 'best' runs at roughly 30x real time.
 */
export async function resample(audio: AudioData, targetRate: number, quality: ResampleQuality = 'best'): Promise<AudioData> {
  assertAudioData(audio);
  const sourceRate = audio.sampleRate;
  for (const rate of [sourceRate, targetRate]) {
    if (!Number.isInteger(rate) || rate < 1 || rate > MAX_RATE) {
      throw new RangeError(`Cannot resample at ${rate} Hz: rates must be whole numbers from 1 to ${MAX_RATE} Hz.`);
    }
  }
  const ratio = targetRate / sourceRate;
  if (ratio > MAX_RATIO || ratio < 1 / MAX_RATIO) {
    throw new RangeError(`Cannot resample from ${sourceRate} Hz to ${targetRate} Hz: the ratio exceeds ${MAX_RATIO}.`);
  }
  if (targetRate === sourceRate) return { sampleRate: sourceRate, channels: audio.channels.map((c) => c.slice()) };

  const channelCount = audio.channels.length;
  const frames = frameCount(audio);
  const output = createSilence(targetRate, channelCount, Math.round((frames * targetRate) / sourceRate));
  if (frames === 0) return output;

  const converter = await create(channelCount, sourceRate, targetRate, { converterType: CONVERTERS[quality] });
  try {
    // Half the buffer, so a chunk's output (input * ratio, plus the filter's spill) always fits.
    const chunkFrames = Math.floor(WASM_BUFFER_FLOATS / channelCount / Math.max(1, ratio) / 2);
    const input = new Float32Array(Math.min(frames, chunkFrames) * channelCount);
    let written = 0;
    for (let start = 0; start < frames; start += chunkFrames) {
      const count = Math.min(chunkFrames, frames - start);
      interleave(audio.channels, start, count, input);
      written = appendInterleaved(output.channels, written, converter.full(input.subarray(0, count * channelCount)));
    }
    const silence = new Float32Array(Math.min(FLUSH_FRAMES, chunkFrames) * channelCount);
    while (written < output.channels[0].length) {
      written = appendInterleaved(output.channels, written, converter.full(silence));
    }
  } finally {
    converter.destroy();
  }
  return output;
}

function interleave(channels: Float32Array[], start: number, count: number, into: Float32Array): void {
  const stride = channels.length;
  channels.forEach((channel, c) => {
    for (let i = 0; i < count; i++) into[i * stride + c] = channel[start + i];
  });
}

/** Copies converter output into the planar result, dropping whatever lies past its end. */
function appendInterleaved(channels: Float32Array[], written: number, interleaved: Float32Array): number {
  const stride = channels.length;
  const count = Math.min(interleaved.length / stride, channels[0].length - written);
  channels.forEach((channel, c) => {
    for (let i = 0; i < count; i++) channel[written + i] = interleaved[i * stride + c];
  });
  return written + count;
}
