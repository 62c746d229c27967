"""
A faithful, dependency-free re-implementation of transformers' MusicGen decoder stack as
`torch.onnx.export` sees it when optimum exports `decoder_model.onnx` /
`decoder_with_past_model.onnx` for Xenova/musicgen-small:

- `MusicgenForConditionalGeneration.forward` with `encoder_outputs` given (optimum exports the
  whole model for the decoder part so that `enc_to_dec_proj` is included): optional projection of
  the text states, states zeroed where the text mask is 0, then the decoder.
- `MusicgenForCausalLM` (`decoder.model.decoder` + `decoder.lm_heads`), `MusicgenDecoder`,
  `MusicgenDecoderLayer` (pre-LN) and the BART-style eager `MusicgenAttention`
  (`_shape` = view(bsz, seq, heads, head_dim).transpose(1, 2), bmm over
  (bsz*heads, -1, head_dim) views, query scaling, cached cross K/V when the past is given).
- The attention-mask helpers of transformers 4.36-4.39 (`_prepare_4d_causal_attention_mask`,
  `_prepare_4d_attention_mask`), including their trace-time branches: a causal mask is only
  built when the traced query length is > 1 (so an export traced for one new position has no
  causal mask in its cached branch, exactly like the Hub file).

Parameter names follow transformers' state dict (`decoder.model.decoder.layers.0.self_attn.q_proj.weight`,
`decoder.lm_heads.0.weight`, `enc_to_dec_proj.weight`, ...), so the initializers torch keeps by
name carry the same names as in the Hub export.

Only torch is needed (Debian's python3-torch 1.13 is enough); no transformers package.
"""
import math
from dataclasses import dataclass
from typing import List, Optional, Tuple

import torch
from torch import nn


@dataclass
class DecoderDims:
    vocab_size: int
    num_codebooks: int
    hidden_size: int
    num_hidden_layers: int
    num_attention_heads: int
    ffn_dim: int
    max_position_embeddings: int
    text_hidden_size: int
    scale_embedding: bool = False
    layer_norm_eps: float = 1e-5

    @staticmethod
    def from_config(config: dict) -> "DecoderDims":
        """Reads a MusicgenConfig-style config.json (`decoder` and `text_encoder` sections)."""
        dec = config["decoder"]
        text = config["text_encoder"]
        text_hidden = text.get("d_model", text.get("hidden_size"))
        if text_hidden is None:
            raise ValueError("config.json: text_encoder has neither d_model nor hidden_size")
        act = dec.get("activation_function", "gelu")
        if act != "gelu":
            raise ValueError(f"config.json: decoder.activation_function {act!r} is not supported (only gelu)")
        if dec.get("cross_attention_hidden_size") not in (None, dec["hidden_size"]):
            raise ValueError("config.json: decoder.cross_attention_hidden_size is not supported")
        return DecoderDims(
            vocab_size=dec["vocab_size"],
            num_codebooks=dec["num_codebooks"],
            hidden_size=dec["hidden_size"],
            num_hidden_layers=dec["num_hidden_layers"],
            num_attention_heads=dec["num_attention_heads"],
            ffn_dim=dec["ffn_dim"],
            max_position_embeddings=dec["max_position_embeddings"],
            text_hidden_size=text_hidden,
            scale_embedding=bool(dec.get("scale_embedding", False)),
        )


# --- transformers.modeling_attn_mask_utils (4.36-4.39), the parts MusicGen uses -----------------


def _make_causal_mask(input_ids_shape, dtype, device, past_key_values_length=0):
    bsz, tgt_len = input_ids_shape
    mask = torch.full((tgt_len, tgt_len), torch.finfo(dtype).min, device=device)
    mask_cond = torch.arange(mask.size(-1), device=device)
    mask.masked_fill_(mask_cond < (mask_cond + 1).view(mask.size(-1), 1), 0)
    mask = mask.to(dtype)
    if past_key_values_length > 0:
        mask = torch.cat([torch.zeros(tgt_len, past_key_values_length, dtype=dtype, device=device), mask], dim=-1)
    return mask[None, None, :, :].expand(bsz, 1, tgt_len, tgt_len + past_key_values_length)


def _prepare_4d_causal_attention_mask(attention_mask, input_shape, inputs_embeds, past_key_values_length):
    # optimum's MusicGen decoder export passes no decoder attention mask, so only the
    # `to_causal_4d` path exists here: None unless the (traced) query length is > 1.
    assert attention_mask is None
    key_value_length = input_shape[-1] + past_key_values_length
    if input_shape[-1] > 1:
        return _make_causal_mask(
            (input_shape[0], input_shape[-1]),
            inputs_embeds.dtype,
            device=inputs_embeds.device,
            past_key_values_length=key_value_length - input_shape[-1],
        )
    return None


def _prepare_4d_attention_mask(mask, dtype, tgt_len=None):
    bsz, src_len = mask.size()
    tgt_len = tgt_len if tgt_len is not None else src_len
    expanded_mask = mask[:, None, None, :].expand(bsz, 1, tgt_len, src_len).to(dtype)
    inverted_mask = 1.0 - expanded_mask
    return inverted_mask.masked_fill(inverted_mask.to(torch.bool), torch.finfo(dtype).min)


# --- modeling_musicgen ------------------------------------------------------------------------


class MusicgenSinusoidalPositionalEmbedding(nn.Module):
    def __init__(self, num_positions: int, embedding_dim: int):
        super().__init__()
        self.embedding_dim = embedding_dim
        self.make_weights(num_positions, embedding_dim)

    def make_weights(self, num_embeddings: int, embedding_dim: int):
        emb_weights = self.get_embedding(num_embeddings, embedding_dim)
        if hasattr(self, "weights"):
            emb_weights = emb_weights.to(dtype=self.weights.dtype, device=self.weights.device)
        self.weights = nn.Parameter(emb_weights)
        self.weights.requires_grad = False
        self.weights.detach_()

    @staticmethod
    def get_embedding(num_embeddings: int, embedding_dim: int):
        half_dim = embedding_dim // 2
        emb = math.log(10000) / (half_dim - 1)
        emb = torch.exp(torch.arange(half_dim, dtype=torch.float) * -emb)
        emb = torch.arange(num_embeddings, dtype=torch.float).unsqueeze(1) * emb.unsqueeze(0)
        emb = torch.cat([torch.cos(emb), torch.sin(emb)], dim=1).view(num_embeddings, -1)
        if embedding_dim % 2 == 1:
            emb = torch.cat([emb, torch.zeros(num_embeddings, 1)], dim=1)
        return emb.to(torch.get_default_dtype())

    @torch.no_grad()
    def forward(self, input_ids: torch.Tensor, past_key_values_length: int = 0):
        bsz, codebooks, seq_len = input_ids.size()
        position_ids = (torch.arange(seq_len) + past_key_values_length).to(input_ids.device)
        if seq_len > self.weights.size(0):
            self.make_weights(seq_len + self.offset, self.embedding_dim)
        return self.weights.index_select(0, position_ids.view(-1)).detach()


class MusicgenAttention(nn.Module):
    """BART-style eager attention, as in modeling_musicgen before SDPA."""

    def __init__(self, embed_dim: int, num_heads: int, is_decoder: bool = True, bias: bool = False):
        super().__init__()
        self.embed_dim = embed_dim
        self.num_heads = num_heads
        self.head_dim = embed_dim // num_heads
        if self.head_dim * num_heads != self.embed_dim:
            raise ValueError("embed_dim must be divisible by num_heads")
        self.scaling = self.head_dim**-0.5
        self.is_decoder = is_decoder
        self.k_proj = nn.Linear(embed_dim, embed_dim, bias=bias)
        self.v_proj = nn.Linear(embed_dim, embed_dim, bias=bias)
        self.q_proj = nn.Linear(embed_dim, embed_dim, bias=bias)
        self.out_proj = nn.Linear(embed_dim, embed_dim, bias=bias)

    def _shape(self, tensor: torch.Tensor, seq_len: int, bsz: int):
        return tensor.view(bsz, seq_len, self.num_heads, self.head_dim).transpose(1, 2).contiguous()

    def forward(
        self,
        hidden_states: torch.Tensor,
        key_value_states: Optional[torch.Tensor] = None,
        past_key_value: Optional[Tuple[torch.Tensor]] = None,
        attention_mask: Optional[torch.Tensor] = None,
    ):
        is_cross_attention = key_value_states is not None
        bsz, tgt_len, _ = hidden_states.size()

        query_states = self.q_proj(hidden_states) * self.scaling
        if (
            is_cross_attention
            and past_key_value is not None
            and past_key_value[0].shape[2] == key_value_states.shape[1]
        ):
            key_states = past_key_value[0]
            value_states = past_key_value[1]
        elif is_cross_attention:
            key_states = self._shape(self.k_proj(key_value_states), -1, bsz)
            value_states = self._shape(self.v_proj(key_value_states), -1, bsz)
        elif past_key_value is not None:
            key_states = self._shape(self.k_proj(hidden_states), -1, bsz)
            value_states = self._shape(self.v_proj(hidden_states), -1, bsz)
            key_states = torch.cat([past_key_value[0], key_states], dim=2)
            value_states = torch.cat([past_key_value[1], value_states], dim=2)
        else:
            key_states = self._shape(self.k_proj(hidden_states), -1, bsz)
            value_states = self._shape(self.v_proj(hidden_states), -1, bsz)

        if self.is_decoder:
            past_key_value = (key_states, value_states)

        proj_shape = (bsz * self.num_heads, -1, self.head_dim)
        query_states = self._shape(query_states, tgt_len, bsz).view(*proj_shape)
        key_states = key_states.reshape(*proj_shape)
        value_states = value_states.reshape(*proj_shape)

        src_len = key_states.size(1)
        attn_weights = torch.bmm(query_states, key_states.transpose(1, 2))

        if attention_mask is not None:
            attn_weights = attn_weights.view(bsz, self.num_heads, tgt_len, src_len) + attention_mask
            attn_weights = attn_weights.view(bsz * self.num_heads, tgt_len, src_len)

        attn_weights = nn.functional.softmax(attn_weights, dim=-1)
        attn_output = torch.bmm(attn_weights, value_states)
        attn_output = attn_output.view(bsz, self.num_heads, tgt_len, self.head_dim)
        attn_output = attn_output.transpose(1, 2)
        attn_output = attn_output.reshape(bsz, tgt_len, self.embed_dim)
        attn_output = self.out_proj(attn_output)
        return attn_output, None, past_key_value


class MusicgenDecoderLayer(nn.Module):
    def __init__(self, d: DecoderDims):
        super().__init__()
        self.embed_dim = d.hidden_size
        self.self_attn = MusicgenAttention(self.embed_dim, d.num_attention_heads, is_decoder=True, bias=False)
        self.activation_fn = nn.functional.gelu
        self.self_attn_layer_norm = nn.LayerNorm(self.embed_dim)
        self.encoder_attn = MusicgenAttention(self.embed_dim, d.num_attention_heads, is_decoder=True, bias=False)
        self.encoder_attn_layer_norm = nn.LayerNorm(self.embed_dim)
        self.fc1 = nn.Linear(self.embed_dim, d.ffn_dim, bias=False)
        self.fc2 = nn.Linear(d.ffn_dim, self.embed_dim, bias=False)
        self.final_layer_norm = nn.LayerNorm(self.embed_dim)

    def forward(self, hidden_states, attention_mask, encoder_hidden_states, encoder_attention_mask, past_key_value):
        residual = hidden_states
        hidden_states = self.self_attn_layer_norm(hidden_states)
        self_attn_past_key_value = past_key_value[:2] if past_key_value is not None else None
        hidden_states, _, present_key_value = self.self_attn(
            hidden_states=hidden_states,
            past_key_value=self_attn_past_key_value,
            attention_mask=attention_mask,
        )
        hidden_states = residual + hidden_states

        if encoder_hidden_states is not None:
            residual = hidden_states
            hidden_states = self.encoder_attn_layer_norm(hidden_states)
            cross_attn_past_key_value = past_key_value[-2:] if past_key_value is not None else None
            hidden_states, _, cross_attn_present_key_value = self.encoder_attn(
                hidden_states=hidden_states,
                key_value_states=encoder_hidden_states,
                attention_mask=encoder_attention_mask,
                past_key_value=cross_attn_past_key_value,
            )
            hidden_states = residual + hidden_states
            present_key_value = present_key_value + cross_attn_present_key_value

        residual = hidden_states
        hidden_states = self.final_layer_norm(hidden_states)
        hidden_states = self.activation_fn(self.fc1(hidden_states))
        hidden_states = self.fc2(hidden_states)
        hidden_states = residual + hidden_states
        return hidden_states, present_key_value


class MusicgenDecoder(nn.Module):
    def __init__(self, d: DecoderDims):
        super().__init__()
        self.num_codebooks = d.num_codebooks
        self.embed_scale = math.sqrt(d.hidden_size) if d.scale_embedding else 1.0
        embed_dim = d.vocab_size + 1
        self.embed_tokens = nn.ModuleList([nn.Embedding(embed_dim, d.hidden_size) for _ in range(d.num_codebooks)])
        self.embed_positions = MusicgenSinusoidalPositionalEmbedding(d.max_position_embeddings, d.hidden_size)
        self.layers = nn.ModuleList([MusicgenDecoderLayer(d) for _ in range(d.num_hidden_layers)])
        self.layer_norm = nn.LayerNorm(d.hidden_size)

    def forward(self, input_ids, encoder_hidden_states, encoder_attention_mask, past_key_values):
        # (bsz * codebooks, seq_len) -> (bsz, codebooks, seq_len)
        input = input_ids.reshape(-1, self.num_codebooks, input_ids.shape[-1])
        bsz, num_codebooks, seq_len = input.shape
        input_shape = (bsz, seq_len)

        past_key_values_length = past_key_values[0][0].shape[2] if past_key_values is not None else 0

        inputs_embeds = sum([self.embed_tokens[codebook](input[:, codebook]) for codebook in range(num_codebooks)])

        attention_mask = _prepare_4d_causal_attention_mask(None, input_shape, inputs_embeds, past_key_values_length)

        if encoder_hidden_states is not None and encoder_attention_mask is not None:
            encoder_attention_mask = _prepare_4d_attention_mask(
                encoder_attention_mask, inputs_embeds.dtype, tgt_len=input_shape[-1]
            )

        positions = self.embed_positions(input, past_key_values_length)
        hidden_states = inputs_embeds + positions.to(inputs_embeds.device)

        next_decoder_cache = ()
        for idx, decoder_layer in enumerate(self.layers):
            past_key_value = past_key_values[idx] if past_key_values is not None else None
            hidden_states, present = decoder_layer(
                hidden_states,
                attention_mask=attention_mask,
                encoder_hidden_states=encoder_hidden_states,
                encoder_attention_mask=encoder_attention_mask,
                past_key_value=past_key_value,
            )
            next_decoder_cache += (present,)

        hidden_states = self.layer_norm(hidden_states)
        return hidden_states, next_decoder_cache


class MusicgenModel(nn.Module):
    def __init__(self, d: DecoderDims):
        super().__init__()
        self.decoder = MusicgenDecoder(d)


class MusicgenForCausalLM(nn.Module):
    def __init__(self, d: DecoderDims):
        super().__init__()
        self.model = MusicgenModel(d)
        self.num_codebooks = d.num_codebooks
        self.lm_heads = nn.ModuleList(
            [nn.Linear(d.hidden_size, d.vocab_size, bias=False) for _ in range(d.num_codebooks)]
        )

    def forward(self, input_ids, encoder_hidden_states, encoder_attention_mask, past_key_values):
        hidden_states, cache = self.model.decoder(input_ids, encoder_hidden_states, encoder_attention_mask, past_key_values)
        lm_logits = torch.stack([head(hidden_states) for head in self.lm_heads], dim=1)
        # (bsz, num_codebooks, seq_len, vocab_size) -> (bsz * num_codebooks, seq_len, vocab_size)
        lm_logits = lm_logits.reshape(-1, *lm_logits.shape[2:])
        return lm_logits, cache


class MusicgenDecoderPart(nn.Module):
    """The part of MusicgenForConditionalGeneration optimum exports as the decoder."""

    def __init__(self, d: DecoderDims):
        super().__init__()
        self.dims = d
        self.decoder = MusicgenForCausalLM(d)
        if d.text_hidden_size != d.hidden_size:
            self.enc_to_dec_proj = nn.Linear(d.text_hidden_size, d.hidden_size)
        else:
            self.enc_to_dec_proj = None

    def forward(self, attention_mask, decoder_input_ids, encoder_hidden_states, past_key_values=None):
        if self.enc_to_dec_proj is not None:
            encoder_hidden_states = self.enc_to_dec_proj(encoder_hidden_states)
        if attention_mask is not None:
            encoder_hidden_states = encoder_hidden_states * attention_mask[..., None]
        return self.decoder(decoder_input_ids, encoder_hidden_states, attention_mask, past_key_values)


def _grid_uniform_(t: torch.Tensor, std: float, gen: torch.Generator):
    """Uniform values of about the given std on a coarse grid (at most 31 levels, a power-of-two
    step): the float32 bytes then deflate to a fraction (git packs the fixture small) while every
    weight is still random. Activations after the first LayerNorm are not on any grid."""
    bound = std * math.sqrt(3.0)
    step = 2.0 ** math.floor(math.log2(bound / 8.0))
    levels = max(1, min(15, int(round(bound / step))))
    with torch.no_grad():
        t.copy_(torch.randint(-levels, levels + 1, t.shape, generator=gen).to(t.dtype) * step)


def randomize(model: MusicgenDecoderPart, seed: int) -> None:
    """Deterministic random weights (the sinusoidal table is left as computed)."""
    gen = torch.Generator().manual_seed(seed)
    for name, p in model.named_parameters():
        if name.endswith("embed_positions.weights"):
            continue
        if "layer_norm" in name:
            base = 1.0 if name.endswith(".weight") else 0.0
            _grid_uniform_(p, 0.1, gen)
            with torch.no_grad():
                p.add_(base)
        elif "embed_tokens" in name:
            _grid_uniform_(p, 1.0, gen)
        elif name.endswith(".bias"):
            _grid_uniform_(p, 0.02, gen)
        else:
            _grid_uniform_(p, 1.0 / math.sqrt(p.shape[1]), gen)


def flat_cache_names(layers: int, prefix: str, parts: List[str]) -> List[str]:
    return [f"{prefix}.{i}.{part}" for i in range(layers) for part in parts]
