"""One SFT run with Tunix's PeftTrainer: data, model, optimizer, checkpoints, events,
stop requests and the closing greedy generations. Imports JAX/Tunix."""

from __future__ import annotations

import contextlib
import hashlib
import importlib.metadata
import resource
import signal
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jax
import numpy as np
import optax
import orbax.checkpoint as ocp
from tunix.generate import sampler as sampler_lib
from tunix.sft import hooks as hooks_lib
from tunix.sft import metrics_logger as metrics_lib
from tunix.sft import peft_trainer
from tunix.sft import utils as sft_utils

from tunix_rt_backend.templates.gemma_reasoning import END_TURN, TEMPLATE_SHA256, answers_match
from tunix_rt_backend.training import data
from tunix_rt_backend.training.events import Checkpoint, Generation, Metric, emit, log
from tunix_rt_backend.training.manifest import RunManifest, TrainingSection
from tunix_rt_backend.training.models import LoadedModel, load_model

MAX_CHECKPOINTS_KEPT = 3
# Room past the longest completion in the data before a generation is cut off.
GENERATION_MARGIN = 16


class RunFailed(Exception):
    """The run cannot go on; the message is for the user."""


class StopSignal:
    """A stop is asked for by SIGTERM/SIGINT or by creating the stop file; the batch
    stream then ends, and the trainer saves a final checkpoint as it closes."""

    def __init__(self, stop_file: Path | None) -> None:
        self.stop_file = stop_file
        self.signalled = False
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, self._on_signal)

    def _on_signal(self, *_: Any) -> None:
        self.signalled = True

    @property
    def requested(self) -> bool:
        return self.signalled or (self.stop_file is not None and self.stop_file.exists())


STEPS_PER_SECOND = "train/steps_per_second"
TOKENS_PER_SECOND = "train/tokens_per_second"
# The steps a throughput point is measured over: enough to smooth a step's jitter, few
# enough that a slowdown shows within a few steps.
THROUGHPUT_WINDOW = 10


class EventBackend:
    """A Tunix metrics backend that turns train/eval scalars into `metric` events, and
    adds the pace: with each train/loss point from the second on, the steps and the
    tokens trained per second over the last `THROUGHPUT_WINDOW` steps
    (`tokens_per_step`: the batch size times the mean example's non-padding tokens;
    evaluations and checkpoints on the way count as time). The pace so far since the
    start would count the first step's compilation for good, and an ETA from it would
    stay too long. It is a process-wide jax.monitoring listener, so it filters (orbax
    logs too)."""

    def __init__(
        self, tokens_per_step: float, clock: Callable[[], float] = time.perf_counter
    ) -> None:
        self.tokens_per_step = tokens_per_step
        self.clock = clock
        self.losses: list[float] = []
        self.last: dict[str, float] = {}
        self.eval_step: int | None = None
        self.timed: list[tuple[int, float]] = []  # (step, clock) of recent loss points

    def log_scalar(self, event: str, value: Any, **kw: Any) -> None:
        if not event.startswith(("/train/", "/eval/")):
            return
        name, number, step = event.strip("/"), float(np.asarray(value)), kw.get("step")
        self.last[name] = number
        if name == "eval/loss":
            self.eval_step = step
        emit(Metric(step, name, number))
        if name == "train/loss":
            self.losses.append(number)
            if step is not None:
                self._throughput(step)

    def _throughput(self, step: int) -> None:
        self.timed = [*self.timed[-THROUGHPUT_WINDOW:], (step, self.clock())]
        (first, since), (_, now) = self.timed[0], self.timed[-1]
        if step > first and now > since:
            steps_per_second = (step - first) / (now - since)
            emit(Metric(step, STEPS_PER_SECOND, round(steps_per_second, 4)))
            emit(Metric(step, TOKENS_PER_SECOND, round(steps_per_second * self.tokens_per_step, 1)))

    def close(self) -> None:
        pass


class CheckpointWatcher(hooks_lib.TrainingHooks):  # type: ignore[misc]
    """Emits a `checkpoint` event for each committed checkpoint as it appears."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.seen: set[int] = set()

    def scan(self) -> None:
        if not self.root.is_dir():
            return
        for path in sorted(self.root.iterdir(), key=lambda p: p.name):
            if path.name.isdigit() and (path / "commit_success.txt").exists():
                step = int(path.name)
                if step not in self.seen:
                    self.seen.add(step)
                    emit(Checkpoint(step, str(path)))

    def on_train_start(self, _: Any) -> None:
        self.seen |= (
            {int(p.name) for p in self.root.glob("[0-9]*")} if self.root.is_dir() else set()
        )

    def on_train_step_end(self, *_: Any) -> None:
        self.scan()

    def on_train_end(self, _: Any) -> None:
        pass

    def on_train_step_start(self, _: Any) -> None:
        pass

    def on_eval_step_start(self, _: Any) -> None:
        pass

    def on_eval_step_end(self, *_: Any) -> None:
        pass


def _optimizer(cfg: TrainingSection, total_steps: int) -> optax.GradientTransformation:
    warmup = min(cfg.warmup_steps, max(total_steps - 1, 0))
    decay_steps = max(total_steps - warmup, 1)
    if cfg.lr_schedule == "constant":
        main = optax.constant_schedule(cfg.learning_rate)
    elif cfg.lr_schedule == "linear":
        main = optax.linear_schedule(cfg.learning_rate, 0.0, decay_steps)
    else:
        main = optax.cosine_decay_schedule(cfg.learning_rate, decay_steps, alpha=0.1)
    schedule = (
        optax.join_schedules(
            [optax.linear_schedule(0.0, cfg.learning_rate, warmup), main], [warmup]
        )
        if warmup
        else main
    )
    # inject_hyperparams outermost, or Tunix cannot read (and log) the learning rate.
    return optax.inject_hyperparams(
        lambda learning_rate: optax.chain(
            optax.clip_by_global_norm(1.0), optax.adamw(learning_rate, weight_decay=0.01)
        )
    )(learning_rate=schedule)


def apply_lora(loaded: LoadedModel, cfg: TrainingSection) -> None:
    import qwix

    provider = qwix.LoraProvider(
        # Gemma's attention projections are einsums; Llama's and Qwen's are q/k/v/o_proj.
        module_path=".*q_einsum|.*kv_einsum|.*(q|k|v|o)_proj|.*gate_proj|.*down_proj|.*up_proj",
        rank=cfg.lora_rank,
        alpha=cfg.lora_alpha,
    )
    from flax import nnx

    loaded.model = qwix.apply_lora_to_model(
        loaded.model, provider, rngs=nnx.Rngs(cfg.seed), **loaded.model.get_model_input()
    )


def _batches(examples: data.Examples, cfg: TrainingSection, stop: StopSignal) -> Any:
    for rows in data.batch_indices(len(examples), cfg.batch_size, cfg.seed):
        if stop.requested:
            log("stop requested: ending the batch stream (a final checkpoint follows)")
            return
        yield peft_trainer.TrainingInput(
            input_tokens=examples.tokens[rows], input_mask=examples.loss_mask[rows]
        )


def _eval_batches(examples: data.Examples, batch_size: int) -> list[Any]:
    return [
        peft_trainer.TrainingInput(
            input_tokens=examples.tokens[i : i + batch_size],
            input_mask=examples.loss_mask[i : i + batch_size],
        )
        for i in range(0, len(examples), batch_size)
    ]


def _model_inputs(pad_id: int) -> Any:
    def make(batch: Any) -> dict[str, Any]:
        not_pad = batch.input_tokens != pad_id
        return {
            "input_tokens": batch.input_tokens,
            "input_mask": batch.input_mask,
            "positions": sft_utils.build_positions_from_mask(not_pad),
            "attention_mask": sft_utils.make_causal_attn_mask(not_pad),
        }

    return make


def generation_steps(tok: data.Tokenizer, records: list[dict[str, Any]], max_len: int) -> int:
    """Enough tokens for the longest completion in the data (what the model learned to
    write) plus a margin, and no more than a training sequence holds."""
    longest = max((len(tok.encode(r["completion"])) for r in records), default=0)
    return max(1, min(longest + GENERATION_MARGIN, max_len))


def greedy_sampler(loaded: LoadedModel, cache_size: int) -> Any:
    """Tunix's Sampler over the model as it is now (it snapshots the weights), with a
    KV cache of `cache_size` tokens (prompt and answer)."""
    return sampler_lib.Sampler(
        transformer=loaded.model,
        tokenizer=loaded.tokenizer,
        cache_config=sampler_lib.CacheConfig(
            cache_size=cache_size,
            num_layers=loaded.num_layers,
            num_kv_heads=loaded.num_kv_heads,
            head_dim=loaded.head_dim,
        ),
    )


def stop_tokens(tok: Any) -> list[int]:
    """What ends an answer: the turn's end, a token of its own in Gemma's vocabulary
    (and the byte tokenizer's); elsewhere it is several pieces, and the end-of-sequence
    id stops it."""
    end_turn = tok.encode(END_TURN)
    return [tok.eos_id(), *(end_turn if len(end_turn) == 1 else [])]


def _generate(
    loaded: LoadedModel, records: list[dict[str, Any]], gen_steps: int, step: int
) -> float | None:
    """Greedy answers to held-out prompts after `step` steps; returns exact-match
    accuracy."""
    if not records:
        return None
    tok = loaded.tokenizer
    prompt_len = max(len(tok.encode(r["prompt"])) for r in records) + 1
    out = greedy_sampler(loaded, prompt_len + gen_steps)(
        [r["prompt"] for r in records],
        max_generation_steps=gen_steps,
        max_prompt_length=prompt_len,
        temperature=0.0,
        eos_tokens=stop_tokens(tok),
    )
    correct = 0
    for index, (record, text) in enumerate(zip(records, out.text, strict=True)):
        ok = answers_match(record["final_answer"], text)
        correct += ok
        emit(Generation(index, step, record["prompt"], record["final_answer"], text, ok))
    return correct / len(records)


def run(
    manifest: RunManifest,
    dataset_path: Path,
    output_dir: Path,
    *,
    resume: bool = False,
    stop_file: Path | None = None,
) -> dict[str, Any]:
    started = time.perf_counter()
    cfg = manifest.training
    stop = StopSignal(stop_file)
    if manifest.template.sha256 != TEMPLATE_SHA256:
        raise RunFailed(
            f"the dataset was rendered with template {manifest.template.name} "
            f"({manifest.template.sha256[:12]}), not this version's ({TEMPLATE_SHA256[:12]})"
        )
    ckpt_root = output_dir / "checkpoints"
    if ckpt_root.is_dir() and any(ckpt_root.iterdir()) and not resume:
        raise RunFailed(
            f"{manifest.output.dir}/checkpoints already holds checkpoints; resume, or use a "
            "new output_dir"
        )

    train_records, eval_records = data.read_export(dataset_path)
    if not train_records:
        raise RunFailed(f"the dataset {manifest.dataset.key} holds no training examples")
    loaded = load_model(manifest.model.id, cfg.max_seq_length, cfg.seed)
    if cfg.method == "lora":
        apply_lora(loaded, cfg)
    train = data.tokenize(train_records, loaded.tokenizer, cfg.max_seq_length)
    evals = data.tokenize(eval_records, loaded.tokenizer, cfg.max_seq_length)
    per_epoch = data.steps_per_epoch(len(train), cfg.batch_size)
    total_steps = cfg.max_steps or cfg.num_epochs * per_epoch
    log(
        f"model {manifest.model.id} ({cfg.method}); {len(train)} train / {len(evals)} eval "
        f"examples, {train.truncated + evals.truncated} truncated at {cfg.max_seq_length} "
        f"tokens; {total_steps} steps of {cfg.batch_size} ({per_epoch} per epoch)"
    )

    tokens = int((train.tokens != loaded.tokenizer.pad_id()).sum() / max(len(train), 1))
    backend = EventBackend(cfg.batch_size * tokens)
    watcher = CheckpointWatcher(ckpt_root)
    config = peft_trainer.TrainingConfig(
        eval_every_n_steps=cfg.eval_every_n_steps,
        max_steps=total_steps,
        checkpoint_root_directory=str(ckpt_root),
        checkpointing_options=ocp.CheckpointManagerOptions(
            save_interval_steps=cfg.checkpoint_every_n_steps,
            max_to_keep=MAX_CHECKPOINTS_KEPT,
            # Synchronous saves: a checkpoint is committed when its event is emitted,
            # so a stop or a lost worker never leaves a run pointing at a partial one.
            enable_async_checkpointing=False,
        ),
        metrics_logging_options=metrics_lib.MetricsLoggerOptions(
            log_dir=str(output_dir / "metrics"),
            flush_every_n_steps=10,
            backend_kwargs={"custom_backend": [lambda: backend]},
        ),
        pbar_description=None,
    )
    trainer = peft_trainer.PeftTrainer(loaded.model, _optimizer(cfg, total_steps), config)
    start_step = int(trainer.train_steps)
    if start_step:
        log(f"resuming from the checkpoint at step {start_step}")
    trainer = trainer.with_gen_model_input_fn(_model_inputs(loaded.tokenizer.pad_id()))
    trainer.with_training_hooks(watcher)
    trainer.train(_batches(train, cfg, stop), _eval_batches(evals, cfg.batch_size) or None)
    _unregister(trainer)
    watcher.scan()
    steps = int(trainer.train_steps)
    train_wall = time.perf_counter() - started

    accuracy = None
    if cfg.num_generations and not stop.requested:
        held_out = (eval_records or train_records)[: cfg.num_generations]
        gen_steps = generation_steps(
            loaded.tokenizer, train_records + eval_records, cfg.max_seq_length
        )
        accuracy = _generate(loaded, held_out, gen_steps, steps)
    return {
        "status": "cancelled" if stop.requested else "completed",
        "start_step": start_step,
        "steps": steps,
        "initial_loss": backend.losses[0] if backend.losses else None,
        "final_loss": backend.losses[-1] if backend.losses else None,
        "eval_loss": backend.last.get("eval/loss"),
        "eval_loss_step": backend.eval_step,
        "exact_match": accuracy,
        "train_examples": len(train),
        "eval_examples": len(evals),
        "latest_checkpoint": max(watcher.seen) if watcher.seen else None,
        "wall_seconds": round(time.perf_counter() - started, 2),
        "steps_per_second": round((steps - start_step) / train_wall, 3) if train_wall else None,
        "tokens_per_second": round((steps - start_step) * cfg.batch_size * tokens / train_wall)
        if train_wall
        else None,
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "params_sha256": params_digest(loaded.model),
        "versions": library_versions(),
    }


def library_versions() -> dict[str, str | None]:
    """The versions of the libraries that trained the weights (a model version's
    provenance)."""
    versions: dict[str, str | None] = {}
    for name in ("google-tunix", "jax", "flax", "optax"):
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = None
    return versions


def params_digest(model: Any) -> str:
    """sha256 over every trained parameter's bytes, in a fixed order: equal digests
    mean identical weights (how a restore is checked)."""
    from flax import nnx

    digest = hashlib.sha256()
    for leaf in jax.tree.leaves(nnx.state(model, nnx.Param)):
        digest.update(np.asarray(leaf).tobytes())
    return digest.hexdigest()


def _unregister(trainer: Any) -> None:
    # MetricsLogger.close() leaves its listeners registered with jax.monitoring
    # (jax 0.10.2): remove them, or they would see every later scalar.
    for backend in getattr(trainer.metrics_logger, "_backends", []):
        with contextlib.suppress(AssertionError, ValueError):
            jax.monitoring.unregister_scalar_listener(backend.log_scalar)
