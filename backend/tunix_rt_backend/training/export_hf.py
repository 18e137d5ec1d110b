"""A run's checkpoint as a Hugging Face checkpoint directory, for vLLM, Ollama or
transformers: `python -m tunix_rt_backend.training.export_hf --manifest M.yaml
--output-dir RUN_DIR --out DIR` (RUN_DIR holds `checkpoints/<step>/`, as a model
version's archive does).

Writes `model.safetensors` (float32, Hugging Face's Gemma 3 names; LoRA adapters merged
into the weights they adapt), `config.json` (Gemma3ForCausalLM), the tokenizer
(`tokenizer.json`, `tokenizer_config.json` with the chat template the model was trained
on) and `tunix_rt.json` (the template's sha256, the source's params_sha256). Then it
checks its own work: the written directory is loaded back through Tunix's Hugging Face
loader, and must give the same logits as the restored model and the same token ids as
the training tokenizer. Prints JSON `{step, params_sha256, max_logit_difference,
files}`. Gemma 3 models only (the built-in ones, and Gemma 3 checkpoints).
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path
from typing import Any

import numpy as np
import orjson

from tunix_rt_backend.templates.gemma_reasoning import (
    END_TURN,
    TEMPLATE_NAME,
    TEMPLATE_SHA256,
    render_prompt,
)
from tunix_rt_backend.training.manifest import RunManifest
from tunix_rt_backend.training.tokenizer import START_TURN, ByteTokenizer

# The chat template the models were trained with (templates/gemma_reasoning.py's
# prompt), in the Jinja form chat servers apply: a user turn, then the model's.
CHAT_TEMPLATE = (
    "{{ bos_token }}{% for message in messages %}"
    "{% set role = 'model' if message['role'] == 'assistant' else message['role'] %}"
    + START_TURN
    + "{{ role }}\n{{ message['content'] }}"
    + END_TURN
    + "\n{% endfor %}{% if add_generation_prompt %}"
    + START_TURN
    + "model\n{% endif %}"
)
# The exported weights must reproduce the restored model's logits this closely.
LOGIT_TOLERANCE = 1e-3
CHECK_PROMPT = render_prompt("What is 17 + 25?")


class ExportError(Exception):
    pass


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tunix_rt_backend.training.export_hf")
    parser.add_argument("--manifest", type=Path, required=True)
    parser.add_argument("--output-dir", type=Path, required=True, help="holds checkpoints/")
    parser.add_argument("--out", type=Path, required=True, help="a new or empty directory")
    args = parser.parse_args(argv)
    try:
        result = export(RunManifest.load(args.manifest), args.output_dir, args.out)
    except ExportError as exc:
        print(f"export failed: {exc}", file=sys.stderr)
        return 1
    print(orjson.dumps(result).decode())
    return 0


def export(manifest: RunManifest, run_dir: Path, out: Path) -> dict[str, Any]:
    from tunix.models.gemma3 import model as gemma3

    from tunix_rt_backend.training.trainer import params_digest

    loaded, step = _restore(manifest, run_dir)
    if not isinstance(loaded.model, gemma3.Gemma3):
        raise ExportError(
            f"{manifest.model.id} is not a Gemma 3 model: only Gemma 3 exports to the "
            "Hugging Face layout for now"
        )
    cfg = manifest.training
    scale = cfg.lora_alpha / cfg.lora_rank if cfg.method == "lora" else 0.0
    tensors = gemma3_tensors(loaded.model, scale)
    out.mkdir(parents=True, exist_ok=True)
    from safetensors.numpy import save_file

    save_file(tensors, str(out / "model.safetensors"), metadata={"format": "pt"})
    _write_config(loaded.model.config, loaded.tokenizer, out)
    _write_tokenizer(manifest.model.id, loaded.tokenizer, out)
    digest = params_digest(loaded.model)
    (out / "tunix_rt.json").write_text(
        json.dumps(
            {
                "template": TEMPLATE_NAME,
                "template_sha256": TEMPLATE_SHA256,
                "base_model": manifest.model.id,
                "method": cfg.method,
                "checkpoint_step": step,
                "source_params_sha256": digest,
            },
            indent=2,
        )
    )
    difference = _check(loaded, out)
    return {
        "step": step,
        "params_sha256": digest,
        "max_logit_difference": difference,
        "files": sorted(p.name for p in out.iterdir()),
    }


def _restore(manifest: RunManifest, run_dir: Path) -> tuple[Any, int]:
    """The run's model with its latest checkpoint restored (as training.restore does)."""
    from tunix.sft.checkpoint_manager import CheckpointManager

    from tunix_rt_backend.training.models import load_model
    from tunix_rt_backend.training.trainer import apply_lora

    cfg = manifest.training
    lora = cfg.method == "lora"
    loaded = load_model(manifest.model.id, cfg.max_seq_length, cfg.seed)
    if lora:
        apply_lora(loaded, cfg)
    manager = CheckpointManager(root_directory=str(run_dir / "checkpoints"))
    step, _ = manager.maybe_restore(loaded.model, restore_only_lora_params=lora)
    manager.close()
    if not step:
        raise ExportError(f"no checkpoint under {run_dir / 'checkpoints'}")
    return loaded, int(step)


def gemma3_tensors(model: Any, lora_scale: float) -> dict[str, np.ndarray]:
    """Hugging Face's Gemma 3 tensors (the inverse of Tunix's safetensors mapping), each
    adapted weight with its LoRA update merged in."""
    cfg = model.config
    n, k, h, d = cfg.num_heads, cfg.num_kv_heads, cfg.head_dim, cfg.embed_dim
    out = {"model.embed_tokens.weight": _value(model.embedder.input_embedding)}
    for i, layer in enumerate(model.layers):
        p = f"model.layers.{i}."
        attn = layer.attn
        if hasattr(attn, "qkv_einsum"):
            q, key, v = _merged(attn.qkv_einsum, "w", lora_scale)  # (3, N, D, H)
        else:
            q = _merged(attn.q_einsum, "w", lora_scale)  # (N, D, H)
            key, v = _merged(attn.kv_einsum, "w", lora_scale)  # (2, K, D, H)
        out[p + "self_attn.q_proj.weight"] = _heads_out(q, n, d, h)
        out[p + "self_attn.k_proj.weight"] = _heads_out(key, k, d, h)
        out[p + "self_attn.v_proj.weight"] = _heads_out(v, k, d, h)
        o = _merged(attn.attn_vec_einsum, "w", lora_scale)  # (N, H, D)
        out[p + "self_attn.o_proj.weight"] = o.reshape(n * h, d).T
        for name in ("gate_proj", "up_proj", "down_proj"):
            out[p + f"mlp.{name}.weight"] = _merged(
                getattr(layer.mlp, name), "kernel", lora_scale
            ).T
        out[p + "self_attn.q_norm.weight"] = _value(attn._query_norm.scale)
        out[p + "self_attn.k_norm.weight"] = _value(attn._key_norm.scale)
        out[p + "input_layernorm.weight"] = _value(layer.pre_attention_norm.scale)
        out[p + "post_attention_layernorm.weight"] = _value(layer.post_attention_norm.scale)
        out[p + "pre_feedforward_layernorm.weight"] = _value(layer.pre_ffw_norm.scale)
        out[p + "post_feedforward_layernorm.weight"] = _value(layer.post_ffw_norm.scale)
    out["model.norm.weight"] = _value(model.final_norm.scale)
    return {name: np.ascontiguousarray(t, dtype=np.float32) for name, t in out.items()}


def _value(param: Any) -> np.ndarray:
    value: np.ndarray = np.asarray(getattr(param, "value", param), dtype=np.float32)
    return value


def _heads_out(w: np.ndarray, heads: int, d: int, h: int) -> np.ndarray:
    """(heads, D, H) -> Hugging Face's (heads * H, D)."""
    return np.transpose(w, (0, 2, 1)).reshape(heads * h, d)


def _merged(module: Any, name: str, scale: float) -> np.ndarray:
    """The module's weight `name` plus its LoRA update (qwix's A and B, scaled by
    alpha / rank), computed in the weight's own layout."""
    weight = _value(getattr(module, name))
    a, b = getattr(module, f"{name}_lora_a", None), getattr(module, f"{name}_lora_b", None)
    if a is None or b is None:
        return weight
    a, b = _value(a), _value(b)
    lora_str = getattr(module, f"{name}_lora_einsum_str", None)
    if lora_str is None:  # a dense kernel (in, out): x @ (W + A @ B * s)
        dense: np.ndarray = weight + (a @ b) * scale
        return dense
    # The update's einsum "lhs,A,B->out" beside the weight's own "lhs,W->out": the
    # update in W's layout is "A,B->W".
    _, a_sub, b_sub = lora_str.split("->")[0].split(",")
    w_sub = module.einsum_str.split("->")[0].split(",")[1]
    merged: np.ndarray = weight + np.einsum(f"{a_sub},{b_sub}->{w_sub}", a, b) * scale
    return merged


def _write_config(cfg: Any, tokenizer: Any, out: Path) -> None:
    from tunix.models.gemma3.model import QueryPreAttentionNormalisation as Norm

    scalar = cfg.head_dim
    if cfg.query_pre_attn_norm == Norm.BY_ONE_OVER_SQRT_EMBED_DIM_DIV_NUM_HEADS:
        scalar = cfg.embed_dim // cfg.num_heads
    cycle = ["sliding_attention"] * 5 + ["full_attention"]

    def rope(theta: float, factor: float) -> dict[str, Any]:
        if factor == 1.0:
            return {"rope_type": "default", "rope_theta": float(theta)}
        return {"rope_type": "linear", "rope_theta": float(theta), "factor": float(factor)}

    config = {
        "architectures": ["Gemma3ForCausalLM"],
        "model_type": "gemma3_text",
        "vocab_size": int(cfg.num_embed),
        "hidden_size": int(cfg.embed_dim),
        "intermediate_size": int(cfg.hidden_dim),
        "num_hidden_layers": int(cfg.num_layers),
        "num_attention_heads": int(cfg.num_heads),
        "num_key_value_heads": int(cfg.num_kv_heads),
        "head_dim": int(cfg.head_dim),
        "hidden_activation": "gelu_pytorch_tanh",
        "rms_norm_eps": 1e-6,
        "query_pre_attn_scalar": int(scalar),
        "sliding_window": int(cfg.sliding_window_size),
        "layer_types": [cycle[i % 6] for i in range(cfg.num_layers)],
        "rope_parameters": {
            "sliding_attention": rope(cfg.local_base_frequency, cfg.local_scale_factor),
            "full_attention": rope(cfg.global_base_frequency, cfg.global_scale_factor),
        },
        "max_position_embeddings": 32768,
        "attention_bias": False,
        "attn_logit_softcapping": None,
        "final_logit_softcapping": None,
        "tie_word_embeddings": True,
        "bos_token_id": int(tokenizer.bos_id()),
        "eos_token_id": int(tokenizer.eos_id()),
        "pad_token_id": int(tokenizer.pad_id()),
        "torch_dtype": "float32",
    }
    (out / "config.json").write_text(json.dumps(config, indent=2))
    eos = sorted({int(tokenizer.eos_id()), _end_of_turn_id(tokenizer)})
    generation = {
        "bos_token_id": config["bos_token_id"],
        "eos_token_id": eos,
        "pad_token_id": config["pad_token_id"],
    }
    (out / "generation_config.json").write_text(json.dumps(generation, indent=2))


def _end_of_turn_id(tokenizer: Any) -> int:
    ids = tokenizer.encode(END_TURN)
    if len(ids) != 1:
        raise ExportError(f"the tokenizer has no single token for {END_TURN}")
    return int(ids[0])


def _write_tokenizer(model_id: str, tokenizer: Any, out: Path) -> None:
    from tunix_rt_backend.training.catalog import is_builtin

    if is_builtin(model_id):
        byte_tokenizer_json(out / "tokenizer.json")
        names = {"bos_token": "<bos>", "eos_token": "<eos>", "pad_token": "<pad>"}
        # As written, not rebuilt: a Gemma tokenizer class would put its own
        # SentencePiece-style pre-processing (spaces as "▁") in front of it.
        names["tokenizer_class"] = "PreTrainedTokenizerFast"
    else:
        base = _base_dir(model_id)
        for name in ("tokenizer.json", "tokenizer.model", "special_tokens_map.json"):
            if (base / name).is_file():
                shutil.copyfile(base / name, out / name)
        names = (
            json.loads((base / "tokenizer_config.json").read_text())
            if (base / "tokenizer_config.json").is_file()
            else {}
        )
    config = {**names, "chat_template": CHAT_TEMPLATE, "model_max_length": 32768}
    (out / "tokenizer_config.json").write_text(json.dumps(config, indent=2))


def _base_dir(model_id: str) -> Path:
    import os

    from tunix_rt_backend.training.catalog import local_checkpoint_dir

    return local_checkpoint_dir(model_id, Path(os.environ.get("MODEL_DIR", ".tunix-rt/models")))


def byte_tokenizer_json(path: Path) -> None:
    """The built-in models' ByteTokenizer in the `tokenizers` format: the five special
    tokens at 0-4, then the 256 bytes as `<0xNN>` tokens that every character falls back
    to (the same ids), and `<bos>` added in front as Gemma's tokenizer does."""
    from tokenizers import Tokenizer, decoders, models, processors  # type: ignore[import-untyped]

    specials = ["<pad>", "<bos>", "<eos>", START_TURN, END_TURN]
    vocab = {token: i for i, token in enumerate(specials)}
    vocab.update({f"<0x{b:02X}>": ByteTokenizer.OFFSET + b for b in range(256)})
    tokenizer = Tokenizer(models.BPE(vocab=vocab, merges=[], byte_fallback=True, fuse_unk=False))
    tokenizer.add_special_tokens(specials)
    tokenizer.decoder = decoders.Sequence([decoders.ByteFallback(), decoders.Fuse()])
    tokenizer.post_processor = processors.TemplateProcessing(
        single="<bos> $A", pair="<bos> $A $B", special_tokens=[("<bos>", ByteTokenizer.BOS)]
    )
    tokenizer.save(str(path))


def _check(loaded: Any, out: Path) -> float:
    """Load the written directory back and compare: token ids, then logits."""
    import jax.numpy as jnp

    from tunix_rt_backend.training.models import load_checkpoint

    exported = load_checkpoint(out)
    ids = loaded.tokenizer.encode(CHECK_PROMPT)
    if exported.tokenizer.encode(CHECK_PROMPT) != ids:
        raise ExportError("the exported tokenizer encodes text differently from training's")
    tokens = jnp.asarray([[loaded.tokenizer.bos_id(), *ids]])
    positions = jnp.arange(tokens.shape[1])[None, :]
    mask = jnp.tril(jnp.ones((1, tokens.shape[1], tokens.shape[1]), dtype=bool))
    before, _ = loaded.model(tokens, positions, None, mask)
    after, _ = exported.model(tokens, positions, None, mask)
    difference = float(jnp.max(jnp.abs(before - after)))
    if not difference <= LOGIT_TOLERANCE:
        raise ExportError(
            f"the exported weights give other logits (max difference {difference:.3g}): "
            "the conversion is wrong for this model"
        )
    return difference


if __name__ == "__main__":
    sys.exit(main())
