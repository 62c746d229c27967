/**
 * `onnx/decoder_model_merged.onnx` in the layout optimum exports for MusicGen: one `If` on
 * `use_cache_branch` whose branches share the top-level weights.
 *
 * - else branch (first step): no past; computes cross-attention K/V from the encoder states and
 *   returns them as `present.{i}.encoder.*`.
 * - then branch (later steps): concatenates the past self-attention K/V, reads cross-attention
 *   K/V from `past_key_values.{i}.encoder.*`, and returns empty constants of shape
 *   [0, heads, 1, head_dim] for the encoder presents — exactly what optimum's merge adds, so a
 *   caller must keep the encoder K/V of the first step (as transformers.js does).
 *
 * The network is a genuine pre-LN MusicGen decoder: summed per-codebook embeddings, sinusoidal
 * positions offset by the past length, causal self-attention, cross-attention whose mask is
 * honoured (and whose states are zeroed where the mask is 0, as MusicgenForConditionalGeneration
 * does), GELU feed-forward, and one LM head per codebook.
 */
import { Graph, int64Tensor, type Dim } from './onnx-graph';
import {
  MASK_MIN,
  attend,
  dimOf,
  emptyFloat,
  gelu,
  layerNorm,
  linear,
  mergeHeads,
  paddingMask,
  positions,
  shapeOf,
  splitHeads,
} from './layers';
import type { Preset } from './presets';
import { sinusoidalTable, Weights } from './weights';

const PAST_DECODER: Dim = 'past_decoder_sequence_length';
const PAST_ENCODER: Dim = 'encoder_sequence_length_out';

export function cacheNames(layers: number): { past: string[]; present: string[] } {
  const past: string[] = [];
  const present: string[] = [];
  for (let i = 0; i < layers; i++) {
    for (const part of ['decoder.key', 'decoder.value', 'encoder.key', 'encoder.value']) {
      past.push(`past_key_values.${i}.${part}`);
      present.push(`present.${i}.${part}`);
    }
  }
  return { past, present };
}

function branch(top: Graph, w: Weights, preset: Preset, withPast: boolean): Graph {
  const { hidden: d, layers, heads, ffn, codebooks: K, maxPositions } = preset.decoder;
  const V = preset.codec.codebookSize;
  const textDim = preset.text.dModel;
  const headDim = d / heads;
  const g = new Graph(withPast ? 'with_past' : 'no_past');

  const S = dimOf(g, 'input_ids', 1);
  const ids = g.op('Reshape', ['input_ids', shapeOf(g, [-1, K, S])]);
  const offsets = g.constant(
    int64Tensor(
      Array.from({ length: K }, (_, k) => k * (V + 1)),
      [1, K, 1],
    ),
  );
  const table = w.random('decoder.embed_tokens', [K * (V + 1), d], 1);
  const embedded = g.op('Gather', [table, g.op('Add', [ids, offsets])]);
  let x = g.op('ReduceSum', [embedded, g.ints([1])], { keepdims: 0 });

  const past = withPast ? dimOf(g, 'past_key_values.0.decoder.key', 2) : g.scalarInt(0);
  const posTable = w.fixed('decoder.embed_positions', [maxPositions, d], () => sinusoidalTable(maxPositions, d));
  x = g.op('Add', [x, positions(g, posTable, past, S)]);

  const total = g.op('Add', [past, S]);
  const keyPos = g.op('Range', [g.scalarInt(0), total, g.scalarInt(1)]);
  const queryPos = g.op('Unsqueeze', [g.op('Range', [past, total, g.scalarInt(1)]), g.ints([1])]);
  const causal = g.op('Where', [g.op('Greater', [keyPos, queryPos]), g.scalarFloat(MASK_MIN), g.scalarFloat(0)]);
  const crossMask = paddingMask(g, 'encoder_attention_mask');

  let encoder = '';
  if (!withPast) {
    const projected = linear(g, w, 'encoder_hidden_states', 'enc_to_dec_proj', textDim, d);
    const keep = g.op('Unsqueeze', [g.op('Cast', ['encoder_attention_mask'], { to: 1 }), g.ints([2])]);
    encoder = g.op('Mul', [projected, keep]);
  }

  const presents: string[] = [];
  for (let i = 0; i < layers; i++) {
    const p = `decoder.layers.${i}`;
    const h = layerNorm(g, w, x, `${p}.self_attn_layer_norm`, d);
    const q = splitHeads(g, linear(g, w, h, `${p}.self_attn.q_proj`, d, d, false), heads, headDim);
    let k = splitHeads(g, linear(g, w, h, `${p}.self_attn.k_proj`, d, d, false), heads, headDim);
    let v = splitHeads(g, linear(g, w, h, `${p}.self_attn.v_proj`, d, d, false), heads, headDim);
    if (withPast) {
      k = g.op('Concat', [`past_key_values.${i}.decoder.key`, k], { axis: 2 });
      v = g.op('Concat', [`past_key_values.${i}.decoder.value`, v], { axis: 2 });
    }
    const selfOut = linear(g, w, mergeHeads(g, attend(g, q, k, v, causal, headDim), d), `${p}.self_attn.out_proj`, d, d, false);
    x = g.op('Add', [x, selfOut]);

    const c = layerNorm(g, w, x, `${p}.encoder_attn_layer_norm`, d);
    const cq = splitHeads(g, linear(g, w, c, `${p}.encoder_attn.q_proj`, d, d, false), heads, headDim);
    let ck: string;
    let cv: string;
    let encoderPresents: [string, string];
    if (withPast) {
      ck = `past_key_values.${i}.encoder.key`;
      cv = `past_key_values.${i}.encoder.value`;
      encoderPresents = [emptyFloat(g, [0, heads, 1, headDim]), emptyFloat(g, [0, heads, 1, headDim])];
    } else {
      ck = splitHeads(g, linear(g, w, encoder, `${p}.encoder_attn.k_proj`, d, d, false), heads, headDim);
      cv = splitHeads(g, linear(g, w, encoder, `${p}.encoder_attn.v_proj`, d, d, false), heads, headDim);
      encoderPresents = [ck, cv];
    }
    const crossOut = linear(g, w, mergeHeads(g, attend(g, cq, ck, cv, crossMask, headDim), d), `${p}.encoder_attn.out_proj`, d, d, false);
    x = g.op('Add', [x, crossOut]);

    const f = layerNorm(g, w, x, `${p}.final_layer_norm`, d);
    const hidden = gelu(g, linear(g, w, f, `${p}.fc1`, d, ffn, false));
    x = g.op('Add', [x, linear(g, w, hidden, `${p}.fc2`, ffn, d, false)]);
    presents.push(k, v, ...encoderPresents);
  }

  x = layerNorm(g, w, x, 'decoder.layer_norm', d);
  // One LM head per codebook, stored side by side: [B, S, K·V] → [B·K, S, V] (row b·K + k).
  const logits = g.op('MatMul', [x, w.random('lm_heads.weight', [d, K * V], 2 / Math.sqrt(d))]);
  const perCodebook = g.op('Transpose', [g.op('Reshape', [logits, g.ints([0, 0, K, V])])], { perm: [0, 2, 1, 3] });
  const flat = g.op('Reshape', [perCodebook, shapeOf(g, [-1, S, V])]);

  const prefix = g.name;
  g.output(`${prefix}/logits`, 'float32', ['batch_size * num_codebooks', 'decoder_sequence_length', V], flat);
  const { present } = cacheNames(layers);
  present.forEach((name, j) => {
    const isEncoder = name.includes('.encoder.');
    const seq = isEncoder ? PAST_ENCODER : `${PAST_DECODER} + 1`;
    g.output(`${prefix}/${name}`, 'float32', ['batch_size', heads, seq, headDim], presents[j]);
  });
  return g;
}

export function buildDecoder(preset: Preset, seed: number): Graph {
  const { layers, heads, hidden } = preset.decoder;
  const headDim = hidden / heads;
  const top = new Graph('merged');
  const w = new Weights(top, seed);
  top.input('encoder_attention_mask', 'int64', ['batch_size', 'encoder_sequence_length']);
  top.input('input_ids', 'int64', ['batch_size * num_codebooks', 'decoder_sequence_length']);
  top.input('encoder_hidden_states', 'float32', ['batch_size', 'encoder_sequence_length', preset.text.dModel]);
  const { past, present } = cacheNames(layers);
  for (const name of past) {
    const seq = name.includes('.encoder.') ? PAST_ENCODER : PAST_DECODER;
    top.input(name, 'float32', ['batch_size', heads, seq, headDim]);
  }
  top.input('use_cache_branch', 'bool', [1]);

  const withPast = branch(top, w, preset, true);
  const noPast = branch(top, w, preset, false);
  const outputs = ['logits', ...present];
  top.opTo('If', ['use_cache_branch'], outputs, { then_branch: withPast, else_branch: noPast });
  top.outputs.push(...noPast.outputs.map((o) => ({ ...o, name: o.name!.slice('no_past/'.length) })));
  return top;
}
