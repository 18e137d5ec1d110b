"""Models a run can name: built-in ones (random init, byte tokenizer, no download)
and real checkpoints in local directories, in the Hugging Face layout (config.json,
*.safetensors, tokenizer.json). A checkpoint's Tunix ModelConfig is built from its
own config.json (any size or fine-tuned variant) and its weights are read by Tunix's
own safetensors loader. Imports JAX/Tunix: training process only.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jax.numpy as jnp
from flax import nnx

from tunix_rt_backend.training.catalog import (
    BUILTIN_MODELS,
    CHECKPOINT_FAMILIES,
    ModelNotAvailable,
    checkpoint_model_type,
    is_builtin,
    local_checkpoint_dir,
)
from tunix_rt_backend.training.events import log
from tunix_rt_backend.training.tokenizer import ByteTokenizer, CheckpointTokenizer

# Gemma 3 alternates five sliding-window layers with one global one; Tunix 0.1.7
# hard-codes that cycle, so a checkpoint with another pattern cannot be loaded.
GEMMA3_LAYER_CYCLE = ("sliding_attention",) * 5 + ("full_attention",)
# RoPE as Tunix 0.1.7 computes it, per config.json model_type: the base frequency it
# uses whatever the config says (None: the config's), and the scalings it applies.
TUNIX_ROPE_THETA = {"llama": 1e6, "qwen3": 1e6, "gemma": 1e4, "gemma2": 1e4}
TUNIX_ROPE_TYPES = {"gemma3": ("default", "linear"), "gemma3_text": ("default", "linear")}


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


def load_checkpoint(path: Path) -> LoadedModel:
    """The checkpoint's own architecture, weights and tokenizer, or ModelNotAvailable
    saying what is missing or unsupported: never a stand-in."""
    model_type = checkpoint_model_type(path)
    tokenizer = CheckpointTokenizer.from_dir(path)
    if not any(path.glob("*.safetensors")):
        raise ModelNotAvailable(f"checkpoint {path} has no *.safetensors weights")
    hf = _text_config(path)
    config = _CONFIG_BUILDERS[model_type](hf)
    vocab = getattr(config, "vocab_size", None) or config.num_embed
    if tokenizer.vocab_size > vocab:
        raise ModelNotAvailable(
            f"{path}: tokenizer.json has {tokenizer.vocab_size} tokens, more than the "
            f"model's {vocab} embeddings"
        )
    for warning in _rope_warnings(model_type, hf):
        log(f"warning: {warning}")
    try:
        model = _load_weights(model_type, str(path), config)
    except (ValueError, AssertionError, RuntimeError) as exc:
        raise ModelNotAvailable(
            f"the weights in {path} do not match its config.json ({model_type}): {exc}"
        ) from exc
    log(
        f"loaded {model_type} checkpoint {path} with Tunix's {CHECKPOINT_FAMILIES[model_type]} "
        f"model: {config.num_layers} layers, width {config.embed_dim}, vocab {vocab}"
    )
    return LoadedModel(model, tokenizer, config.num_layers, config.num_kv_heads, config.head_dim)


def load_model(model_id: str, max_seq_length: int, seed: int) -> LoadedModel:
    if is_builtin(model_id):
        return build_builtin(model_id, max_seq_length, seed)
    model_dir = Path(os.environ.get("MODEL_DIR", ".tunix-rt/models"))
    return load_checkpoint(local_checkpoint_dir(model_id, model_dir))


def _text_config(path: Path) -> Any:
    """config.json read by transformers, which fills in each family's defaults (a
    nested text_config keeps only what differs from them) and reads both the old
    `rope_theta`/`rope_scaling` keys and the newer `rope_parameters`."""
    from transformers import AutoConfig

    try:
        return AutoConfig.from_pretrained(str(path)).get_text_config()
    except (OSError, ValueError, TypeError, KeyError) as exc:
        raise ModelNotAvailable(f"cannot read {path / 'config.json'}: {exc}") from exc


def _require(ok: bool, hf: Any, what: str) -> None:
    if not ok:
        raise ModelNotAvailable(
            f"this {hf.model_type} checkpoint has {what}, which Tunix 0.1.7's model lacks"
        )


def _sizes(hf: Any) -> dict[str, int]:
    heads = int(hf.num_attention_heads)
    return {
        "num_layers": int(hf.num_hidden_layers),
        "embed_dim": int(hf.hidden_size),
        "hidden_dim": int(hf.intermediate_size),
        "num_heads": heads,
        "head_dim": int(getattr(hf, "head_dim", None) or hf.hidden_size // heads),
        "num_kv_heads": int(getattr(hf, "num_key_value_heads", None) or heads),
    }


def _rope(hf: Any, layer_type: str | None = None) -> dict[str, Any]:
    params: dict[str, Any] = dict(hf.rope_parameters or {})
    if layer_type is not None and isinstance(params.get(layer_type), dict):
        return dict(params[layer_type])
    return params


def _silu_decoder(hf: Any) -> None:
    _require(hf.hidden_act == "silu", hf, f"the activation {hf.hidden_act!r} (not silu)")
    _require(not getattr(hf, "mlp_bias", False), hf, "MLP biases")
    _require(not getattr(hf, "use_sliding_window", False), hf, "sliding-window attention")


def _qwen2_config(hf: Any) -> Any:
    from tunix.models.qwen2 import model

    _silu_decoder(hf)
    return model.ModelConfig(
        **_sizes(hf),
        vocab_size=int(hf.vocab_size),
        rope_theta=_rope(hf)["rope_theta"],
        norm_eps=float(hf.rms_norm_eps),
        use_tied_embedding=bool(hf.tie_word_embeddings),
    )


def _qwen3_config(hf: Any) -> Any:
    from tunix.models.qwen3 import model

    _silu_decoder(hf)
    _require(not hf.attention_bias, hf, "attention biases")
    return model.ModelConfig(
        **_sizes(hf),
        vocab_size=int(hf.vocab_size),
        rope_theta=_rope(hf)["rope_theta"],
        norm_eps=float(hf.rms_norm_eps),
        use_tied_embedding=bool(hf.tie_word_embeddings),
    )


def _llama_config(hf: Any) -> Any:
    from tunix.models.llama3 import model

    _silu_decoder(hf)
    _require(not hf.attention_bias, hf, "attention biases")
    return model.ModelConfig(
        **_sizes(hf),
        vocab_size=int(hf.vocab_size),
        rope_theta=_rope(hf)["rope_theta"],
        norm_eps=float(hf.rms_norm_eps),
        weight_tying=bool(hf.tie_word_embeddings),
    )


def _gemma_config(hf: Any) -> Any:
    """Gemma 1 and Gemma 2 (Tunix's `gemma` model serves both)."""
    from tunix.models.gemma import model

    sizes = _sizes(hf)
    gemma2 = hf.model_type == "gemma2"
    _require(hf.tie_word_embeddings, hf, "an output layer apart from the embeddings")
    kinds = {"sliding_attention": model.AttentionType.LOCAL_SLIDING}
    layer_types = getattr(hf, "layer_types", None) or ["full_attention"] * sizes["num_layers"]
    if gemma2:
        # Tunix scales queries by 1/sqrt(head_dim) only.
        scalar = hf.query_pre_attn_scalar
        _require(scalar == sizes["head_dim"], hf, f"query_pre_attn_scalar {scalar}")
    return model.ModelConfig(
        **sizes,
        num_embed=int(hf.vocab_size),
        final_logit_softcap=getattr(hf, "final_logit_softcapping", None),
        attn_logits_soft_cap=getattr(hf, "attn_logit_softcapping", None),
        use_post_attn_norm=gemma2,
        use_post_ffw_norm=gemma2,
        attention_types=tuple(kinds.get(t, model.AttentionType.GLOBAL) for t in layer_types),
        sliding_window_size=getattr(hf, "sliding_window", None) if gemma2 else None,
    )


def _gemma3_config(hf: Any) -> Any:
    from tunix.models.gemma3 import model

    sizes = _sizes(hf)
    _require(hf.tie_word_embeddings, hf, "an output layer apart from the embeddings")
    cycle = [GEMMA3_LAYER_CYCLE[i % 6] for i in range(sizes["num_layers"])]
    _require(list(hf.layer_types) == cycle, hf, "a layer pattern other than 5 local : 1 global")
    _require(not hf.final_logit_softcapping, hf, "final logit soft-capping")
    _require(not hf.attn_logit_softcapping, hf, "attention logit soft-capping")
    norm = model.QueryPreAttentionNormalisation
    scalings = {  # head_dim last: it wins when both are the same number
        sizes["embed_dim"] // sizes["num_heads"]: norm.BY_ONE_OVER_SQRT_EMBED_DIM_DIV_NUM_HEADS,
        sizes["head_dim"]: norm.BY_ONE_OVER_SQRT_HEAD_DIM,
    }
    scalar = hf.query_pre_attn_scalar
    _require(scalar in scalings, hf, f"query_pre_attn_scalar {scalar}")
    local, full = _rope(hf, "sliding_attention"), _rope(hf, "full_attention")
    return model.ModelConfig(
        **sizes,
        num_embed=int(hf.vocab_size),
        sliding_window_size=int(hf.sliding_window),
        local_base_frequency=local["rope_theta"],
        global_base_frequency=full["rope_theta"],
        local_scale_factor=float(local.get("factor", 1.0)),
        global_scale_factor=float(full.get("factor", 1.0)),
        query_pre_attn_norm=scalings[scalar],
        param_dtype=jnp.float32,
    )


_CONFIG_BUILDERS: dict[str, Callable[[Any], Any]] = {
    "gemma": _gemma_config,
    "gemma2": _gemma_config,
    "gemma3": _gemma3_config,
    "gemma3_text": _gemma3_config,
    "llama": _llama_config,
    "qwen2": _qwen2_config,
    "qwen3": _qwen3_config,
}


def _rope_warnings(model_type: str, hf: Any) -> list[str]:
    """Where Tunix's positional encoding differs from the checkpoint's: the model
    loads and trains, but starts off its pretrained behaviour until fine-tuned."""
    fixed = TUNIX_ROPE_THETA.get(model_type)
    kinds = TUNIX_ROPE_TYPES.get(model_type, ("default",))
    params = _rope(hf)
    nested = [p for p in params.values() if isinstance(p, dict)] or [params]
    warnings = []
    for rope in nested:
        theta, kind = rope.get("rope_theta"), rope.get("rope_type", "default")
        if fixed is not None and theta is not None and float(theta) != fixed:
            warnings.append(
                f"Tunix 0.1.7's {model_type} model uses RoPE theta {fixed:g}, not this "
                f"checkpoint's {float(theta):g}"
            )
        if kind not in kinds:
            warnings.append(f"Tunix 0.1.7's {model_type} model ignores {kind!r} RoPE scaling")
    return warnings


def _load_weights(model_type: str, file_dir: str, config: Any) -> Any:
    """Tunix's safetensors loader for the family; float32 parameters whatever the file
    holds (bf16 Adam updates lose most of a small learning rate). No mesh: like the
    built-in models, one device."""
    from tunix.models.gemma import params_safetensors as gemma_params
    from tunix.models.gemma3 import params_safetensors as gemma3_params
    from tunix.models.llama3 import params as llama3_params
    from tunix.models.qwen2 import params as qwen2_params
    from tunix.models.qwen3 import params as qwen3_params

    if model_type == "gemma":
        return _load_gemma1(file_dir, config)
    modules = {
        "gemma2": gemma_params,
        "gemma3": gemma3_params,
        "gemma3_text": gemma3_params,
        "llama": llama3_params,
        "qwen2": qwen2_params,
        "qwen3": qwen3_params,
    }
    return modules[model_type].create_model_from_safe_tensors(
        file_dir, config, None, dtype=jnp.float32
    )


def _load_gemma1(file_dir: str, config: Any) -> Any:
    """Tunix 0.1.7's Gemma key map has Gemma 2's norm names: Gemma 1's
    `post_attention_layernorm` is the norm before the MLP (Tunix's `pre_ffw_norm`),
    which that map leaves unloaded. Tunix's loader, with that one key corrected."""
    from tunix.models import safetensors_loader
    from tunix.models.gemma import model as gemma
    from tunix.models.gemma import params_safetensors as gemma_params

    def gemma1_keys(cfg: Any) -> dict[str, Any]:
        keys: dict[str, Any] = gemma_params._get_key_and_transform_mapping(cfg)
        keys[r"model\.layers\.([0-9]+)\.post_attention_layernorm\.weight"] = (
            r"layers.\1.pre_ffw_norm.scale",
            None,
        )
        return keys

    return safetensors_loader.load_and_create_model(
        file_dir,
        gemma.Gemma,
        config,
        gemma1_keys,
        preprocess_fn=gemma_params._make_preprocess_fn(config),
        dtype=jnp.float32,
    )
