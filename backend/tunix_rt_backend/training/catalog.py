"""Which models a run can name, without importing JAX: the built-in ones and local
checkpoint directories (the service's dry-run checks use this too)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

BUILTIN_PREFIX = "tunix-rt/"
# The one tokenizer file a checkpoint is loaded with (the `tokenizers` library reads
# it); tokenizer_config.json, when present, only names the special tokens.
TOKENIZER_FILE = "tokenizer.json"
TOKENIZER_FILES = (TOKENIZER_FILE,)
# config.json `model_type` -> the Tunix 0.1.7 model family that loads its safetensors.
CHECKPOINT_FAMILIES = {
    "gemma": "gemma",
    "gemma2": "gemma",
    "gemma3": "gemma3",
    "gemma3_text": "gemma3",
    "llama": "llama3",
    "qwen2": "qwen2",
    "qwen3": "qwen3",
}


@dataclass(frozen=True)
class BuiltinSpec:
    layers: int
    dim: int
    heads: int
    description: str


# Gemma 3 architecture at toy sizes: every part of the product runs offline with them.
BUILTIN_MODELS = {
    "tunix-rt/tiny-gemma3": BuiltinSpec(2, 128, 4, "Gemma 3, 2 layers, width 128 (~0.5M params)"),
    "tunix-rt/small-gemma3": BuiltinSpec(4, 256, 4, "Gemma 3, 4 layers, width 256 (~3.5M params)"),
}


class ModelNotAvailable(Exception):
    """The model cannot be used here; the message says why and where we looked."""


def is_builtin(model_id: str) -> bool:
    if model_id in BUILTIN_MODELS:
        return True
    if model_id.startswith(BUILTIN_PREFIX):
        raise ModelNotAvailable(
            f"unknown built-in model {model_id!r}; built in: {', '.join(BUILTIN_MODELS)}"
        )
    return False


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
    looked = ", ".join(shown_under(p, model_dir, "MODEL_DIR") for p in candidates)
    raise ModelNotAvailable(
        f"model {model_id!r} is neither built in ({', '.join(BUILTIN_MODELS)}) nor a local "
        f"checkpoint: no config.json in {looked}. Put the checkpoint there (MODEL_DIR) "
        "or name a built-in model."
    )


def shown_under(path: Path, root: Path, root_name: str) -> str:
    """`path` as a message shows it: relative to a named root (`MODEL_DIR/org--name`),
    never as the server's absolute path; a path outside every root, as given."""
    try:
        return f"{root_name}/{path.relative_to(root).as_posix()}"
    except ValueError:
        return str(path)


def checkpoint_model_type(path: Path) -> str:
    """The `model_type` in the checkpoint's config.json, when Tunix can load it."""
    try:
        config = json.loads((path / "config.json").read_text())
    except (OSError, ValueError) as exc:
        raise ModelNotAvailable(f"cannot read {path / 'config.json'}: {exc}") from exc
    model_type = config.get("model_type") if isinstance(config, dict) else None
    if model_type not in CHECKPOINT_FAMILIES:
        raise ModelNotAvailable(
            f"checkpoint {path} has model_type {model_type!r}, which Tunix cannot load here; "
            f"supported model types: {', '.join(CHECKPOINT_FAMILIES)}"
        )
    return str(model_type)
