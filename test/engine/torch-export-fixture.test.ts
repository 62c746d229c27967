/**
 * test/fixtures/torch-tiny holds a MusicGen decoder made the way the Hub files were made:
 * `torch.onnx.export` of transformers' decoder (re-implemented in models/torch-export), merged
 * with optimum's `merge_decoders`. Its dimensions are the `tiny` preset's, so it replaces the
 * generated decoder beside the generated text encoder, codec, config and tokenizer.
 *
 * These tests prove the fixture itself is right (names, numerics against torch, and a full
 * generation with transformers.js); they do not involve the engine.
 */
import { copyFileSync, cpSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { tempDir, testModel } from '../helpers/models';
import { referenceGenerate } from '../helpers/reference';

const FIXTURE = join(__dirname, '../fixtures/torch-tiny');
const FILES = ['decoder_model.onnx', 'decoder_with_past_model.onnx', 'decoder_model_merged.onnx'];
const LAYERS = 2;
const HEADS = 4;
const HEAD_DIM = 16;
const CODEBOOKS = 4;
const VOCAB = 2048;

const cache = (prefix: string, parts: string[]) => Array.from({ length: LAYERS }, (_, i) => parts.map((p) => `${prefix}.${i}.${p}`)).flat();
const SELF = ['decoder.key', 'decoder.value'];
const ALL = ['decoder.key', 'decoder.value', 'encoder.key', 'encoder.value'];

/** The tiny preset with its decoder replaced by the fixture's three files. */
function assembled(): string {
  const dir = join(tempDir('continuo-torch-fixture-'), 'model');
  cpSync(testModel('tiny'), dir, { recursive: true });
  for (const file of FILES) copyFileSync(join(FIXTURE, 'onnx', file), join(dir, 'onnx', file));
  return dir;
}

const open = (file: string) => ort.InferenceSession.create(join(FIXTURE, 'onnx', file));

describe('torch-exported decoder fixture', () => {
  it('has the I/O names of the Hub export', async () => {
    const expected: Record<string, { inputs: string[]; outputs: string[] }> = {
      'decoder_model.onnx': {
        inputs: ['encoder_attention_mask', 'input_ids', 'encoder_hidden_states'],
        outputs: ['logits', ...cache('present', ALL)],
      },
      // torch drops `encoder_hidden_states` here: with a past, nothing reads it.
      'decoder_with_past_model.onnx': {
        inputs: ['encoder_attention_mask', 'input_ids', ...cache('past_key_values', ALL)],
        outputs: ['logits', ...cache('present', SELF)],
      },
      'decoder_model_merged.onnx': {
        inputs: ['encoder_attention_mask', 'input_ids', 'encoder_hidden_states', ...cache('past_key_values', ALL), 'use_cache_branch'],
        outputs: ['logits', ...cache('present', ALL)],
      },
    };
    for (const file of FILES) {
      const session = await open(file);
      expect({ inputs: session.inputNames, outputs: session.outputNames }, file).toEqual(expected[file]);
      await session.release();
    }
  });

  it('computes what the torch model computed (torch-probe.json), in all three files', async () => {
    const probe = JSON.parse(readFileSync(join(FIXTURE, 'torch-probe.json'), 'utf8'));
    // The probe stores arrays as base64 of little-endian int64 / float32.
    const bytes = (b64: string) => {
      const buf = Buffer.from(b64, 'base64');
      return buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength);
    };
    const int64s = (b64: string) => Array.from(new BigInt64Array(bytes(b64)), Number);
    const float32s = (b64: string) => new Float32Array(bytes(b64));
    const ids = (from: number, to: number) => {
      const [rows, length] = probe.input_ids.dims as number[];
      const all = new BigInt64Array(bytes(probe.input_ids.int64));
      const data = new BigInt64Array(rows * (to - from));
      for (let r = 0; r < rows; r++) data.set(all.subarray(r * length + from, r * length + to), r * (to - from));
      return new ort.Tensor('int64', data, [rows, to - from]);
    };
    const text = {
      encoder_attention_mask: new ort.Tensor(
        'int64',
        new BigInt64Array(bytes(probe.encoder_attention_mask.int64)),
        probe.encoder_attention_mask.dims,
      ),
      encoder_hidden_states: new ort.Tensor('float32', float32s(probe.encoder_hidden_states.float32), probe.encoder_hidden_states.dims),
    };
    const check = (logits: ort.Tensor, expected: { dims: number[]; head: string; argmax: string; sum: string }) => {
      expect(logits.dims).toEqual(expected.dims);
      const [head, argmax, sums] = [float32s(expected.head), int64s(expected.argmax), float32s(expected.sum)];
      const data = logits.data as Float32Array;
      const V = expected.dims[2];
      expect(argmax).toHaveLength(expected.dims[0] * expected.dims[1]);
      for (let row = 0; row < argmax.length; row++) {
        const values = data.subarray(row * V, (row + 1) * V);
        let best = 0;
        let sum = 0;
        values.forEach((x, v) => {
          sum += x;
          if (x > values[best]) best = v;
        });
        expect(best).toBe(argmax[row]);
        expect(Math.abs(sum - sums[row])).toBeLessThan(1e-2);
        for (let v = 0; v < 8; v++) expect(Math.abs(values[v] - head[row * 8 + v])).toBeLessThan(1e-4);
      }
    };
    const [from, to] = probe.no_past.positions as number[];
    const [next, end] = probe.with_past.positions as number[];

    const first = await open('decoder_model.onnx');
    const noPast = await first.run({ ...text, input_ids: ids(from, to) });
    check(noPast.logits, probe.no_past.logits);
    const past = Object.fromEntries(cache('present', ALL).map((name) => [name.replace('present', 'past_key_values'), noPast[name]]));

    const cached = await open('decoder_with_past_model.onnx');
    const step = await cached.run({ encoder_attention_mask: text.encoder_attention_mask, input_ids: ids(next, end), ...past });
    check(step.logits, probe.with_past.logits);

    const merged = await open('decoder_model_merged.onnx');
    const batch = probe.encoder_attention_mask.dims[0];
    const empty = Object.fromEntries(
      Object.keys(past).map((name) => [name, new ort.Tensor('float32', new Float32Array(0), [batch, HEADS, 0, HEAD_DIM])]),
    );
    const elseBranch = await merged.run({
      ...text,
      input_ids: ids(from, to),
      ...empty,
      use_cache_branch: new ort.Tensor('bool', [false], [1]),
    });
    check(elseBranch.logits, probe.no_past.logits);
    const thenBranch = await merged.run({
      ...text,
      input_ids: ids(next, end),
      ...past,
      use_cache_branch: new ort.Tensor('bool', [true], [1]),
    });
    check(thenBranch.logits, probe.with_past.logits);
    // optimum's merge: the cached branch returns empty placeholders for the encoder presents.
    expect(thenBranch['present.0.encoder.key'].dims).toEqual([0, HEADS, 1, HEAD_DIM]);
    expect(thenBranch['present.0.decoder.key'].dims).toEqual([batch, HEADS, end, HEAD_DIM]);
    for (const s of [first, cached, merged]) await s.release();
  });

  it('generates with transformers.js beside the tiny preset, deterministically', async () => {
    const dir = assembled();
    const prompts = ['warm lo-fi piano', 'a longer second prompt, so the text mask pads'];
    const steps = 12;
    const a = await referenceGenerate(dir, prompts, steps, 3);
    const b = await referenceGenerate(dir, prompts, steps, 3);
    expect(a.codes).toHaveLength(prompts.length);
    for (const take of a.codes) {
      expect(take).toHaveLength(CODEBOOKS);
      for (const row of take) {
        expect(row).toHaveLength(steps + 1 - CODEBOOKS);
        for (const code of row) expect(code >= 0 && code < VOCAB).toBe(true);
      }
    }
    expect(b.codes).toEqual(a.codes);
    expect(a.audio[0][0].length).toBeGreaterThan(0);
    // The fixture's decoder is what ran: the generated tiny decoder picks other codes.
    const generated = await referenceGenerate(testModel('tiny'), prompts, steps, 3);
    expect(generated.codes).not.toEqual(a.codes);
  });
});
