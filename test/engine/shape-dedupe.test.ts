/**
 * The repeated shape arithmetic of an exported decoder is computed once (onnx-split/shape-dedupe),
 * and the graph computes exactly what it computed before — at batch sizes and lengths other than
 * the ones the loader's probe uses — while shapes that may differ at run time are never merged.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import onnxProto from 'onnx-proto';
import { describe, expect, it } from 'vitest';
import { dedupeShapes } from '../../src/main/engine/onnx-split/shape-dedupe';

const { onnx } = onnxProto;
const FIXTURE = join(__dirname, '../fixtures/torch-tiny/onnx/decoder_with_past_model.onnx');
const [LAYERS, HEADS, HEAD_DIM, CODEBOOKS] = [2, 4, 16, 4];

const session = (model: onnxProto.onnx.IModelProto) => ort.InferenceSession.create(onnx.ModelProto.encode(model).finish());
const values = (n: number, seed: number) => Float32Array.from({ length: n }, (_, i) => Math.sin(i * 0.61 + seed));
const count = (graph: onnxProto.onnx.IGraphProto, op: string) => (graph.node ?? []).filter((n) => n.opType === op).length;

describe('shape dedupe', () => {
  it('merges the per-layer shape chains of the torch-exported decoder and computes the same at other shapes', async () => {
    const model = onnx.ModelProto.decode(readFileSync(FIXTURE));
    const graph = dedupeShapes(model.graph!);
    expect(graph.node!.length).toBeLessThan(0.6 * model.graph!.node!.length);
    expect(count(graph, 'Shape')).toBeLessThanOrEqual(count(model.graph!, 'Shape') / 2);
    const [before, after] = await Promise.all([session(model), session({ ...model, graph })]);
    for (const [batch, past, encoder] of [
      [1, 0, 3],
      [3, 7, 5],
      [2, 1, 1],
    ]) {
      const feeds: Record<string, ort.Tensor> = {
        input_ids: new ort.Tensor(
          'int64',
          BigInt64Array.from({ length: batch * CODEBOOKS }, (_, i) => BigInt((i * 131) % 2048)),
          [batch * CODEBOOKS, 1],
        ),
        encoder_attention_mask: new ort.Tensor(
          'int64',
          BigInt64Array.from({ length: batch * encoder }, (_, i) => (i % encoder < encoder - (i % 2) ? 1n : 0n)),
          [batch, encoder],
        ),
      };
      for (let i = 0; i < LAYERS; i++) {
        for (const [part, length] of [
          ['decoder.key', past],
          ['decoder.value', past],
          ['encoder.key', encoder],
          ['encoder.value', encoder],
        ] as const) {
          feeds[`past_key_values.${i}.${part}`] = new ort.Tensor('float32', values(batch * HEADS * length * HEAD_DIM, i + length), [
            batch,
            HEADS,
            length,
            HEAD_DIM,
          ]);
        }
      }
      const [a, b] = [await before.run(feeds), await after.run(feeds)];
      for (const name of before.outputNames) {
        expect(b[name].dims, name).toEqual(a[name].dims);
        expect(Array.from(b[name].data as Float32Array), name).toEqual(Array.from(a[name].data as Float32Array));
      }
    }
    await Promise.all([before.release(), after.release()]);
  });

  it('keeps apart the shapes of tensors whose sizes are not proven equal', async () => {
    const T = onnx.TensorProto.DataType;
    const input = (name: string, dim: string) => ({
      name,
      type: { tensorType: { elemType: T.FLOAT, shape: { dim: [{ dimParam: dim }, { dimValue: 4 }] } } },
    });
    const output = (name: string) => ({ name, type: { tensorType: { elemType: T.INT64 } } });
    const zero = { name: 'zero', dataType: T.INT64, dims: [], int64Data: [0] };
    // Both inputs declare the same symbolic batch size: declarations are not trusted.
    const graph = {
      name: 'g',
      input: [input('x', 'batch'), input('y', 'batch')],
      output: [output('bx'), output('by'), output('bz')],
      initializer: [zero],
      node: [
        { opType: 'Shape', input: ['x'], output: ['sx'] },
        { opType: 'Gather', input: ['sx', 'zero'], output: ['bx'] },
        { opType: 'Shape', input: ['y'], output: ['sy'] },
        { opType: 'Gather', input: ['sy', 'zero'], output: ['by'] },
        // Relu keeps x's shape: its Shape is x's and may be merged with it.
        { opType: 'Relu', input: ['x'], output: ['r'] },
        { opType: 'Shape', input: ['r'], output: ['sr'] },
        { opType: 'Gather', input: ['sr', 'zero'], output: ['bz'] },
      ],
    };
    const deduped = dedupeShapes(graph);
    expect(count(deduped, 'Shape')).toBe(2);
    const s = await session({ irVersion: 8, opsetImport: [{ domain: '', version: 17 }], graph: deduped });
    const out = await s.run({
      x: new ort.Tensor('float32', new Float32Array(8), [2, 4]),
      y: new ort.Tensor('float32', new Float32Array(12), [3, 4]),
    });
    expect([out.bx.data[0], out.by.data[0], out.bz.data[0]]).toEqual([2n, 3n, 2n]);
    await s.release();
  });
});
