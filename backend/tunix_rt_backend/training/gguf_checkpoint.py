"""A Gemma 3 GGUF file (llama.cpp's format) written out as the Hugging Face checkpoint
directory that `models.load_checkpoint` reads: config.json, model.safetensors,
tokenizer.json and tokenizer_config.json.

The `gguf` package reads the file and dequantizes its tensors; the rest is ours:
- names: llama.cpp's (`blk.N.attn_q`) to Hugging Face's (`model.layers.N.self_attn.q_proj`);
- shapes: GGUF lists dimensions innermost first, so each is reversed;
- norms: llama.cpp stores Gemma's RMSNorm scales with 1.0 added (Gemma multiplies by
  1 + w); every `*norm.weight` gets it taken off again (forgetting it: perplexity ~2e8);
- config.json: the sizes from the GGUF's `gemma3.*` keys, and what the format does not
  carry (the 5 local : 1 global layer pattern, the local RoPE base, the query scaling,
  the activation, tied embeddings) from Gemma 3's architecture;
- the tokenizer, built with the `tokenizers` library from `tokenizer.ggml.*`: Gemma's
  SentencePiece BPE (merges in the order of the merged pieces' scores, byte fallback,
  spaces as U+2581, no prefix space), its control and user-defined pieces matched
  whole, `<bos>` added in front. (transformers 5.12 builds a Unigram model from the
  same fields, which tokenizes most texts differently.)
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

ARCHITECTURE = "gemma3"
# Gemma 3: five sliding-window layers, then one global one (the GGUF has no such key).
LAYER_CYCLE = ("sliding_attention",) * 5 + ("full_attention",)
LOCAL_ROPE_BASE = 10_000.0
# GGUF token types (llama.cpp's LLAMA_TOKEN_TYPE_*).
NORMAL, UNKNOWN, CONTROL, USER_DEFINED, UNUSED, BYTE = 1, 2, 3, 4, 5, 6
SPACE = "\u2581"
DTYPES = ("float32", "bfloat16")

_LAYER_NAMES = {
    "attn_norm": "input_layernorm",
    "attn_q": "self_attn.q_proj",
    "attn_k": "self_attn.k_proj",
    "attn_v": "self_attn.v_proj",
    "attn_output": "self_attn.o_proj",
    "attn_q_norm": "self_attn.q_norm",
    "attn_k_norm": "self_attn.k_norm",
    "post_attention_norm": "post_attention_layernorm",
    "ffn_norm": "pre_feedforward_layernorm",
    "post_ffw_norm": "post_feedforward_layernorm",
    "ffn_gate": "mlp.gate_proj",
    "ffn_up": "mlp.up_proj",
    "ffn_down": "mlp.down_proj",
}
_TOP_NAMES = {"token_embd": "model.embed_tokens", "output_norm": "model.norm"}


class UnsupportedGGUF(Exception):
    """The file is not a GGUF this converter handles; the message says what it is."""


@dataclass(frozen=True)
class Converted:
    config: dict[str, Any]
    tensors: int
    parameters: int
    quantizations: dict[str, int]  # GGUF tensor type -> how many tensors had it
    vocab_size: int


def open_gguf(path: Path) -> Any:
    """The file's reader, or UnsupportedGGUF: not a GGUF, or not a Gemma 3 text model."""
    from gguf import GGUFReader

    try:
        reader = GGUFReader(str(path))
    except (ValueError, OSError, EOFError, IndexError) as exc:
        raise UnsupportedGGUF(f"{path.name} is not a readable GGUF file: {exc}") from exc
    architecture = field(reader, "general.architecture")
    if architecture != ARCHITECTURE:
        raise UnsupportedGGUF(
            f"{path.name} holds a {architecture!r} model; only Gemma 3 ({ARCHITECTURE!r}) "
            "GGUF files are converted here"
        )
    return reader


def field(reader: Any, key: str, default: Any = None) -> Any:
    found = reader.fields.get(key)
    return default if found is None else found.contents()


def hf_name(name: str) -> str:
    """`blk.3.attn_q.weight` -> `model.layers.3.self_attn.q_proj.weight`."""
    stem, _, suffix = name.rpartition(".")
    if stem in _TOP_NAMES:
        return f"{_TOP_NAMES[stem]}.{suffix}"
    parts = stem.split(".")
    if len(parts) == 3 and parts[0] == "blk" and parts[2] in _LAYER_NAMES:
        return f"model.layers.{parts[1]}.{_LAYER_NAMES[parts[2]]}.{suffix}"
    raise UnsupportedGGUF(f"tensor {name!r} has no Gemma 3 counterpart")


def hf_config(reader: Any) -> dict[str, Any]:
    """config.json (model_type gemma3_text) from the GGUF's keys and Gemma 3's fixed parts."""

    def key(name: str) -> Any:
        value = field(reader, f"{ARCHITECTURE}.{name}")
        if value is None:
            raise UnsupportedGGUF(f"the GGUF has no {ARCHITECTURE}.{name}")
        return value

    layers = int(key("block_count"))
    head_dim = int(key("attention.key_length"))
    if int(key("attention.value_length")) != head_dim:
        raise UnsupportedGGUF("keys and values of different widths are not Gemma 3")
    tokens = reader.fields.get("tokenizer.ggml.tokens")
    if tokens is None:
        raise UnsupportedGGUF("the GGUF has no tokenizer (tokenizer.ggml.tokens)")
    return {
        "architectures": ["Gemma3ForCausalLM"],
        "model_type": "gemma3_text",
        "vocab_size": len(tokens.data),
        "hidden_size": int(key("embedding_length")),
        "intermediate_size": int(key("feed_forward_length")),
        "num_hidden_layers": layers,
        "num_attention_heads": int(key("attention.head_count")),
        "num_key_value_heads": int(key("attention.head_count_kv")),
        "head_dim": head_dim,
        "max_position_embeddings": int(key("context_length")),
        "rms_norm_eps": round(float(key("attention.layer_norm_rms_epsilon")), 12),
        "sliding_window": int(key("attention.sliding_window")),
        "layer_types": [LAYER_CYCLE[i % len(LAYER_CYCLE)] for i in range(layers)],
        "rope_theta": float(key("rope.freq_base")),
        "rope_local_base_freq": LOCAL_ROPE_BASE,
        "query_pre_attn_scalar": head_dim,
        "hidden_activation": "gelu_pytorch_tanh",
        "attention_bias": False,
        "attn_logit_softcapping": None,
        "final_logit_softcapping": None,
        "tie_word_embeddings": True,
        "bos_token_id": int(field(reader, "tokenizer.ggml.bos_token_id", 2)),
        "eos_token_id": int(field(reader, "tokenizer.ggml.eos_token_id", 1)),
        "pad_token_id": int(field(reader, "tokenizer.ggml.padding_token_id", 0)),
    }


def tensors(reader: Any, dtype: str) -> Iterator[tuple[str, np.ndarray, str]]:
    """(Hugging Face name, array in the (out, in) layout, GGUF type) for every tensor."""
    from gguf.quants import dequantize

    out_dtype = _numpy_dtype(dtype)
    for tensor in reader.tensors:
        name = hf_name(tensor.name)
        values = dequantize(tensor.data, tensor.tensor_type).astype(np.float32, copy=False)
        values = values.reshape(tuple(int(d) for d in reversed(tensor.shape.tolist())))
        if name.endswith("norm.weight"):
            values = values - np.float32(1.0)
        yield name, values.astype(out_dtype, copy=False), tensor.tensor_type.name


def write_checkpoint(
    reader: Any, out_dir: Path, dtype: str, step: Callable[[str], None] = lambda _: None
) -> Converted:
    """config.json, model.safetensors, tokenizer.json and tokenizer_config.json in out_dir."""
    from safetensors.numpy import save_file

    if dtype not in DTYPES:
        raise ValueError(f"dtype must be one of {', '.join(DTYPES)}")
    config = {**hf_config(reader), "torch_dtype": dtype}
    step("dequantizing the tensors")
    weights: dict[str, np.ndarray] = {}
    kinds: dict[str, int] = {}
    for name, values, kind in tensors(reader, dtype):
        weights[name] = values
        kinds[kind] = kinds.get(kind, 0) + 1
    _check_complete(weights, config)
    parameters = sum(int(v.size) for v in weights.values())
    step(f"writing model.safetensors ({parameters / 1e6:.0f}M parameters, {dtype})")
    save_file(weights, str(out_dir / "model.safetensors"), metadata={"format": "pt"})
    del weights
    step("building the tokenizer")
    tokenizer = build_tokenizer(reader)
    tokenizer.save(str(out_dir / "tokenizer.json"))
    (out_dir / "tokenizer_config.json").write_text(
        json.dumps(tokenizer_config(reader, config), indent=2) + "\n"
    )
    (out_dir / "config.json").write_text(json.dumps(config, indent=2) + "\n")
    return Converted(config, len(reader.tensors), parameters, kinds, config["vocab_size"])


def _check_complete(weights: dict[str, np.ndarray], config: dict[str, Any]) -> None:
    layers, width = config["num_hidden_layers"], config["hidden_size"]
    expected = set(f"{v}.weight" for v in _TOP_NAMES.values()) | {
        f"model.layers.{i}.{part}.weight" for i in range(layers) for part in _LAYER_NAMES.values()
    }
    missing = sorted(expected - set(weights))
    if missing:
        more = f" and {len(missing) - 3} more" if len(missing) > 3 else ""
        shown = ", ".join(missing[:3]) + more
        raise UnsupportedGGUF(f"the GGUF lacks {shown}")
    embed = weights["model.embed_tokens.weight"].shape
    if embed != (config["vocab_size"], width):
        raise UnsupportedGGUF(
            f"token_embd is {embed}, not (vocabulary {config['vocab_size']}, width {width})"
        )


def _numpy_dtype(dtype: str) -> Any:
    if dtype == "bfloat16":
        import ml_dtypes

        return ml_dtypes.bfloat16
    return np.float32


def _vocab(reader: Any) -> tuple[list[str], list[float], list[int]]:
    tokens = reader.fields["tokenizer.ggml.tokens"]
    scores = reader.fields.get("tokenizer.ggml.scores")
    types = reader.fields.get("tokenizer.ggml.token_type")
    if field(reader, "tokenizer.ggml.model") != "llama" or scores is None or types is None:
        raise UnsupportedGGUF(
            "only SentencePiece vocabularies (tokenizer.ggml.model 'llama', with scores and "
            "token types) are converted"
        )
    pieces = [bytes(tokens.parts[i]).decode("utf-8") for i in tokens.data]
    return (
        pieces,
        [float(scores.parts[i][0]) for i in scores.data],
        [int(types.parts[i][0]) for i in types.data],
    )


def sentencepiece_merges(
    pieces: list[str], scores: list[float], types: list[int]
) -> list[tuple[str, str]]:
    """BPE merges equivalent to SentencePiece's BPE: a pair of adjacent pieces merges when
    their concatenation is a normal piece, the highest-scoring such piece first."""
    ids = {piece: i for i, piece in enumerate(pieces) if types[i] in (NORMAL, BYTE)}
    ranked: list[tuple[float, int, int, str, str]] = []
    for i, piece in enumerate(pieces):
        if types[i] != NORMAL or len(piece) < 2:
            continue
        for cut in range(1, len(piece)):
            left, right = piece[:cut], piece[cut:]
            if left in ids and right in ids:
                ranked.append((-scores[i], i, cut, left, right))
    ranked.sort()
    return [(left, right) for _, _, _, left, right in ranked]


def build_tokenizer(reader: Any) -> Any:
    from tokenizers import (  # type: ignore[import-untyped]
        AddedToken,
        Tokenizer,
        decoders,
        normalizers,
        processors,
    )
    from tokenizers.models import BPE  # type: ignore[import-untyped]

    pieces, scores, types = _vocab(reader)
    if field(reader, "tokenizer.ggml.add_space_prefix", False):
        raise UnsupportedGGUF("vocabularies that add a space prefix are not converted")
    unk = int(field(reader, "tokenizer.ggml.unknown_token_id", 3))
    bos = int(field(reader, "tokenizer.ggml.bos_token_id", 2))
    model = BPE(
        vocab={piece: i for i, piece in enumerate(pieces)},
        merges=sentencepiece_merges(pieces, scores, types),
        unk_token=pieces[unk],
        byte_fallback=True,
        fuse_unk=True,
    )
    tokenizer = Tokenizer(model)
    tokenizer.normalizer = normalizers.Replace(" ", SPACE)
    tokenizer.decoder = decoders.Sequence(
        [decoders.Replace(SPACE, " "), decoders.ByteFallback(), decoders.Fuse()]
    )
    # Control pieces (<bos>, <start_of_turn>, ...) are special; user-defined ones (runs of
    # newlines, tabs or spaces) are ordinary text matched whole, before the normalizer.
    tokenizer.add_tokens(
        [
            AddedToken(pieces[i], special=types[i] == CONTROL, normalized=False)
            for i in range(len(pieces))
            if types[i] in (CONTROL, USER_DEFINED, UNKNOWN)
        ]
    )
    if field(reader, "tokenizer.ggml.add_bos_token", True):
        tokenizer.post_processor = processors.TemplateProcessing(
            single=f"{pieces[bos]} $A",
            pair=f"{pieces[bos]} $A $B",
            special_tokens=[(pieces[bos], bos)],
        )
    return tokenizer


def tokenizer_config(reader: Any, config: dict[str, Any]) -> dict[str, Any]:
    pieces = reader.fields["tokenizer.ggml.tokens"]

    def piece(i: int) -> str:
        return bytes(pieces.parts[pieces.data[i]]).decode("utf-8")

    return {
        "tokenizer_class": "GemmaTokenizer",
        "bos_token": piece(config["bos_token_id"]),
        "eos_token": piece(config["eos_token_id"]),
        "pad_token": piece(config["pad_token_id"]),
        "unk_token": piece(int(field(reader, "tokenizer.ggml.unknown_token_id", 3))),
        "add_bos_token": bool(field(reader, "tokenizer.ggml.add_bos_token", True)),
        "add_eos_token": bool(field(reader, "tokenizer.ggml.add_eos_token", False)),
        "model_max_length": config["max_position_embeddings"],
    }
