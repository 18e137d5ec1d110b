"""Which models a run can name, without importing JAX: the built-in ones and local
checkpoint directories (the service's dry-run checks use this too)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

BUILTIN_PREFIX = "tunix-rt/"
TOKENIZER_FILES = ("tokenizer.json", "tokenizer.model", "tokenizer_config.json")


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
    looked = ", ".join(str(p.resolve()) for p in candidates)
    raise ModelNotAvailable(
        f"model {model_id!r} is neither built in ({', '.join(BUILTIN_MODELS)}) nor a local "
        f"checkpoint: no config.json in {looked}. Put the checkpoint there (MODEL_DIR) "
        "or name a built-in model."
    )
