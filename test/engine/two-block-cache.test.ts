/**
 * The two-block rewrite refuses graphs it does not understand, saying why, so that the loader
 * keeps the export's own cached branch for them; and what it rewrites computes the same numbers,
 * also for attention written the way HF's eager BART-style attention exports (views sized by the
 * key length read off the key's shape). End to end: decoder-split.test.ts.
 */
import * as ort from 'onnxruntime-node';
import onnxProto from 'onnx-proto';
import { describe, expect, it } from 'vitest';
import { twoBlockCacheGraph } from '../../src/main/engine/onnx-split/two-block-cache';

const { onnx } = onnxProto;
const float4d = (name: string) => ({
  name,
  type: {
    tensorType: {
      elemType: onnx.TensorProto.DataType.FLOAT,
      shape: { dim: [{ dimParam: 'b' }, { dimValue: 2 }, { dimParam: 't' }, { dimValue: 4 }] },
    },
  },
});
const axis = (i: number) => ({ name: 'axis', type: onnx.AttributeProto.AttributeType.INT, i });

const transpose = (from: string, to: string) => ({
  opType: 'Transpose',
  input: [from],
  output: [to],
  attribute: [{ name: 'perm', type: onnx.AttributeProto.AttributeType.INTS, ints: [0, 1, 3, 2] }],
});
/** Attention as plain ops: scores = q·kᵀ, out = softmax(scores)·v. */
const keyPath = [transpose('present.0.decoder.key', 'kt'), { opType: 'MatMul', input: ['q', 'kt'], output: ['scores'] }];
const valuePath = [
  { opType: 'Softmax', input: ['scores'], output: ['p'], attribute: [axis(-1)] },
  { opType: 'MatMul', input: ['p', 'present.0.decoder.value'], output: ['out'] },
];

/** One layer: Concat(past, new) → present for key and value, then the given attention nodes. */
function graph(then: onnxProto.onnx.INodeProto[]) {
  const concat = (part: string) => ({
    opType: 'Concat',
    input: [`past_key_values.0.decoder.${part}`, `fresh_${part}`],
    output: [`present.0.decoder.${part}`],
    attribute: [axis(2)],
  });
  return {
    name: 'g',
    input: [
      float4d('past_key_values.0.decoder.key'),
      float4d('past_key_values.0.decoder.value'),
      float4d('fresh_key'),
      float4d('fresh_value'),
      float4d('q'),
    ],
    output: [float4d('present.0.decoder.key'), float4d('present.0.decoder.value'), float4d('out')],
    node: [concat('key'), concat('value'), ...then],
  };
}

describe('two-block cache rewrite', () => {
  it('rewrites a cache that reaches its MatMul through layout ops', () => {
    const out = twoBlockCacheGraph(graph([...keyPath, ...valuePath]), 1);
    expect(out.input!.map((i) => i.name)).toEqual(
      expect.arrayContaining(['recent_key_values.0.decoder.key', 'recent_key_values.0.decoder.value']),
    );
    // Each of the two MatMuls becomes one per block.
    expect(out.node!.filter((n) => n.opType === 'MatMul')).toHaveLength(4);
    // The present is now the recent block grown by the new positions.
    const present = out.node!.find((n) => n.output?.includes('present.0.decoder.key'))!;
    expect(present).toMatchObject({ opType: 'Concat', input: ['recent_key_values.0.decoder.key', 'fresh_key'] });
  });

  it('refuses a cache that passes through an op mixing positions', () => {
    const g = graph([
      ...keyPath,
      { opType: 'Softmax', input: ['present.0.decoder.value'], output: ['s'], attribute: [axis(-1)] },
      { opType: 'MatMul', input: ['scores', 's'], output: ['out'] },
    ]);
    expect(() => twoBlockCacheGraph(g, 1)).toThrow('present.0.decoder.value passes through Softmax');
  });

  it('refuses a cache read as the first operand of its MatMul', () => {
    const g = graph([{ opType: 'MatMul', input: ['present.0.decoder.key', 'q'], output: ['scores'] }, ...valuePath]);
    expect(() => twoBlockCacheGraph(g, 1)).toThrow(/reaches a MatMul other than as its second operand/);
  });

  it('refuses a past that is read by anything but its Concat and Shape nodes', () => {
    const g = graph([...keyPath, ...valuePath, { opType: 'ReduceSum', input: ['past_key_values.0.decoder.key'], output: ['r'] }]);
    expect(() => twoBlockCacheGraph(g, 1)).toThrow(/read by something other than one Concat and Shape nodes/);
  });
});

describe('two-block cache rewrite of eager-style attention', () => {
  const B = 1;
  const H = 2;
  const D = 4;
  const ints = (name: string, values: number[]) => ({
    name,
    dataType: onnx.TensorProto.DataType.INT64,
    dims: [values.length],
    int64Data: values,
  });
  const int = (name: string, i: number) => ({ name, type: onnx.AttributeProto.AttributeType.INT, i });
  /** bmm on [B·H, T, D] views; the scores are viewed as [B, H, S, src_len] with src_len = Shape(k)[1]. */
  const eager = {
    name: 'eager',
    input: [
      float4d('past_key_values.0.decoder.key'),
      float4d('past_key_values.0.decoder.value'),
      float4d('fresh_key'),
      float4d('fresh_value'),
      { name: 'q3', type: { tensorType: { elemType: onnx.TensorProto.DataType.FLOAT } } },
    ],
    output: [
      float4d('present.0.decoder.key'),
      float4d('present.0.decoder.value'),
      { name: 'out', type: { tensorType: { elemType: onnx.TensorProto.DataType.FLOAT } } },
      { name: 'past_length', type: { tensorType: { elemType: onnx.TensorProto.DataType.INT64 } } },
    ],
    initializer: [ints('proj', [B * H, -1, D]), ints('view4', [B, H, -1]), ints('view3', [B * H, -1])],
    node: [
      { opType: 'Concat', input: ['past_key_values.0.decoder.key', 'fresh_key'], output: ['k_cat'], attribute: [axis(2)] },
      { opType: 'Identity', input: ['k_cat'], output: ['present.0.decoder.key'] },
      {
        opType: 'Concat',
        input: ['past_key_values.0.decoder.value', 'fresh_value'],
        output: ['present.0.decoder.value'],
        attribute: [axis(-2)],
      },
      { opType: 'Shape', input: ['past_key_values.0.decoder.key'], output: ['past_length'], attribute: [int('start', 2), int('end', 3)] },
      { opType: 'Reshape', input: ['k_cat', 'proj'], output: ['k3'] },
      { opType: 'Shape', input: ['k3'], output: ['src_len'], attribute: [int('start', 1), int('end', 2)] },
      {
        opType: 'Transpose',
        input: ['k3'],
        output: ['k3t'],
        attribute: [{ name: 'perm', type: onnx.AttributeProto.AttributeType.INTS, ints: [0, 2, 1] }],
      },
      { opType: 'MatMul', input: ['q3', 'k3t'], output: ['scores3'] },
      { opType: 'Concat', input: ['view4', 'src_len'], output: ['shape4'], attribute: [axis(0)] },
      { opType: 'Reshape', input: ['scores3', 'shape4'], output: ['scores4'] },
      { opType: 'Softmax', input: ['scores4'], output: ['p4'], attribute: [axis(-1)] },
      { opType: 'Concat', input: ['view3', 'src_len'], output: ['shape3'], attribute: [axis(0)] },
      { opType: 'Reshape', input: ['p4', 'shape3'], output: ['p3'] },
      { opType: 'Reshape', input: ['present.0.decoder.value', 'proj'], output: ['v3'] },
      { opType: 'MatMul', input: ['p3', 'v3'], output: ['out'] },
    ],
  };

  const session = (graph: onnxProto.onnx.IGraphProto) =>
    ort.InferenceSession.create(onnx.ModelProto.encode({ irVersion: 8, opsetImport: [{ domain: '', version: 17 }], graph }).finish());
  const values = (n: number, seed: number) => Float32Array.from({ length: n }, (_, i) => Math.sin(i * 0.7 + seed) * 2);
  const cache = (data: Float32Array, t: number) => new ort.Tensor('float32', data, [B, H, t, D]);
  /** Positions [from, to) of a [B, H, T, D] cache. */
  const positions = (data: Float32Array, t: number, from: number, to: number) => {
    const out: number[] = [];
    for (let row = 0; row < B * H; row++) out.push(...data.subarray((row * t + from) * D, (row * t + to) * D));
    return Float32Array.from(out);
  };

  it('gives the same attention output, past length and grown block as the original graph', async () => {
    const [past, old, fresh, S] = [5, 3, 2, 2];
    const [pk, pv, fk, fv] = [
      values(B * H * past * D, 1),
      values(B * H * past * D, 2),
      values(B * H * fresh * D, 3),
      values(B * H * fresh * D, 4),
    ];
    const q3 = new ort.Tensor('float32', values(B * H * S * D, 5), [B * H, S, D]);
    const original = await (
      await session(eager)
    ).run({
      'past_key_values.0.decoder.key': cache(pk, past),
      'past_key_values.0.decoder.value': cache(pv, past),
      fresh_key: cache(fk, fresh),
      fresh_value: cache(fv, fresh),
      q3,
    });
    const rewritten = await (
      await session(twoBlockCacheGraph(eager, 1))
    ).run({
      'past_key_values.0.decoder.key': cache(positions(pk, past, 0, old), old),
      'past_key_values.0.decoder.value': cache(positions(pv, past, 0, old), old),
      'recent_key_values.0.decoder.key': cache(positions(pk, past, old, past), past - old),
      'recent_key_values.0.decoder.value': cache(positions(pv, past, old, past), past - old),
      fresh_key: cache(fk, fresh),
      fresh_value: cache(fv, fresh),
      q3,
    });
    expect(Array.from(rewritten.past_length.data as BigInt64Array)).toEqual([BigInt(past)]);
    expect(rewritten.out.dims).toEqual(original.out.dims);
    const a = original.out.data as Float32Array;
    const b = rewritten.out.data as Float32Array;
    for (let i = 0; i < a.length; i++) expect(b[i]).toBeCloseTo(a[i], 5);
    const total = past + fresh;
    expect(rewritten['present.0.decoder.key'].dims).toEqual([B, H, total - old, D]);
    expect(Array.from(rewritten['present.0.decoder.value'].data as Float32Array)).toEqual(
      Array.from(positions(original['present.0.decoder.value'].data as Float32Array, total, old, total)),
    );
  });
});
