"""The baseline of bench/training_overhead.py: the same SFT run as Tunix RT's training
process, written as a plain Tunix script with no Tunix RT code in the training loop.

It reads the same run manifest (with PyYAML, not Tunix RT's schema) and the same
`tunix_sft` NDJSON dataset, and does what `tunix_rt_backend.training` does for the
built-in `tunix-rt/tiny-gemma3`: a Gemma 3 of 2 layers, width 128, 4 heads, one KV
head, float32, random init from the seed; byte tokens with the loss on the completion
only; AdamW (weight decay 0.01) after global-norm clipping at 1.0, its learning rate
warmed up linearly and then decayed (cosine to 10 %, linear, or constant); the same
shuffled batch order; Tunix's PeftTrainer with the same TrainingConfig (eval interval,
orbax checkpoint interval, 3 kept, no progress-bar description) and the same number
of steps. From Tunix RT it imports only ByteTokenizer and data.tokenize, so that both
programs train on identical token arrays (the benchmark checks that they end with
identical weights).

What it leaves out is what the benchmark measures: no metrics backend (Tunix keeps
its metric history in memory and calls jax.monitoring, with no listener), no hooks
(no checkpoint watcher), no stop-file check per batch, no JSON event per metric.

It prints three JSON lines on stdout, with the fields of Tunix RT's events that the
benchmark reads: `ready` where Tunix RT logs its "model ..." line (data read, model
built, examples tokenized; the trainer is not built yet), `done` after training and
the parameter digest (as Tunix RT's `done`), each with `time` (time.time(), ms).

    python bench/_bare_tunix_sft.py --manifest M.yaml --dataset D.jsonl --output-dir DIR
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from pathlib import Path
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import optax
import orbax.checkpoint as ocp
import yaml
from flax import nnx
from tunix.models.gemma3 import model as gemma3
from tunix.sft import peft_trainer
from tunix.sft import utils as sft_utils
from tunix_rt_backend.training.data import tokenize
from tunix_rt_backend.training.tokenizer import ByteTokenizer

# tunix-rt/tiny-gemma3 (training/catalog.py, training/models.py)
MODEL_ID = "tunix-rt/tiny-gemma3"
LAYERS, DIM, HEADS = 2, 128, 4
MAX_CHECKPOINTS_KEPT = 3


def mark(event: str, **fields: Any) -> None:
    print(json.dumps({"event": event, "time": round(time.time(), 3), **fields}), flush=True)


def read_dataset(path: Path) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    train: list[dict[str, Any]] = []
    evals: list[dict[str, Any]] = []
    for line in path.read_text().splitlines():
        if line.strip():
            record = json.loads(line)
            (evals if record.get("split") == "eval" else train).append(record)
    return train, evals


def build_model(max_seq_length: int, seed: int, vocab: int) -> Any:
    config = gemma3.ModelConfig(
        num_layers=LAYERS,
        num_embed=vocab,
        embed_dim=DIM,
        hidden_dim=4 * DIM,
        num_heads=HEADS,
        head_dim=DIM // HEADS,
        num_kv_heads=1,
        sliding_window_size=2 * max_seq_length + 512,
        param_dtype=jnp.float32,
    )
    return gemma3.Gemma3(config, rngs=nnx.Rngs(params=seed))


def optimizer(cfg: dict[str, Any], total_steps: int) -> optax.GradientTransformation:
    lr = cfg["learning_rate"]
    warmup = min(cfg["warmup_steps"], max(total_steps - 1, 0))
    decay_steps = max(total_steps - warmup, 1)
    if cfg["lr_schedule"] == "constant":
        main = optax.constant_schedule(lr)
    elif cfg["lr_schedule"] == "linear":
        main = optax.linear_schedule(lr, 0.0, decay_steps)
    else:
        main = optax.cosine_decay_schedule(lr, decay_steps, alpha=0.1)
    schedule = (
        optax.join_schedules([optax.linear_schedule(0.0, lr, warmup), main], [warmup])
        if warmup
        else main
    )
    return optax.inject_hyperparams(
        lambda learning_rate: optax.chain(
            optax.clip_by_global_norm(1.0), optax.adamw(learning_rate, weight_decay=0.01)
        )
    )(learning_rate=schedule)


def batches(tokens: np.ndarray, mask: np.ndarray, batch_size: int, seed: int) -> Any:
    """Endless shuffled batches, reshuffled each epoch (data.batch_indices' order)."""
    count = len(tokens)
    rng = np.random.default_rng(seed)
    while True:
        order = rng.permutation(count)
        if count < batch_size:
            order = np.resize(order, batch_size)
        for start in range(0, len(order) - batch_size + 1, batch_size):
            rows = order[start : start + batch_size]
            yield peft_trainer.TrainingInput(input_tokens=tokens[rows], input_mask=mask[rows])


def model_inputs(pad_id: int) -> Any:
    def make(batch: Any) -> dict[str, Any]:
        not_pad = batch.input_tokens != pad_id
        return {
            "input_tokens": batch.input_tokens,
            "input_mask": batch.input_mask,
            "positions": sft_utils.build_positions_from_mask(not_pad),
            "attention_mask": sft_utils.make_causal_attn_mask(not_pad),
        }

    return make


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--manifest", type=Path, required=True)
    parser.add_argument("--dataset", type=Path, required=True)
    parser.add_argument("--output-dir", type=Path, required=True)
    args = parser.parse_args()
    manifest = yaml.safe_load(args.manifest.read_text())
    if manifest["model"]["id"] != MODEL_ID:
        sys.exit(f"only {MODEL_ID} is reproduced here, not {manifest['model']['id']}")
    cfg = manifest["training"]
    if cfg["method"] != "full" or cfg["num_generations"]:
        sys.exit("only full fine-tuning without generations is reproduced here")
    args.output_dir.mkdir(parents=True, exist_ok=True)

    train_records, eval_records = read_dataset(args.dataset)
    tok = ByteTokenizer()
    model = build_model(cfg["max_seq_length"], cfg["seed"], tok.vocab_size)
    train = tokenize(train_records, tok, cfg["max_seq_length"])
    evals = tokenize(eval_records, tok, cfg["max_seq_length"])
    total_steps = cfg["max_steps"] or cfg["num_epochs"] * max(1, len(train) // cfg["batch_size"])
    mark("ready", steps=total_steps)

    config = peft_trainer.TrainingConfig(
        eval_every_n_steps=cfg["eval_every_n_steps"],
        max_steps=total_steps,
        checkpoint_root_directory=str(args.output_dir / "checkpoints"),
        checkpointing_options=ocp.CheckpointManagerOptions(
            save_interval_steps=cfg["checkpoint_every_n_steps"],
            max_to_keep=MAX_CHECKPOINTS_KEPT,
        ),
        pbar_description=None,
    )
    trainer = peft_trainer.PeftTrainer(model, optimizer(cfg, total_steps), config)
    trainer = trainer.with_gen_model_input_fn(model_inputs(tok.pad_id()))
    size = cfg["batch_size"]
    eval_batches = [
        peft_trainer.TrainingInput(
            input_tokens=evals.tokens[i : i + size], input_mask=evals.loss_mask[i : i + size]
        )
        for i in range(0, len(evals), size)
    ]
    trainer.train(batches(train.tokens, train.loss_mask, size, cfg["seed"]), eval_batches or None)

    digest = hashlib.sha256()
    for leaf in jax.tree.leaves(nnx.state(model, nnx.Param)):
        digest.update(np.asarray(leaf).tobytes())
    losses = trainer.metrics_logger.get_metric_history("", "loss", "train")
    eval_loss = (
        trainer.metrics_logger.get_metric_history("", "loss", "eval")[-1] if eval_batches else None
    )
    mark(
        "done",
        status="completed",
        summary={
            "steps": int(trainer.train_steps),
            "initial_loss": float(losses[0]),
            "final_loss": float(losses[-1]),
            "eval_loss": None if eval_loss is None else float(eval_loss),
            "params_sha256": digest.hexdigest(),
        },
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
