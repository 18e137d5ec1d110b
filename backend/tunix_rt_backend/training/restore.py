"""Restore a run's latest checkpoint into a fresh model and print its weights' digest:
`python -m tunix_rt_backend.training.restore --manifest M.yaml --output-dir DIR`.
Prints JSON `{"step": N, "params_sha256": "..."}`; the training process reports the
same digest for the weights it trained."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import orjson

from tunix_rt_backend.training.manifest import RunManifest


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tunix_rt_backend.training.restore")
    parser.add_argument("--manifest", type=Path, required=True)
    parser.add_argument("--output-dir", type=Path, required=True)
    args = parser.parse_args(argv)
    manifest = RunManifest.load(args.manifest)

    from tunix.sft.checkpoint_manager import CheckpointManager

    from tunix_rt_backend.training.models import load_model
    from tunix_rt_backend.training.trainer import apply_lora, params_digest

    cfg = manifest.training
    # Full fine-tuning: another seed than training's, so only a real restore can make the
    # weights equal. LoRA checkpoints hold the adapters only: the base must be the one
    # trained on (for a built-in model, the same seed), the adapters start elsewhere.
    lora = cfg.method == "lora"
    loaded = load_model(manifest.model.id, cfg.max_seq_length, cfg.seed if lora else cfg.seed + 1)
    if lora:
        apply_lora(loaded, cfg.model_copy(update={"seed": cfg.seed + 1}))
    manager = CheckpointManager(root_directory=str(args.output_dir / "checkpoints"))
    step, _ = manager.maybe_restore(loaded.model, restore_only_lora_params=lora)
    manager.close()
    print(orjson.dumps({"step": step, "params_sha256": params_digest(loaded.model)}).decode())
    return 0


if __name__ == "__main__":
    sys.exit(main())
