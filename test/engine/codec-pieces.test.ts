/**
 * Long codes are decoded in 30 s pieces with context on both sides (EnCodec's activations for
 * minutes of audio would not fit in memory): pieced together, they are the whole decode. The test
 * codec decodes each frame on its own, so any gap, overlap or misplaced piece shows as a difference.
 */
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { DECODE_PIECE, decodeAudio } from '../../src/main/engine/codec';
import { readModelSpec } from '../../src/main/engine/config';
import { testModel } from '../helpers/models';

function randomCodes(codebooks: number, frames: number, seed: number): number[][] {
  let state = seed;
  const next = () => (state = (state * 1103515245 + 12345) >>> 0) % 2048;
  return Array.from({ length: codebooks }, () => Array.from({ length: frames }, next));
}

describe('decoding long codes in pieces', () => {
  it.each(['tiny', 'tiny-stereo'] as const)('%s: the pieces joined are the whole decode, sample for sample', async (preset) => {
    const dir = testModel(preset);
    const spec = readModelSpec(dir);
    const session = await ort.InferenceSession.create(join(dir, 'onnx', 'encodec_decode.onnx'));
    try {
      const batch = [randomCodes(spec.codebooks, 737, 1), randomCodes(spec.codebooks, 737, 2)];
      const whole = await decodeAudio(session, spec, batch, { ...DECODE_PIECE, frames: 100_000 });
      const pieced = await decodeAudio(session, spec, batch, { frames: 200, contextFrames: 10, fadeFrames: 1 });
      expect(pieced.map((a) => a.channels.map((c) => c.length))).toEqual(whole.map((a) => a.channels.map((c) => c.length)));
      expect(whole[0].channels[0]).toHaveLength(737 * spec.hopLength);
      let worst = 0;
      pieced.forEach((audio, b) =>
        audio.channels.forEach((channel, c) => {
          for (let i = 0; i < channel.length; i++) worst = Math.max(worst, Math.abs(channel[i] - whole[b].channels[c][i]));
        }),
      );
      expect(worst).toBeLessThan(1e-6);
      // Short codes take the one-call path (what every take under 32 s does).
      expect(DECODE_PIECE.frames + 2 * DECODE_PIECE.contextFrames).toBeGreaterThanOrEqual(1600);
    } finally {
      await session.release();
    }
  });
});
