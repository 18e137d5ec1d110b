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

from tunix_rt_backend.training.catalog import BUILTIN_MODELS, is_builtin, local_checkpoint_dir
from tunix_rt_backend.training.tokenizer import ByteTokenizer


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
    if is_builtin(model_id):
        return build_builtin(model_id, max_seq_length, seed)
    model_dir = Path(os.environ.get("MODEL_DIR", ".tunix-rt/models"))
    return load_checkpoint(local_checkpoint_dir(model_id, model_dir))
