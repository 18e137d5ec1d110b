"""Local checkpoints in the Hugging Face layout (config.json, model.safetensors,
tokenizer.json), loaded with Tunix's own loaders: tiny synthetic ones of each family
are written here, so nothing is downloaded."""

from __future__ import annotations

import gc
import json
import math
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import pytest
import yaml
from safetensors.numpy import load_file, save_file

from tunix_rt_backend.datasets.formats import tunix_sft_line
from tunix_rt_backend.generators.arithmetic import generate
from tunix_rt_backend.templates.gemma_reasoning import END_TURN, TEMPLATE_SHA256
from tunix_rt_backend.training.catalog import ModelNotAvailable
from tunix_rt_backend.training.tokenizer import START_TURN

pytestmark = [
    pytest.mark.training,
    # Tunix 0.1.7's model modules use APIs that jax 0.10 / flax 0.12 deprecate.
    pytest.mark.filterwarnings("ignore::DeprecationWarning:tunix"),
    pytest.mark.filterwarnings("ignore::DeprecationWarning:flax"),
]
TRAIN = [sys.executable, "-m", "tunix_rt_backend.training"]
SPECIALS = ["<pad>", "<bos>", "<eos>", START_TURN, END_TURN]
VOCAB = 384
LAYERS, WIDTH, HEADS, KV_HEADS, HEAD_DIM, FFW = 2, 64, 4, 2, 16, 128

# config.json as transformers 4.x wrote it (what hub checkpoints hold), per model_type.
FAMILIES: dict[str, dict[str, Any]] = {
    "qwen2": {
        "architectures": ["Qwen2ForCausalLM"],
        "hidden_act": "silu",
        "rope_theta": 1000000.0,
        "use_sliding_window": False,
        "sliding_window": None,
        "tie_word_embeddings": True,
    },
    "qwen3": {
        "architectures": ["Qwen3ForCausalLM"],
        "hidden_act": "silu",
        "head_dim": HEAD_DIM,
        "attention_bias": False,
        "rope_theta": 1000000.0,
        "tie_word_embeddings": True,
    },
    "llama": {
        "architectures": ["LlamaForCausalLM"],
        "hidden_act": "silu",
        "head_dim": HEAD_DIM,
        "rope_theta": 500000.0,
        "rope_scaling": {
            "factor": 32.0,
            "high_freq_factor": 4.0,
            "low_freq_factor": 1.0,
            "original_max_position_embeddings": 1024,
            "rope_type": "llama3",
        },
        "tie_word_embeddings": False,
    },
    "gemma": {
        "architectures": ["GemmaForCausalLM"],
        "head_dim": HEAD_DIM,
        "hidden_act": "gelu_pytorch_tanh",
        "rope_theta": 10000.0,
    },
    "gemma2": {
        "architectures": ["Gemma2ForCausalLM"],
        "head_dim": HEAD_DIM,
        "hidden_activation": "gelu_pytorch_tanh",
        "query_pre_attn_scalar": HEAD_DIM,
        "sliding_window": 4096,
        "final_logit_softcapping": 30.0,
        "attn_logit_softcapping": 50.0,
        "rope_theta": 10000.0,
    },
    "gemma3_text": {
        "architectures": ["Gemma3ForCausalLM"],
        "head_dim": HEAD_DIM,
        "hidden_activation": "gelu_pytorch_tanh",
        "query_pre_attn_scalar": HEAD_DIM,
        "sliding_window": 512,
        "sliding_window_pattern": 6,
        "rope_theta": 1000000.0,
        "rope_local_base_freq": 10000.0,
        "rope_scaling": None,
    },
}


def _config(model_type: str) -> dict[str, Any]:
    if model_type == "gemma3":  # the multimodal layout: the text model's config nests
        return {
            "architectures": ["Gemma3ForConditionalGeneration"],
            "model_type": "gemma3",
            "text_config": _config("gemma3_text"),
            "vision_config": {"model_type": "siglip_vision_model", "hidden_size": 32},
            "eos_token_id": [2, 4],
        }
    return {
        "model_type": model_type,
        "hidden_size": WIDTH,
        "intermediate_size": FFW,
        "num_hidden_layers": LAYERS,
        "num_attention_heads": HEADS,
        "num_key_value_heads": KV_HEADS,
        "vocab_size": VOCAB,
        "max_position_embeddings": 1024,
        "rms_norm_eps": 1e-06,
        "pad_token_id": 0,
        "bos_token_id": 1,
        "eos_token_id": 2,
        "torch_dtype": "float32",
        "transformers_version": "4.51.3",
        **FAMILIES[model_type],
    }


def _weights(model_type: str, tied: bool, seed: int = 0) -> dict[str, np.ndarray]:
    """Random weights under the names Hugging Face gives them."""
    rng = np.random.default_rng(seed)
    shapes = {"model.embed_tokens.weight": (VOCAB, WIDTH), "model.norm.weight": (WIDTH,)}
    norms = ["input_layernorm", "post_attention_layernorm"]
    if model_type in ("gemma2", "gemma3", "gemma3_text"):
        norms += ["pre_feedforward_layernorm", "post_feedforward_layernorm"]
    for i in range(LAYERS):
        layer = f"model.layers.{i}."
        q, kv = HEADS * HEAD_DIM, KV_HEADS * HEAD_DIM
        shapes |= {
            layer + "self_attn.q_proj.weight": (q, WIDTH),
            layer + "self_attn.k_proj.weight": (kv, WIDTH),
            layer + "self_attn.v_proj.weight": (kv, WIDTH),
            layer + "self_attn.o_proj.weight": (WIDTH, q),
            layer + "mlp.gate_proj.weight": (FFW, WIDTH),
            layer + "mlp.up_proj.weight": (FFW, WIDTH),
            layer + "mlp.down_proj.weight": (WIDTH, FFW),
        }
        shapes |= {f"{layer}{norm}.weight": (WIDTH,) for norm in norms}
        if model_type == "qwen2":
            biases = {"q": q, "k": kv, "v": kv}
            shapes |= {f"{layer}self_attn.{p}_proj.bias": (n,) for p, n in biases.items()}
        if model_type in ("qwen3", "gemma3", "gemma3_text"):
            shapes |= {f"{layer}self_attn.{p}_norm.weight": (HEAD_DIM,) for p in "qk"}
    if not tied:
        shapes["lm_head.weight"] = (VOCAB, WIDTH)
    if model_type == "gemma3":  # the text model under a prefix, beside a vision tower
        shapes = {"language_model." + name: shape for name, shape in shapes.items()}
        shapes["vision_tower.vision_model.post_layernorm.weight"] = (32,)
    return {name: rng.normal(0, 0.05, shape).astype(np.float32) for name, shape in shapes.items()}


def _tokenizer(texts: list[str], path: Path) -> None:
    """A byte-level BPE trained on the texts, with the turn markers as special tokens
    (as Gemma's tokenizer has them), and the tokenizer_config.json naming bos/eos/pad."""
    from tokenizers import (  # type: ignore[import-untyped]
        Tokenizer,
        decoders,
        models,
        pre_tokenizers,
        trainers,
    )

    tokenizer = Tokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=VOCAB,
        special_tokens=SPECIALS,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tokenizer.train_from_iterator(texts, trainer)
    tokenizer.save(str(path / "tokenizer.json"))
    names = {"bos_token": "<bos>", "eos_token": "<eos>", "pad_token": "<pad>"}
    (path / "tokenizer_config.json").write_text(json.dumps(names))


def write_checkpoint(path: Path, model_type: str, texts: list[str]) -> Path:
    path.mkdir(parents=True)
    config = _config(model_type)
    (path / "config.json").write_text(json.dumps(config, indent=2))
    save_file(
        _weights(model_type, config.get("tie_word_embeddings", True)), path / "model.safetensors"
    )
    _tokenizer(texts, path)
    return path


@pytest.fixture(scope="module")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("data") / "sums.jsonl"
    lines = [
        tunix_sft_line(uuid.UUID(int=n), "eval" if n % 12 == 0 else "train", dict(t))
        for n, t in enumerate(generate(48, seed=0, difficulty=1))
    ]
    path.write_bytes(b"".join(lines))
    return path


@pytest.fixture(scope="module")
def texts(dataset: Path) -> list[str]:
    records = [orjson.loads(line) for line in dataset.read_bytes().splitlines()]
    return [r["prompt"] + r["completion"] for r in records]


def _manifest(path: Path, model_id: str, **training: Any) -> Path:
    document = {
        "version": "1.0",
        "runner": "tunix",
        "model": {"id": model_id},
        "dataset": {"key": "sums-v1", "format": "tunix_sft"},
        "template": {"name": "gemma-reasoning-v1", "sha256": TEMPLATE_SHA256},
        "training": {"batch_size": 8, "max_seq_length": 160, **training},
        "output": {"dir": "run"},
    }
    path.write_text(yaml.safe_dump(document))
    return path


def _train(manifest: Path, dataset: Path, out: Path) -> tuple[int, list[dict[str, Any]]]:
    args = ["--manifest", str(manifest), "--dataset", str(dataset), "--output-dir", str(out)]
    done = subprocess.run([*TRAIN, *args], capture_output=True, text=True, timeout=150, check=False)
    events = [orjson.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    assert events and events[-1]["event"] == "done", done.stderr[-3000:]
    return done.returncode, events


def test_checkpoint_trains_with_its_own_weights_and_tokenizer(
    dataset: Path, texts: list[str], tmp_path: Path
) -> None:
    ckpt = write_checkpoint(tmp_path / "tiny-qwen2", "qwen2", texts)
    manifest = _manifest(
        tmp_path / "m.yaml",
        str(ckpt),
        learning_rate=3e-2,
        max_steps=10,
        warmup_steps=2,
        eval_every_n_steps=10,
        checkpoint_every_n_steps=10,
        num_generations=2,
    )
    code, events = _train(manifest, dataset, tmp_path / "out")
    done = events[-1]
    assert (code, done["status"]) == (0, "completed"), done
    assert any(f"loaded qwen2 checkpoint {ckpt}" in e.get("message", "") for e in events)
    losses = [e["value"] for e in events if e["event"] == "metric" and e["name"] == "train/loss"]
    assert len(losses) == 10 and all(math.isfinite(v) for v in losses)
    assert done["summary"]["final_loss"] < 0.85 * done["summary"]["initial_loss"]
    assert (tmp_path / "out" / "checkpoints" / "10" / "commit_success.txt").exists()
    generations = [e for e in events if e["event"] == "generation"]
    assert len(generations) == 2
    assert all(g["prompt"].startswith(START_TURN) for g in generations)


@pytest.mark.parametrize("model_type", [*FAMILIES, "gemma3"])
def test_loader_reads_the_checkpoint_weights_and_sizes(
    model_type: str, texts: list[str], tmp_path: Path
) -> None:
    import jax.numpy as jnp

    from tunix_rt_backend.training.models import load_checkpoint

    ckpt = write_checkpoint(tmp_path / model_type, model_type, texts)
    loaded = load_checkpoint(ckpt)
    prefix = "language_model." if model_type == "gemma3" else ""
    weights = {k.removeprefix(prefix): v for k, v in load_file(ckpt / "model.safetensors").items()}
    model = loaded.model
    assert (loaded.num_layers, loaded.num_kv_heads, loaded.head_dim) == (LAYERS, KV_HEADS, HEAD_DIM)
    np.testing.assert_array_equal(
        np.asarray(model.embedder.input_embedding[...]), weights["model.embed_tokens.weight"]
    )
    # Hugging Face's Linear stores [out, in]; Tunix's kernel is [in, out].
    np.testing.assert_array_equal(
        np.asarray(model.layers[1].mlp.down_proj.kernel[...]),
        weights["model.layers.1.mlp.down_proj.weight"].T,
    )
    # The norm before the MLP: Gemma 1 names it post_attention_layernorm, as Llama does.
    layer = model.layers[0]
    if model_type in ("gemma2", "gemma3", "gemma3_text"):
        mlp_norm, source = layer.pre_ffw_norm.scale, "pre_feedforward_layernorm"
    elif model_type == "gemma":
        mlp_norm, source = layer.pre_ffw_norm.scale, "post_attention_layernorm"
    else:
        mlp_norm, source = layer.post_attention_layernorm.w, "post_attention_layernorm"
    np.testing.assert_array_equal(
        np.asarray(mlp_norm[...]), weights[f"model.layers.0.{source}.weight"]
    )
    tokens = jnp.array([loaded.tokenizer.encode(texts[0])[:12]])
    positions = jnp.arange(tokens.shape[1])[None]
    causal = jnp.tril(jnp.ones((1, tokens.shape[1], tokens.shape[1]), bool))
    logits, _ = model(tokens, positions, None, causal)
    assert logits.shape == (1, tokens.shape[1], VOCAB)
    assert bool(jnp.isfinite(logits).all())


def test_checkpoint_tokenizer_round_trips_the_template(texts: list[str], tmp_path: Path) -> None:
    from tunix_rt_backend.training.tokenizer import CheckpointTokenizer

    tok = CheckpointTokenizer.from_dir(write_checkpoint(tmp_path / "c", "qwen2", texts))
    assert (tok.pad_id(), tok.bos_id(), tok.eos_id()) == (0, 1, 2)
    ids = tok.encode(texts[0])
    assert ids.count(SPECIALS.index(END_TURN)) == 2  # the markers are single tokens
    assert tok.decode([tok.bos_id(), *ids, tok.eos_id(), tok.pad_id()]) == texts[0]


def test_positional_encoding_tunix_lacks_is_reported(
    texts: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from tunix_rt_backend.training.models import load_checkpoint

    load_checkpoint(write_checkpoint(tmp_path / "llama", "llama", texts))
    out = capsys.readouterr().out
    assert "RoPE theta 1e+06, not this checkpoint's 500000" in out
    assert "ignores 'llama3' RoPE scaling" in out


def test_unsupported_model_type_fails_the_run_naming_it(dataset: Path, tmp_path: Path) -> None:
    ckpt = tmp_path / "tiny-mistral"
    ckpt.mkdir()
    (ckpt / "config.json").write_text(json.dumps({"model_type": "mistral", "hidden_size": 64}))
    code, events = _train(_manifest(tmp_path / "m.yaml", str(ckpt)), dataset, tmp_path / "out")
    done = events[-1]
    assert (code, done["status"]) == (1, "failed")
    error = done["summary"]["error"]
    assert "model_type 'mistral'" in error and "qwen2" in error and "llama" in error


def test_checkpoint_without_tokenizer_json_is_refused(texts: list[str], tmp_path: Path) -> None:
    from tunix_rt_backend.training.models import load_checkpoint

    ckpt = write_checkpoint(tmp_path / "c", "qwen2", texts)
    (ckpt / "tokenizer.json").unlink()
    with pytest.raises(ModelNotAvailable, match=r"has no tokenizer\.json"):
        load_checkpoint(ckpt)


# Tunix's loader leaves the safetensors file open when it fails (a process that fails
# this way exits at once; a test process holds on).
@pytest.mark.filterwarnings("ignore::ResourceWarning")
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_weights_that_do_not_match_the_config_are_refused(texts: list[str], tmp_path: Path) -> None:
    from tunix_rt_backend.training.models import load_checkpoint

    ckpt = write_checkpoint(tmp_path / "c", "qwen2", texts)
    weights = load_file(ckpt / "model.safetensors")
    del weights["model.layers.1.self_attn.q_proj.bias"]
    save_file(weights, ckpt / "model.safetensors")
    with pytest.raises(ModelNotAvailable, match=r"do not match its config\.json \(qwen2\)"):
        load_checkpoint(ckpt)
    gc.collect()  # the leaked file is closed here, under this test's warning filters
