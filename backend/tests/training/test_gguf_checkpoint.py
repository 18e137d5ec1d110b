"""`training.gguf_checkpoint`: a Gemma 3 GGUF (llama.cpp's format) into the Hugging Face
checkpoint directory Tunix RT loads. Tiny GGUF files are written here (tests/gguf_fixtures.py);
the converted checkpoint is checked tensor by tensor, key by key, token by token against
a SentencePiece BPE written plainly, and, loaded by `models.load_checkpoint`, logit by
logit against a NumPy forward pass of Gemma 3 over the file's own weights."""

from __future__ import annotations

import json
import math
import re
import struct
from collections import Counter
from pathlib import Path
from typing import Any

import ml_dtypes
import numpy as np
import pytest
from safetensors.numpy import load_file

from tests.gguf_fixtures import (
    BYTE,
    SPACE,
    TinyGGUF,
    sentencepiece_encode,
    write_tiny_gguf,
)
from tunix_rt_backend.training import gguf_checkpoint
from tunix_rt_backend.training.gguf_checkpoint import UnsupportedGGUF

pytestmark = [
    pytest.mark.training,
    # Tunix 0.1.7's model modules use APIs that jax 0.10 / flax 0.12 deprecate.
    pytest.mark.filterwarnings("ignore::DeprecationWarning:tunix"),
    pytest.mark.filterwarnings("ignore::DeprecationWarning:flax"),
]

# Six layers: five sliding-window ones and one global one, as Gemma 3 cycles them. A
# head_dim (48) that is not width / heads (32), as in Gemma 3 270M (256 vs 160), so the
# query scaling and every projection's orientation show.
SIZES: dict[str, Any] = {"layers": 6, "head_dim": 48, "sliding_window": 4}
LOCAL_BASE = 10_000.0

HF_NAMES = {
    "token_embd.weight": "model.embed_tokens.weight",
    "output_norm.weight": "model.norm.weight",
    "blk.0.attn_norm.weight": "model.layers.0.input_layernorm.weight",
    "blk.0.attn_q.weight": "model.layers.0.self_attn.q_proj.weight",
    "blk.0.attn_k.weight": "model.layers.0.self_attn.k_proj.weight",
    "blk.0.attn_v.weight": "model.layers.0.self_attn.v_proj.weight",
    "blk.0.attn_output.weight": "model.layers.0.self_attn.o_proj.weight",
    "blk.0.attn_q_norm.weight": "model.layers.0.self_attn.q_norm.weight",
    "blk.0.attn_k_norm.weight": "model.layers.0.self_attn.k_norm.weight",
    "blk.0.post_attention_norm.weight": "model.layers.0.post_attention_layernorm.weight",
    "blk.0.ffn_norm.weight": "model.layers.0.pre_feedforward_layernorm.weight",
    "blk.0.post_ffw_norm.weight": "model.layers.0.post_feedforward_layernorm.weight",
    "blk.0.ffn_gate.weight": "model.layers.0.mlp.gate_proj.weight",
    "blk.0.ffn_up.weight": "model.layers.0.mlp.up_proj.weight",
    "blk.0.ffn_down.weight": "model.layers.0.mlp.down_proj.weight",
}

TEXTS = [
    "The capital of France is Paris.",
    "  two leading spaces and trailing  ",
    "Answer: 513<end_of_turn>",
    "<start_of_turn>user\nWhat is 27 × 19?<end_of_turn>\n<start_of_turn>model\n",
    "naïve café — 😊 Zürich, Quebec",
    "line one\n\nline two\n   indented\n\n\nend   ",
    "the attention of that station, and this is the answer",
    "theeee thhhe ssspaces",
    "",
]


def _convert(tiny: TinyGGUF, out: Path, dtype: str = "float32") -> gguf_checkpoint.Converted:
    out.mkdir()
    return gguf_checkpoint.write_checkpoint(gguf_checkpoint.open_gguf(tiny.path), out, dtype)


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> TinyGGUF:
    return write_tiny_gguf(tmp_path_factory.mktemp("gguf") / "tiny.gguf", **SIZES)


@pytest.fixture(scope="module")
def converted(
    tiny: TinyGGUF, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, gguf_checkpoint.Converted]:
    out = tmp_path_factory.mktemp("ckpt") / "tiny-gemma3"
    return out, _convert(tiny, out)


def _tokenizer(path: Path) -> Any:
    from tokenizers import Tokenizer  # type: ignore[import-untyped]

    return Tokenizer.from_file(str(path / "tokenizer.json"))


# -- names, shapes, values --------------------------------------------------------------


def test_every_gguf_tensor_has_its_hugging_face_name(tiny: TinyGGUF) -> None:
    for gguf_name, hf_name in HF_NAMES.items():
        assert gguf_checkpoint.hf_name(gguf_name) == hf_name
        assert gguf_checkpoint.hf_name(gguf_name.replace("blk.0.", "blk.5.")) == hf_name.replace(
            "layers.0.", "layers.5."
        )
    names = {gguf_checkpoint.hf_name(name) for name in tiny.tensors}
    assert len(names) == len(tiny.tensors) == 2 + 13 * SIZES["layers"]
    unknown = ("blk.0.attn_qkv.weight", "output.weight", "rope_freqs.weight", "blk.attn_q.weight")
    for name in unknown:
        with pytest.raises(UnsupportedGGUF, match=re.escape(f"tensor '{name}' has no Gemma 3")):
            gguf_checkpoint.hf_name(name)


def test_a_tensor_gemma_3_lacks_refuses_the_file(tmp_path: Path) -> None:
    extra = {"blk.0.attn_qkv.weight": np.zeros((96, 64), np.float32)}
    tiny = write_tiny_gguf(tmp_path / "extra.gguf", extra=extra)
    with pytest.raises(UnsupportedGGUF, match="'blk.0.attn_qkv.weight' has no Gemma 3"):
        _convert(tiny, tmp_path / "out")


def test_a_missing_tensor_refuses_the_file(tmp_path: Path) -> None:
    tiny = write_tiny_gguf(tmp_path / "lacking.gguf", omit=("blk.1.ffn_down.weight",))
    with pytest.raises(UnsupportedGGUF, match=r"lacks model\.layers\.1\.mlp\.down_proj\.weight"):
        _convert(tiny, tmp_path / "out")


def test_weights_are_dequantized_in_the_out_in_layout_with_norms_shifted_back(
    tiny: TinyGGUF, converted: tuple[Path, gguf_checkpoint.Converted]
) -> None:
    out, result = converted
    weights = load_file(out / "model.safetensors")
    assert set(weights) == {gguf_checkpoint.hf_name(name) for name in tiny.tensors}
    for name, expected in tiny.tensors.items():
        got = weights[gguf_checkpoint.hf_name(name)]
        assert got.dtype == np.float32, name
        assert got.shape == expected.shape, name
        if name.endswith("norm.weight"):
            # llama.cpp stores 1 + w; Hugging Face's (and Tunix's) Gemma multiplies by 1 + w.
            np.testing.assert_array_equal(got, expected - np.float32(1.0), err_msg=name)
            assert abs(float(got.mean())) < 0.1, name  # around 0, not around 1
        else:
            np.testing.assert_array_equal(got, expected, err_msg=name)
    width, head_dim, ffn = tiny.width, tiny.head_dim, tiny.ffn
    q, kv = tiny.heads * head_dim, tiny.kv_heads * head_dim
    layer = "model.layers.5."
    assert weights["model.embed_tokens.weight"].shape == (len(tiny.pieces), width)
    assert weights[layer + "self_attn.q_proj.weight"].shape == (q, width)
    assert weights[layer + "self_attn.k_proj.weight"].shape == (kv, width)
    assert weights[layer + "self_attn.o_proj.weight"].shape == (width, q)
    assert weights[layer + "self_attn.q_norm.weight"].shape == (head_dim,)
    assert weights[layer + "mlp.gate_proj.weight"].shape == (ffn, width)
    assert weights[layer + "mlp.down_proj.weight"].shape == (width, ffn)
    assert result.quantizations == dict(Counter(tiny.kinds.values()))
    assert set(result.quantizations) == {"Q8_0", "F16", "F32"}
    assert result.tensors == len(tiny.tensors)
    assert result.parameters == sum(int(v.size) for v in tiny.tensors.values())
    assert result.vocab_size == len(tiny.pieces)


def test_an_unquantized_file_converts_exactly(tmp_path: Path) -> None:
    tiny = write_tiny_gguf(tmp_path / "f32.gguf", quantize=False)
    result = _convert(tiny, tmp_path / "out")
    assert result.quantizations == {"F32": len(tiny.tensors)}
    weights = load_file(tmp_path / "out" / "model.safetensors")
    np.testing.assert_array_equal(
        weights["model.layers.1.self_attn.o_proj.weight"], tiny.tensors["blk.1.attn_output.weight"]
    )


def test_bfloat16_stores_every_tensor_as_bf16(tiny: TinyGGUF, tmp_path: Path) -> None:
    out = tmp_path / "bf16"
    _convert(tiny, out, "bfloat16")
    raw = (out / "model.safetensors").read_bytes()
    (length,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8 : 8 + length])
    assert header.pop("__metadata__") == {"format": "pt"}
    assert {entry["dtype"] for entry in header.values()} == {"BF16"}
    weights = load_file(out / "model.safetensors")
    for name, values in tiny.tensors.items():
        expected = values - np.float32(1.0) if name.endswith("norm.weight") else values
        got = weights[gguf_checkpoint.hf_name(name)]
        assert got.dtype == ml_dtypes.bfloat16
        np.testing.assert_array_equal(got, expected.astype(ml_dtypes.bfloat16), err_msg=name)
    assert json.loads((out / "config.json").read_text())["torch_dtype"] == "bfloat16"
    with pytest.raises(ValueError, match="dtype must be one of float32, bfloat16"):
        _convert(tiny, tmp_path / "f16", "float16")


# -- config.json and tokenizer_config.json ------------------------------------------------


def test_config_has_the_files_sizes_and_gemma_3s_fixed_parts(
    tiny: TinyGGUF, converted: tuple[Path, gguf_checkpoint.Converted]
) -> None:
    out, result = converted
    config = json.loads((out / "config.json").read_text())
    assert config == result.config
    expected = {
        "architectures": ["Gemma3ForCausalLM"],
        "model_type": "gemma3_text",
        "vocab_size": len(tiny.pieces),
        "hidden_size": 64,
        "intermediate_size": 128,
        "num_hidden_layers": 6,
        "num_attention_heads": 2,
        "num_key_value_heads": 1,
        "head_dim": 48,
        "max_position_embeddings": tiny.context,
        "rms_norm_eps": 1e-6,
        "sliding_window": 4,
        "layer_types": ["sliding_attention"] * 5 + ["full_attention"],
        "rope_theta": 1_000_000.0,
        "rope_local_base_freq": 10_000.0,
        "query_pre_attn_scalar": 48,
        "hidden_activation": "gelu_pytorch_tanh",
        "attention_bias": False,
        "attn_logit_softcapping": None,
        "final_logit_softcapping": None,
        "tie_word_embeddings": True,
        "bos_token_id": 2,
        "eos_token_id": 1,
        "pad_token_id": 0,
        "torch_dtype": "float32",
    }
    assert config == expected
    assert json.loads((out / "tokenizer_config.json").read_text()) == {
        "tokenizer_class": "GemmaTokenizer",
        "bos_token": "<bos>",
        "eos_token": "<eos>",
        "pad_token": "<pad>",
        "unk_token": "<unk>",
        "add_bos_token": True,
        "add_eos_token": False,
        "model_max_length": tiny.context,
    }


def test_layer_types_repeat_five_sliding_one_full(tmp_path: Path) -> None:
    tiny = write_tiny_gguf(tmp_path / "eight.gguf", layers=8, rope_base=500_000.0)
    config = gguf_checkpoint.hf_config(gguf_checkpoint.open_gguf(tiny.path))
    assert (
        config["layer_types"]
        == ["sliding_attention"] * 5 + ["full_attention"] + ["sliding_attention"] * 2
    )
    assert (config["rope_theta"], config["rope_local_base_freq"]) == (500_000.0, 10_000.0)


# -- the tokenizer --------------------------------------------------------------------------


def test_the_texts_tell_merge_orders_apart(tiny: TinyGGUF) -> None:
    """Merging leftmost-first, or in the order of the pieces' ids, tokenizes some of
    TEXTS differently from merging by score: the next test would see either mistake."""
    flat = [0.0] * len(tiny.pieces)
    by_id = [-float(i) for i in range(len(tiny.pieces))]
    for scores in (flat, by_id):
        assert any(
            sentencepiece_encode(text, tiny.pieces, scores, tiny.types) != tiny.encode(text)
            for text in TEXTS
        )


@pytest.mark.parametrize("text", TEXTS)
def test_tokenizer_encodes_as_sentencepiece_bpe_and_decodes_back(
    text: str, tiny: TinyGGUF, converted: tuple[Path, gguf_checkpoint.Converted]
) -> None:
    from tunix_rt_backend.training.tokenizer import CheckpointTokenizer

    out, _ = converted
    ids = _tokenizer(out).encode(text).ids
    assert ids == tiny.encode(text)
    assert ids[0] == tiny.id("<bos>")
    assert _tokenizer(out).decode(ids[1:], skip_special_tokens=False) == text
    # What runs use: no <bos> (data.tokenize and the sampler add it), same ids after it.
    product = CheckpointTokenizer.from_dir(out)
    assert product.encode(text) == ids[1:]
    assert product.decode([product.bos_id(), *ids[1:], product.eos_id()]) == text


def test_tokenizer_pieces_that_matter(
    tiny: TinyGGUF, converted: tuple[Path, gguf_checkpoint.Converted]
) -> None:
    out, _ = converted
    tokenizer = _tokenizer(out)

    def encode(text: str) -> list[int]:
        return list(tokenizer.encode(text).ids[1:])

    # Runs of spaces and newlines are user-defined pieces, whole, before U+2581 replaces
    # spaces; three spaces prefer the longer piece.
    spaces = encode("  two  ")
    assert spaces[0] == spaces[-1] == tiny.id("  ")
    assert encode("a   b")[1] == tiny.id("   ")
    assert encode("a\n\n\nb")[1:3] == [tiny.id("\n\n"), tiny.id("\n")]
    # One space is U+2581, merged with the word after it.
    assert tiny.id(SPACE + "the") in encode("in the")
    # Control pieces are whole (special) tokens; <bos> is added once, in front.
    turn = tokenizer.encode("<start_of_turn>user")
    assert turn.ids[:2] == [tiny.id("<bos>"), tiny.id("<start_of_turn>")]
    assert tokenizer.decode(turn.ids) == "user"  # special tokens skipped by default
    # Text outside the vocabulary: its UTF-8 bytes, as byte pieces.
    emoji = encode("😊")
    assert emoji == [tiny.id(f"<0x{b:02X}>") for b in "😊".encode()]
    assert all(tiny.types[i] == BYTE for i in encode("Zürich")[1:3])
    assert "Q" not in tiny.pieces and encode("Q") == [tiny.id("<0x51>")]
    assert tokenizer.decode(encode("naïve 😊 Q")) == "naïve 😊 Q"


# -- files that are not Gemma 3 GGUFs --------------------------------------------------------


@pytest.mark.parametrize("content", [b"", b"GGUF", b"not a GGUF file\n" * 64, b"\x00" * 4096])
def test_a_file_that_is_not_a_gguf_is_refused(content: bytes, tmp_path: Path) -> None:
    path = tmp_path / "model.gguf"
    path.write_bytes(content)
    with pytest.raises(UnsupportedGGUF, match=r"model\.gguf is not a readable GGUF file"):
        gguf_checkpoint.open_gguf(path)


def test_a_truncated_gguf_is_refused(tiny: TinyGGUF, tmp_path: Path) -> None:
    path = tmp_path / "half.gguf"
    path.write_bytes(tiny.data[: len(tiny.data) // 2])
    with pytest.raises(UnsupportedGGUF, match=r"half\.gguf is not a readable GGUF file"):
        gguf_checkpoint.open_gguf(path)


def test_a_gguf_of_another_architecture_is_refused(tmp_path: Path) -> None:
    tiny = write_tiny_gguf(tmp_path / "llama.gguf", architecture="llama")
    with pytest.raises(UnsupportedGGUF, match=r"holds a 'llama' model; only Gemma 3 \('gemma3'\)"):
        gguf_checkpoint.open_gguf(tiny.path)


def test_vocabularies_other_than_sentencepiece_without_space_prefix_are_refused(
    tmp_path: Path,
) -> None:
    gpt2 = write_tiny_gguf(tmp_path / "gpt2.gguf", tokenizer_model="gpt2")
    with pytest.raises(UnsupportedGGUF, match="only SentencePiece vocabularies"):
        _convert(gpt2, tmp_path / "a")
    prefixed = write_tiny_gguf(tmp_path / "prefix.gguf", add_space_prefix=True)
    with pytest.raises(UnsupportedGGUF, match="add a space prefix"):
        _convert(prefixed, tmp_path / "b")


# -- the converted model computes what Gemma 3 computes ---------------------------------------


def _rms_norm(x: np.ndarray, weight: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    """Gemma's RMSNorm: the Hugging Face weight w scales by (1 + w)."""
    normed: np.ndarray = x / np.sqrt(np.mean(x * x, axis=-1, keepdims=True) + eps)
    return normed * (1.0 + weight)


def _rope(x: np.ndarray, positions: np.ndarray, base: float) -> np.ndarray:
    """Rotary embedding of x [T, heads, head_dim], the two halves rotated as pairs
    (Hugging Face's rotate_half; llama.cpp's NEOX mode)."""
    half = x.shape[-1] // 2
    timescale = base ** (2.0 * np.arange(half) / x.shape[-1])
    angle = positions[:, None, None] / timescale
    sin, cos = np.sin(angle), np.cos(angle)
    first, second = x[..., :half], x[..., half:]
    return np.concatenate([first * cos - second * sin, second * cos + first * sin], axis=-1)


def _gelu_tanh(x: np.ndarray) -> np.ndarray:
    inner = math.sqrt(2.0 / math.pi) * (x + 0.044715 * x**3)
    out: np.ndarray = 0.5 * x * (1.0 + np.tanh(inner))
    return out


def reference_logits(
    tiny: TinyGGUF,
    tokens: list[int],
    *,
    global_base: float | None = None,
    window: int | None = None,
    query_scalar: float | None = None,
) -> np.ndarray:
    """Gemma 3's forward pass in float64 NumPy, from the GGUF's dequantized weights:
    the norms' Hugging Face weights are the stored ones less 1. (The keyword arguments
    change one thing, to show that the comparison would see it.)"""
    w = {name: values.astype(np.float64) for name, values in tiny.tensors.items()}

    def norm(name: str) -> np.ndarray:
        return w[name] - 1.0

    count = len(tokens)
    positions = np.arange(count, dtype=np.float64)
    group = tiny.heads // tiny.kv_heads
    scale = (query_scalar or tiny.head_dim) ** -0.5
    x = w["token_embd.weight"][tokens] * math.sqrt(tiny.width)
    query, key = np.arange(count)[:, None], np.arange(count)[None, :]
    for i in range(tiny.layers):
        p = f"blk.{i}."
        full = i % 6 == 5
        base = (global_base or tiny.rope_base) if full else LOCAL_BASE
        h = _rms_norm(x, norm(p + "attn_norm.weight"))
        q = (h @ w[p + "attn_q.weight"].T).reshape(count, tiny.heads, tiny.head_dim)
        k = (h @ w[p + "attn_k.weight"].T).reshape(count, tiny.kv_heads, tiny.head_dim)
        v = (h @ w[p + "attn_v.weight"].T).reshape(count, tiny.kv_heads, tiny.head_dim)
        q = _rope(_rms_norm(q, norm(p + "attn_q_norm.weight")), positions, base) * scale
        k = _rope(_rms_norm(k, norm(p + "attn_k_norm.weight")), positions, base)
        # Grouped-query attention: query head n reads key/value head n // group.
        k, v = np.repeat(k, group, axis=1), np.repeat(v, group, axis=1)
        scores = np.einsum("tnh,snh->nts", q, k)
        allowed = key <= query
        if not full:
            allowed &= query - key < (window or tiny.sliding_window)
        scores = np.where(allowed, scores, -np.inf)
        probs = np.exp(scores - scores.max(axis=-1, keepdims=True))
        probs /= probs.sum(axis=-1, keepdims=True)
        attended = np.einsum("nts,snh->tnh", probs, v).reshape(count, -1)
        attn = attended @ w[p + "attn_output.weight"].T
        x = x + _rms_norm(attn, norm(p + "post_attention_norm.weight"))
        h = _rms_norm(x, norm(p + "ffn_norm.weight"))
        gated = _gelu_tanh(h @ w[p + "ffn_gate.weight"].T) * (h @ w[p + "ffn_up.weight"].T)
        ffw = gated @ w[p + "ffn_down.weight"].T
        x = x + _rms_norm(ffw, norm(p + "post_ffw_norm.weight"))
    x = _rms_norm(x, norm("output_norm.weight"))
    logits: np.ndarray = x @ w["token_embd.weight"].T  # tied embeddings
    return logits


def test_loaded_checkpoint_gives_gemma_3s_logits(
    tiny: TinyGGUF, converted: tuple[Path, gguf_checkpoint.Converted]
) -> None:
    import jax.numpy as jnp

    from tunix_rt_backend.training.models import load_checkpoint

    out, _ = converted
    loaded = load_checkpoint(out)
    assert (loaded.num_layers, loaded.num_kv_heads, loaded.head_dim) == (6, 1, 48)
    tokenizer = loaded.tokenizer
    assert (tokenizer.bos_id(), tokenizer.eos_id(), tokenizer.pad_id()) == (2, 1, 0)
    rng = np.random.default_rng(7)
    text = tiny.encode("The capital of France is Paris.")
    tokens = text + [int(t) for t in rng.integers(0, len(tiny.pieces), 18 - len(text))]
    count = len(tokens)
    assert count > 3 * tiny.sliding_window  # the window masks most of the past

    positions = jnp.arange(count)[None]
    causal = jnp.tril(jnp.ones((1, count, count), bool))
    logits, _ = loaded.model(jnp.array([tokens]), positions, None, causal)
    got = np.asarray(logits[0], dtype=np.float64)
    assert got.shape == (count, len(tiny.pieces))

    expected = reference_logits(tiny, tokens)
    scale = float(np.abs(expected).max())
    assert 1.0 < scale < 1e3
    error = float(np.abs(got - expected).max()) / scale
    assert error < 1e-4, f"max |Tunix - reference| / max |reference| = {error:.2e}"
    # Each of these would have shown: the global layer with the local RoPE base, no
    # sliding window, queries scaled by width / heads instead of head_dim.
    for wrong in (
        reference_logits(tiny, tokens, global_base=LOCAL_BASE),
        reference_logits(tiny, tokens, window=count),
        reference_logits(tiny, tokens, query_scalar=tiny.width // tiny.heads),
    ):
        assert float(np.abs(got - wrong).max()) / scale > 100 * max(error, 1e-6)
