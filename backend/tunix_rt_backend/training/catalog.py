"""Which models a run can name, without importing JAX: the built-in ones and local
checkpoint directories (the service's dry-run checks use this too)."""

from __future__ import annotations

import json
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any

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


# The record `tunix-rt model import` leaves beside the weights it converted.
IMPORT_RECORD = "tunix-rt-import.json"
# From this size on, a note says that training on a CPU is slow.
SLOW_ON_CPU_PARAMETERS = 50_000_000


@dataclass(frozen=True)
class LocalCheckpoint:
    """A checkpoint directory under MODEL_DIR, as a model picker shows it."""

    model_id: str
    model_type: str | None
    parameters: int | None  # from the safetensors headers
    size_bytes: int  # the weights on disk
    description: str
    note: str | None


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


def local_checkpoints(root: Path) -> list[LocalCheckpoint]:
    """The checkpoints under MODEL_DIR (`org--name/` or `org/name/`, each with a
    config.json), named as runs name them (`org/name`). Hidden directories (an import's
    staging area) are not checkpoints."""
    if not root.is_dir():
        return []
    found = []
    for config in sorted([*root.glob("*/config.json"), *root.glob("*/*/config.json")]):
        relative = config.parent.relative_to(root)
        if any(part.startswith(".") for part in relative.parts):
            continue
        name = relative.as_posix()
        found.append(_describe(name.replace("--", "/", 1) if "/" not in name else name, config))
    return found


def _describe(model_id: str, config_file: Path) -> LocalCheckpoint:
    path = config_file.parent
    config = _json(config_file)
    record = _json(path / IMPORT_RECORD)
    weights = sorted(path.glob("*.safetensors"))
    size = sum(f.stat().st_size for f in weights)
    counts = [_parameters(f) for f in weights]
    parameters = sum(c for c in counts if c is not None) if weights and None not in counts else None
    model_type = config.get("model_type") if isinstance(config.get("model_type"), str) else None
    description = str(record.get("description") or f"{model_type or 'unknown'} checkpoint")
    note = record.get("cpu_note")
    if note is None and parameters is not None and parameters >= SLOW_ON_CPU_PARAMETERS:
        note = f"{parameters / 1e6:.0f}M parameters: slow to train on a CPU (seconds a step)"
    return LocalCheckpoint(model_id, model_type, parameters, size, description, note)


def _json(file: Path) -> dict[str, Any]:
    try:
        data = json.loads(file.read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _parameters(file: Path) -> int | None:
    """Parameters in a safetensors file, from its header alone (8 bytes of length, then
    JSON with each tensor's shape)."""
    try:
        with file.open("rb") as f:
            (length,) = struct.unpack("<Q", f.read(8))
            if length > 100_000_000:
                return None
            header = json.loads(f.read(length))
    except (OSError, ValueError, struct.error):
        return None
    total = 0
    for name, entry in header.items():
        if name == "__metadata__" or not isinstance(entry, dict):
            continue
        count = 1
        for dim in entry.get("shape", []):
            count *= int(dim)
        total += count
    return total
