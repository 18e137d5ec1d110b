"""Models a run can name: built-in ones (random init, byte tokenizer, no download)
and real checkpoints in local directories. Imports JAX/Tunix: training process only.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jax.numpy as jnp
from flax import nnx

from tunix_rt_backend.training.tokenizer import ByteTokenizer

BUILTIN_PREFIX = "tunix-rt/"


@dataclass(frozen=True)
class BuiltinSpec:
    layers: int
    dim: int
    heads: int
    description: str


# Gemma 3 architecture at toy sizes: every part of the product runs offline with them.
BUILTIN_MODELS = {
    "tunix-rt/tiny-gemma3": BuiltinSpec(2, 128, 4, "2 layers, width 128 (~0.5M params)"),
    "tunix-rt/small-gemma3": BuiltinSpec(4, 256, 4, "4 layers, width 256 (~3.5M params)"),
}


class ModelNotAvailable(Exception):
    """The model cannot be used here; the message says why and where we looked."""


@dataclass
class LoadedModel:
    model: Any
    tokenizer: Any
    num_layers: int
    num_kv_heads: int
    head_dim: int


def build_builtin(model_id: str, max_seq_length: int, seed: int) -> LoadedModel:
    from tunix.models.gemma3 import model as gemma3

    spec = BUILTIN_MODELS[model_id]
    tokenizer = ByteTokenizer()
    config = gemma3.ModelConfig(
        num_layers=spec.layers,
        num_embed=tokenizer.vocab_size,
        embed_dim=spec.dim,
        hidden_dim=4 * spec.dim,
        num_heads=spec.heads,
        head_dim=spec.dim // spec.heads,
        num_kv_heads=1,
        # Local attention everywhere at this size: a window past the longest sequence
        # (prompt and generation) makes it exact.
        sliding_window_size=2 * max_seq_length + 512,
        param_dtype=jnp.float32,
    )
    model = gemma3.Gemma3(config, rngs=nnx.Rngs(params=seed))
    return LoadedModel(model, tokenizer, spec.layers, 1, spec.dim // spec.heads)


def local_checkpoint_dir(model_id: str, model_dir: Path) -> Path:
    """A directory path as given, or a hub id looked up under MODEL_DIR."""
    as_path = Path(model_id).expanduser()
    if as_path.is_absolute() or model_id.startswith("."):
        candidates = [as_path]
    else:
        candidates = [model_dir / model_id, model_dir / model_id.replace("/", "--")]
    for path in candidates:
        if (path / "config.json").is_file():
            return path
    looked = ", ".join(str(p) for p in candidates)
    raise ModelNotAvailable(
        f"model {model_id!r} is neither built in ({', '.join(BUILTIN_MODELS)}) nor a local "
        f"checkpoint: no config.json in {looked}. Download the checkpoint there "
        "(MODEL_DIR) or name a built-in model."
    )


def load_checkpoint(path: Path) -> LoadedModel:  # pragma: no cover - needs real weights
    import jax
    from transformers import AutoTokenizer
    from tunix.models import automodel

    name = path.name.split("--")[-1].lower()
    config = automodel.call_model_config(name)
    mesh = jax.make_mesh((1, len(jax.devices())), ("fsdp", "tp"))
    model = automodel.create_model_from_safe_tensors(name, str(path), config, mesh)
    tokenizer = AutoTokenizer.from_pretrained(str(path))
    return LoadedModel(model, tokenizer, config.num_layers, config.num_kv_heads, config.head_dim)


def load_model(model_id: str, max_seq_length: int, seed: int) -> LoadedModel:
    if model_id in BUILTIN_MODELS:
        return build_builtin(model_id, max_seq_length, seed)
    if model_id.startswith(BUILTIN_PREFIX):
        raise ModelNotAvailable(
            f"unknown built-in model {model_id!r}; built in: {', '.join(BUILTIN_MODELS)}"
        )
    model_dir = Path(os.environ.get("MODEL_DIR", ".tunix-rt/models"))
    return load_checkpoint(local_checkpoint_dir(model_id, model_dir))
