#!/usr/bin/env python3
"""
Writes an exporter-shaped MusicGen decoder: `torch.onnx.export` of a faithful torch
re-implementation (musicgen_torch.py) twice, as optimum does, then optimum's `merge_decoders`:

    <out>/onnx/decoder_model.onnx             no past
    <out>/onnx/decoder_with_past_model.onnx   with past (self + cross), returns self presents only
    <out>/onnx/decoder_model_merged.onnx      one `If` on `use_cache_branch`, shared initializers

Usage (Debian: python3-torch 1.13 and python3-onnx 1.12 are enough, no transformers/optimum):

    /usr/bin/python3 models/torch-export/export_decoder.py \
        --config models/torch-export/configs/tiny.json --out test/fixtures/torch-tiny
    /usr/bin/python3 models/torch-export/export_decoder.py \
        --config models/torch-export/configs/small.json --out /tmp/torch-small   # ~1.7 GB per file

`--config` takes a MusicgenConfig-style config.json (a model folder's own config.json works).
Files whose protobuf would pass 2 GB (or with --external-data) are written with their weights
in `<file>_data` beside them, as optimum's check_and_save_model does.
"""
import argparse
import base64
import gc
import hashlib
import json
import re
import sys
import types
import warnings
from pathlib import Path

import onnx
import torch
from onnx import numpy_helper

sys.dont_write_bytecode = True  # no __pycache__ beside the script in the repository
sys.path.insert(0, str(Path(__file__).resolve().parent))
from musicgen_torch import DecoderDims, MusicgenDecoderPart, flat_cache_names, randomize  # noqa: E402

MAX_PROTOBUF = 2**31 - 1
SELF_PARTS = ["decoder.key", "decoder.value"]
ALL_PARTS = ["decoder.key", "decoder.value", "encoder.key", "encoder.value"]


def patch_forward(model: MusicgenDecoderPart, with_past: bool) -> None:
    """optimum's patched forward, set on the instance (so parameter names keep transformers'
    state-dict paths): positional ONNX inputs in, flat (logits, present.*) out."""
    layers = model.dims.num_hidden_layers
    original = type(model).forward

    def forward(self, encoder_attention_mask, input_ids, encoder_hidden_states, *past):
        past_key_values = None
        if with_past:
            past_key_values = tuple(tuple(past[4 * i : 4 * i + 4]) for i in range(layers))
        logits, cache = original(self, encoder_attention_mask, input_ids, encoder_hidden_states, past_key_values)
        outputs = [logits]
        for layer in cache:
            # The with-past decoder returns the self-attention presents only (optimum drops the
            # cross-attention ones, which would just repeat the past).
            outputs.extend(layer[:2] if with_past else layer)
        return tuple(outputs)

    model.forward = types.MethodType(forward, model)


def dummy_inputs(d: DecoderDims, with_past: bool, seq: int, past_len: int, batch: int, enc_len: int):
    gen = torch.Generator().manual_seed(7)
    heads, head_dim = d.num_attention_heads, d.hidden_size // d.num_attention_heads
    mask = torch.ones(batch, enc_len, dtype=torch.int64)
    mask[-1, enc_len - 2 :] = 0  # padding in the last row, so the mask path is traced with real data
    ids = torch.randint(0, d.vocab_size + 1, (batch * d.num_codebooks, seq), generator=gen, dtype=torch.int64)
    states = torch.randn(batch, enc_len, d.text_hidden_size, generator=gen)
    inputs = [mask, ids, states]
    if with_past:
        for _ in range(d.num_hidden_layers):
            inputs.append(torch.randn(batch, heads, past_len, head_dim, generator=gen))
            inputs.append(torch.randn(batch, heads, past_len, head_dim, generator=gen))
            inputs.append(torch.randn(batch, heads, enc_len, head_dim, generator=gen))
            inputs.append(torch.randn(batch, heads, enc_len, head_dim, generator=gen))
    return tuple(inputs)


def io_spec(d: DecoderDims, with_past: bool):
    """Names and dynamic axes as optimum's MusicgenOnnxConfig writes them."""
    layers = d.num_hidden_layers
    inputs = ["encoder_attention_mask", "input_ids", "encoder_hidden_states"]
    axes = {
        "encoder_attention_mask": {0: "batch_size", 1: "encoder_sequence_length"},
        "input_ids": {0: "batch_size * num_codebooks", 1: "decoder_sequence_length"},
        "encoder_hidden_states": {0: "batch_size", 1: "encoder_sequence_length"},
        "logits": {0: "batch_size * num_codebooks", 1: "decoder_sequence_length"},
    }
    if with_past:
        for name in flat_cache_names(layers, "past_key_values", ALL_PARTS):
            inputs.append(name)
            seq = "past_decoder_sequence_length" if ".decoder." in name else "encoder_sequence_length_out"
            axes[name] = {0: "batch_size", 2: seq}
    outputs = ["logits"] + flat_cache_names(layers, "present", SELF_PARTS if with_past else ALL_PARTS)
    for name in outputs[1:]:
        seq = "past_decoder_sequence_length + 1" if ".decoder." in name else "encoder_sequence_length_out"
        axes[name] = {0: "batch_size", 2: seq}
    return inputs, outputs, axes


def export(model: MusicgenDecoderPart, path: Path, with_past: bool, opset: int, with_past_seq: int):
    d = model.dims
    inputs, outputs, axes = io_spec(d, with_past)
    if with_past:
        args = dummy_inputs(d, True, seq=with_past_seq, past_len=4, batch=2, enc_len=5)
    else:
        args = dummy_inputs(d, False, seq=3, past_len=0, batch=2, enc_len=5)
    patch_forward(model, with_past)
    with torch.no_grad():
        traced_shapes = [tuple(t.shape) for t in model(*args)]
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # TracerWarnings for the trace-time branches transformers has too
        torch.onnx.export(
            model,
            args,
            str(path),
            input_names=inputs,
            output_names=outputs,
            dynamic_axes=axes,
            opset_version=opset,
            do_constant_folding=True,
            export_params=True,
        )
    del model.forward
    return {name: (shape, axes.get(name, {})) for name, shape in zip(outputs, traced_shapes)}


def fix_output_dims(model, traced):
    """torch 1.13's ONNX shape inference leaves some static output axes symbolic (it names them
    like `Transposepresent.0.decoder.key_dim_1`, `Reshapelogits_dim_2`); newer exporters, and so
    the Hub files, give their values (heads, head_dim, vocab). Axes not declared dynamic get the
    size the export was traced with, which is the static size. This also makes optimum's merge
    give the cached branch [0, heads, 1, head_dim] placeholders, as in the Hub file."""
    for out in model.graph.output:
        shape, dynamic = traced[out.name]
        for axis, dim in enumerate(out.type.tensor_type.shape.dim):
            if axis not in dynamic:
                dim.Clear()
                dim.dim_value = shape[axis]


# --- optimum.onnx.merge_decoders (transformations_utils), re-implemented -----------------------


def _infer_output_shape(output):
    shape = []
    for dim in output.type.tensor_type.shape.dim:
        if dim.dim_param:
            shape.append(dim.dim_param)
        elif dim.dim_value:
            shape.append(dim.dim_value)
        else:
            raise ValueError("Cannot find `dim_param` nor `dim_value` in the output dimension info.")
    return shape


def _unify_onnx_outputs(model1, model2):
    """strict=False: model2 (with past) gets empty constants for the outputs only model1 has."""
    model2_outputs = {o.name for o in model2.graph.output}
    for idx in range(len(model1.graph.output)):
        out1 = model1.graph.output[idx]
        out2 = model2.graph.output[idx] if idx < len(model2.graph.output) else None
        if out2 is not None and out1 == out2:
            continue
        if out2 is None or not (out1.name == out2.name and out1.type.tensor_type.elem_type == out2.type.tensor_type.elem_type):
            if out1.name in model2_outputs:
                raise ValueError(f"Cannot match {out1.name}: outputs are not in the same order")
            dims = _infer_output_shape(out1)
            dummy, dummy_axis = [], None
            for j, dim in enumerate(dims):
                if isinstance(dim, str) and dummy_axis is None:
                    dummy.append(0)
                    dummy_axis = j
                elif isinstance(dim, str):
                    dummy.append(1)
                else:
                    dummy.append(dim)
            value = onnx.helper.make_tensor(name="const_tensor", data_type=out1.type.tensor_type.elem_type, dims=dummy, vals=[])
            node = onnx.helper.make_node(
                "Constant", name=f"Constant_{len(model2.graph.node) + 1}", inputs=[], outputs=[out1.name], value=value
            )
            model2.graph.node.append(node)
            model2.graph.output.insert(
                idx, onnx.helper.make_tensor_value_info(out1.name, out1.type.tensor_type.elem_type, dims)
            )
        else:
            model2.graph.output.remove(out2)
            model2.graph.output.insert(
                idx, onnx.helper.make_tensor_value_info(out1.name, out1.type.tensor_type.elem_type, _infer_output_shape(out1))
            )
    if not all(a == b for a, b in zip(model1.graph.output, model2.graph.output)):
        raise RuntimeError("Failed to unify outputs of given ONNX model protos.")


def _shareable(init) -> bool:
    return len(init.dims) > 1 or (len(init.dims) == 1 and init.data_type not in (6, 7))


def _deduplicated_cross_model_initializers(models, suffix: str):
    duplicates = {}
    for i, m in enumerate(models):
        for init in m.graph.initializer:
            if _shareable(init):
                digest = hashlib.sha512(numpy_helper.to_array(init).tobytes()).hexdigest()
                duplicates.setdefault((init.data_type, digest, tuple(init.dims)), []).append((init.name, i))
    sharing, used = {}, {}
    for group in duplicates.values():
        common = group[-1][0]  # optimum pops an arbitrary member of a set; any member is as good
        used[common] = used.get(common, -1) + 1
        for key in group:
            sharing[key] = f"{common}_{suffix}_{used[common]}"
    for i, m in enumerate(models):
        for node in m.graph.node:
            for j, name in enumerate(node.input):
                if (name, i) in sharing:
                    node.input[j] = sharing[(name, i)]
    kept, seen = [], set()
    for i, m in enumerate(models):
        for init in m.graph.initializer:
            key = (init.name, i)
            if key in sharing and sharing[key] not in seen:
                seen.add(sharing[key])
                init.name = sharing[key]
                kept.append(init)
    return kept


def merge_decoders(decoder, decoder_with_past, graph_name="merged", producer_name="optimum-onnx"):
    if decoder.opset_import[0].version != decoder_with_past.opset_import[0].version:
        raise ValueError("the two decoders have different opsets")
    _unify_onnx_outputs(decoder, decoder_with_past)
    all_inputs, names = [], set()
    for m in (decoder, decoder_with_past):
        for inp in m.graph.input:
            if inp.name not in names:
                names.add(inp.name)
                all_inputs.append(inp)
    shared = _deduplicated_cross_model_initializers([decoder, decoder_with_past], suffix=graph_name)
    # Scalars and 1-D int64/int32 initializers stay in their branch (optimum: ORT breaks otherwise).
    local = lambda m: [i for i in m.graph.initializer if len(i.dims) == 0 or (len(i.dims) == 1 and i.data_type in (6, 7))]
    no_past = onnx.helper.make_graph(
        nodes=decoder.graph.node, name="no_past", inputs=[], outputs=decoder.graph.output, initializer=local(decoder)
    )
    with_past = onnx.helper.make_graph(
        nodes=decoder_with_past.graph.node,
        name="with_past",
        inputs=[],
        outputs=decoder_with_past.graph.output,
        initializer=local(decoder_with_past),
    )
    use_cache_branch = onnx.helper.make_tensor_value_info("use_cache_branch", onnx.TensorProto.BOOL, [1])
    if_node = onnx.helper.make_node(
        "If",
        inputs=["use_cache_branch"],
        outputs=[o.name for o in no_past.output],
        name="optimum::if",
        then_branch=with_past,
        else_branch=no_past,
    )
    graph = onnx.helper.make_graph(
        nodes=[if_node], name=graph_name, inputs=[*all_inputs, use_cache_branch], outputs=no_past.output, initializer=shared
    )
    opsets, domains = [], set()
    for op in list(decoder.opset_import) + list(decoder_with_past.opset_import):
        if op.domain not in domains:
            opsets.append(op)
            domains.add(op.domain)
    return onnx.helper.make_model_gen_version(graph, producer_name=producer_name, opset_imports=opsets, ir_version=8)


def save(model, path: Path, force_external: bool):
    """optimum's check_and_save_model: check in memory below 2 GB, external data above."""
    try:
        size = model.ByteSize()
    except Exception:
        size = MAX_PROTOBUF + 1
    if size < MAX_PROTOBUF:
        onnx.checker.check_model(model)
    data_name = path.name + "_data"
    for stale in (path, path.parent / data_name):
        if stale.exists():
            stale.unlink()
    if force_external or size >= MAX_PROTOBUF:
        onnx.save(
            model,
            str(path),
            save_as_external_data=True,
            location=data_name,
            all_tensors_to_one_file=True,
            convert_attribute=True,
            size_threshold=100,
        )
    else:
        onnx.save(model, str(path))
    onnx.checker.check_model(str(path))


def write_probe(model: MusicgenDecoderPart, path: Path, seed: int):
    """A small numeric probe of the torch model, for checking the ONNX files: step 1 runs 3
    positions without past, step 2 one more position with step 1's presents as the past. Logits
    are stored as their first 8 values, argmax and sum per (row, position). The cached step is
    checked here against the uncached forward over all 4 positions."""
    d = model.dims
    gen = torch.Generator().manual_seed(seed + 1)
    batch, enc_len, K = 2, 5, d.num_codebooks
    mask = torch.ones(batch, enc_len, dtype=torch.int64)
    mask[1, 3:] = 0
    states = torch.randn(batch, enc_len, d.text_hidden_size, generator=gen)
    ids = torch.randint(0, d.vocab_size + 1, (batch * K, 4), generator=gen, dtype=torch.int64)
    with torch.no_grad():
        logits1, cache = model(mask, ids[:, :3], states)
        logits2, _ = model(mask, ids[:, 3:], states, cache)
        full, _ = model(mask, ids, states)
    gap = (full[:, 3:] - logits2).abs().max().item()
    if gap > 1e-4:
        raise RuntimeError(f"cached step differs from the uncached forward by {gap}")

    # Arrays are stored as base64 of little-endian float32 / int64, so the file stays small and
    # prettier leaves it alone.
    def f32(x):
        return base64.b64encode(x.contiguous().numpy().astype("<f4").tobytes()).decode()

    def i64(x):
        return base64.b64encode(x.contiguous().numpy().astype("<i8").tobytes()).decode()

    def summary(logits):
        return {
            "dims": list(logits.shape),
            "head": f32(logits[..., :8].flatten()),
            "argmax": i64(logits.argmax(-1).flatten()),
            "sum": f32(logits.sum(-1).flatten()),
        }

    probe = {
        "note": "torch reference for the ONNX files (models/torch-export/export_decoder.py write_probe); "
        "arrays are base64 little-endian (int64 or float32)",
        "encoder_attention_mask": {"dims": list(mask.shape), "int64": i64(mask.flatten())},
        "encoder_hidden_states": {"dims": list(states.shape), "float32": f32(states.flatten())},
        "input_ids": {"dims": list(ids.shape), "int64": i64(ids.flatten())},
        "no_past": {"positions": [0, 3], "logits": summary(logits1)},
        "with_past": {"positions": [3, 4], "logits": summary(logits2)},
    }
    text = json.dumps(probe, indent=2)
    # Short number arrays on one line, as prettier prints them.
    text = re.sub(r"\[\s+([-\d,\s]+?)\s+\]", lambda m: "[" + ", ".join(m.group(1).replace(",", " ").split()) + "]", text)
    path.write_text(text + "\n")


def main(argv=None):
    here = Path(__file__).resolve().parent
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config", type=Path, default=here / "configs" / "tiny.json")
    parser.add_argument("--out", type=Path, required=True, help="model folder; files go to <out>/onnx/")
    parser.add_argument("--seed", type=int, default=1234)
    parser.add_argument("--opset", type=int, default=14, help="ONNX opset (optimum's MusicGen default: 14)")
    parser.add_argument(
        "--with-past-seq",
        type=int,
        default=1,
        help="decoder positions the with-past export is traced with (optimum: 1; with 1 the cached branch has no causal mask)",
    )
    parser.add_argument("--external-data", action="store_true", help="always store weights as <file>_data")
    parser.add_argument("--probe", action="store_true", help="also write <out>/torch-probe.json (see write_probe)")
    parser.add_argument("--no-merge", action="store_true", help="write the unmerged pair only")
    args = parser.parse_args(argv)

    config = json.loads(args.config.read_text())
    dims = DecoderDims.from_config(config)
    onnx_dir = args.out / "onnx"
    onnx_dir.mkdir(parents=True, exist_ok=True)

    torch.manual_seed(args.seed)
    model = MusicgenDecoderPart(dims).eval()
    randomize(model, args.seed)

    paths = {
        "decoder": onnx_dir / "decoder_model.onnx",
        "with_past": onnx_dir / "decoder_with_past_model.onnx",
        "merged": onnx_dir / "decoder_model_merged.onnx",
    }
    # torch.onnx.export writes files; for a model near 2 GB torch itself picks external data.
    tmp = onnx_dir / ".torch-export"
    tmp.mkdir(exist_ok=True)
    raw = {"decoder": tmp / "decoder_model.onnx", "with_past": tmp / "decoder_with_past_model.onnx"}
    traced = {
        "decoder": export(model, raw["decoder"], with_past=False, opset=args.opset, with_past_seq=args.with_past_seq),
        "with_past": export(model, raw["with_past"], with_past=True, opset=args.opset, with_past_seq=args.with_past_seq),
    }
    if args.probe:
        write_probe(model, args.out / "torch-probe.json", args.seed)
    del model
    gc.collect()

    for key in ("decoder", "with_past"):
        m = onnx.load(str(raw[key]))
        fix_output_dims(m, traced[key])
        save(m, paths[key], args.external_data)
        del m
        gc.collect()
    for f in tmp.iterdir():
        f.unlink()
    tmp.rmdir()

    if not args.no_merge:
        decoder = onnx.load(str(paths["decoder"]))
        with_past = onnx.load(str(paths["with_past"]))
        merged = merge_decoders(decoder, with_past)
        del decoder, with_past
        gc.collect()
        save(merged, paths["merged"], args.external_data)

    for p in sorted(onnx_dir.iterdir()):
        print(f"{p}  {p.stat().st_size} bytes")


if __name__ == "__main__":
    main()
