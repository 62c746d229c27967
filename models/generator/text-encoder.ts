/**
 * `onnx/text_encoder.onnx`: input_ids, attention_mask → last_hidden_state, like the T5 encoder of
 * the Hub export. Inside: token embedding + sinusoidal positions, pre-LN self-attention layers that
 * honour the padding mask, ReLU feed-forward (as T5), final LayerNorm.
 */
import { Graph } from './onnx-graph';
import { attend, dimOf, layerNorm, linear, mergeHeads, paddingMask, positions, splitHeads } from './layers';
import type { Preset } from './presets';
import { sinusoidalTable, Weights } from './weights';

export function buildTextEncoder(preset: Preset, vocabSize: number, seed: number): Graph {
  const { dModel: d, layers, heads, ffn, maxPositions } = preset.text;
  const headDim = d / heads;
  const g = new Graph('text_encoder');
  const w = new Weights(g, seed);
  const ids = g.input('input_ids', 'int64', ['batch_size', 'encoder_sequence_length']);
  const mask = g.input('attention_mask', 'int64', ['batch_size', 'encoder_sequence_length']);

  const embed = w.random('shared.weight', [vocabSize, d], 1);
  const table = w.fixed('encoder.position_table', [maxPositions, d], () => sinusoidalTable(maxPositions, d));
  let x = g.op('Add', [g.op('Gather', [embed, ids]), positions(g, table, g.scalarInt(0), dimOf(g, ids, 1))]);
  const additiveMask = paddingMask(g, mask);

  for (let i = 0; i < layers; i++) {
    const p = `encoder.block.${i}`;
    const h = layerNorm(g, w, x, `${p}.attn_norm`, d);
    const q = splitHeads(g, linear(g, w, h, `${p}.q`, d, d, false), heads, headDim);
    const k = splitHeads(g, linear(g, w, h, `${p}.k`, d, d, false), heads, headDim);
    const v = splitHeads(g, linear(g, w, h, `${p}.v`, d, d, false), heads, headDim);
    const attn = linear(g, w, mergeHeads(g, attend(g, q, k, v, additiveMask, headDim), d), `${p}.o`, d, d, false);
    x = g.op('Add', [x, attn]);
    const f = layerNorm(g, w, x, `${p}.ffn_norm`, d);
    const hidden = g.op('Relu', [linear(g, w, f, `${p}.wi`, d, ffn, false)]);
    x = g.op('Add', [x, linear(g, w, hidden, `${p}.wo`, ffn, d, false)]);
  }
  const out = layerNorm(g, w, x, 'encoder.final_layer_norm', d);
  g.output('last_hidden_state', 'float32', ['batch_size', 'encoder_sequence_length', d], out);
  return g;
}
