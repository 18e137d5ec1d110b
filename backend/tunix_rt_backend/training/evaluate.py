"""The evaluation process: `python -m tunix_rt_backend.training.evaluate --spec S.json
--dataset D.jsonl [--stop-file F]`.

Loads the model (a run's: the architecture it was trained as, its latest checkpoint
restored; or a base model as it is), answers every prompt of D (a `tunix_sft` export
of one split) greedily in batches with Tunix's `Sampler`, and writes an `answer`
event per item (indexed by its line in D), progress as `eval/items_done` metrics and
a closing `done` (events.py). The server's judge scores the answers: this process
only generates.

Fixed shapes: prompts are sorted by length and batched within power-of-two length
buckets, every batch is padded to the same size, and one KV cache fits the longest
bucket, so the sampler compiles once per bucket, not once per batch.

Exit status: 0 completed or cancelled, 1 failed, 2 bad arguments.
"""

from __future__ import annotations

import argparse
import resource
import sys
import threading
import time
import traceback
from pathlib import Path
from typing import Any

import orjson
from pydantic import ValidationError

from tunix_rt_backend.training.events import Answer, Done, Metric, emit, log
from tunix_rt_backend.training.manifest import EvaluationSpec, TrainingSection

MIN_BUCKET = 16
GENERATION_MARGIN = 16
# A base model's sequence length (a built-in one's attention window): room for long
# prompts and answers; the sampler's cache is sized to the data, not to this.
BASE_MAX_SEQ_LENGTH = 4096


def bucket(length: int) -> int:
    """The prompt length a batch is padded to: the next power of two, at least 16."""
    size = MIN_BUCKET
    while size < length:
        size *= 2
    return size


def plan_batches(lengths: list[int], batch_size: int) -> list[tuple[int, list[int]]]:
    """(bucket, item indices) for every batch: items in order of length, a batch never
    spanning two buckets."""
    order = sorted(range(len(lengths)), key=lambda i: (lengths[i], i))
    batches: list[tuple[int, list[int]]] = []
    for i in order:
        size = bucket(lengths[i])
        if batches and batches[-1][0] == size and len(batches[-1][1]) < batch_size:
            batches[-1][1].append(i)
        else:
            batches.append((size, [i]))
    return batches


def read_records(path: Path) -> list[dict[str, Any]]:
    with path.open("rb") as lines:
        return [orjson.loads(line) for line in lines if line.strip()]


def load(
    model_id: str, cfg: TrainingSection | None, checkpoint_root: str | None
) -> tuple[Any, int | None]:
    """The model and the step of the checkpoint restored into it (None: a base model,
    `cfg` None). Evaluation and serving load a run's model the same way."""
    from tunix_rt_backend.training.models import load_model
    from tunix_rt_backend.training.trainer import RunFailed, apply_lora

    if cfg is None:
        return load_model(model_id, BASE_MAX_SEQ_LENGTH, 0), None
    from tunix.sft.checkpoint_manager import CheckpointManager

    # The architecture it was trained as: the same base (a built-in model's seed) and,
    # for LoRA, the adapters, which the checkpoint holds alone.
    loaded = load_model(model_id, cfg.max_seq_length, cfg.seed)
    lora = cfg.method == "lora"
    if lora:
        apply_lora(loaded, cfg)
    if not checkpoint_root or not Path(checkpoint_root).is_dir():
        # The run's own directory, named without the server's path.
        raise RunFailed("no checkpoints at the run's checkpoints/ directory")
    manager = CheckpointManager(root_directory=checkpoint_root)
    step, _ = manager.maybe_restore(loaded.model, restore_only_lora_params=lora)
    manager.close()
    if not step:
        raise RunFailed("no committed checkpoint in the run's checkpoints/ directory")
    return loaded, int(step)


def answer_all(
    loaded: Any, records: list[dict[str, Any]], spec: EvaluationSpec, stop: Any
) -> dict[str, Any]:
    """Answers every record (an `answer` event each); the decoding settings used."""
    from tunix_rt_backend.templates.gemma_reasoning import ANSWER_PREFIX
    from tunix_rt_backend.training.trainer import greedy_sampler, stop_tokens

    tok = loaded.tokenizer
    lengths = [len(tok.encode(r["prompt"])) + 1 for r in records]  # + <bos>
    max_new = spec.max_new_tokens or (
        max((len(tok.encode(r.get("completion") or "")) for r in records), default=0)
        + GENERATION_MARGIN
    )
    batch_size = min(spec.batch_size, len(records))
    batches = plan_batches(lengths, batch_size)
    longest = max(size for size, _ in batches)
    sampler = greedy_sampler(loaded, longest + max_new)
    eos = stop_tokens(tok)
    log(
        f"answering {len(records)} prompts in {len(batches)} batches of {batch_size} "
        f"(prompt buckets {sorted({size for size, _ in batches})}, up to {max_new} new tokens)"
    )
    done = 0
    started = time.perf_counter()
    for number, (size, indices) in enumerate(batches, 1):
        if stop.requested:
            log(f"stop requested: {done} of {len(records)} answered")
            break
        prompts = [records[i]["prompt"] for i in indices]
        padded = prompts + [prompts[-1]] * (batch_size - len(prompts))
        clock = time.perf_counter()
        out = sampler(
            padded,
            max_generation_steps=max_new,
            max_prompt_length=size,
            eos_tokens=eos,
            **_sampling(spec, number),
        )
        latency_ms = (time.perf_counter() - clock) * 1000 / len(indices)
        for i, text, tokens in zip(indices, out.text, out.tokens, strict=False):
            # Tokens before its answer line (all of them when it wrote none).
            at = ("\n" + text).rfind("\n" + ANSWER_PREFIX)
            reasoning_tokens = len(tok.encode(text[: max(at - 1, 0)])) if at >= 0 else len(tokens)
            emit(Answer(i, text, len(tokens), reasoning_tokens, round(latency_ms, 3)))
        done += len(indices)
        emit(Metric(number, "eval/items_done", float(done)))
    wall = time.perf_counter() - started
    compiled = getattr(sampler._compiled_decode_fn, "_cache_size", lambda: None)()
    return {
        "answered": done,
        "decoding": {
            "temperature": spec.temperature,
            "top_p": spec.top_p,
            "seed": spec.seed,
            "max_new_tokens": max_new,
            "batch_size": batch_size,
            "prompt_buckets": sorted({size for size, _ in batches}),
            "cache_size": longest + max_new,
        },
        "batches": len(batches),
        "compiled_shapes": compiled,
        "generation_seconds": round(wall, 3),
        "items_per_second": round(done / wall, 3) if wall else None,
    }


def _sampling(spec: EvaluationSpec, batch: int) -> dict[str, Any]:
    """Greedy at temperature 0; otherwise nucleus sampling (top_p 1: the whole
    distribution), each batch from its own seed."""
    if spec.temperature == 0:
        return {"temperature": 0.0}
    return {
        "temperature": spec.temperature,
        "top_p": spec.top_p or 1.0,
        "seed": (spec.seed or 0) + batch,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tunix_rt_backend.training.evaluate")
    parser.add_argument("--spec", type=Path, required=True, help="EvaluationSpec (JSON)")
    parser.add_argument("--dataset", type=Path, required=True, help="tunix_sft lines to answer")
    parser.add_argument("--stop-file", type=Path, help="stop once this exists")
    args = parser.parse_args(argv)
    sys.settrace(None)  # untraced, as training (see training/__main__.py)
    threading.settrace(None)
    try:
        spec = EvaluationSpec.model_validate_json(args.spec.read_bytes())
        records = read_records(args.dataset)
    except (OSError, ValidationError, ValueError) as exc:
        emit(Done("failed", {"error": f"bad arguments: {exc}"}))
        return 2

    from tunix_rt_backend.training.catalog import ModelNotAvailable
    from tunix_rt_backend.training.trainer import RunFailed, StopSignal

    stop = StopSignal(args.stop_file)
    started = time.perf_counter()
    try:
        if not records:
            raise RunFailed(f"{args.dataset} holds no items to answer")
        loaded, step = load(spec.model_id, spec.training, spec.checkpoint_root)
        if step is not None:
            log(f"restored {spec.model_id} from its checkpoint at step {step}")
        summary = answer_all(loaded, records, spec, stop)
    except (RunFailed, ModelNotAvailable, OSError) as exc:
        emit(Done("failed", {"error": str(exc)}))
        return 1
    except Exception as exc:  # the traceback goes to stderr, the reason into `done`
        traceback.print_exc()
        emit(Done("failed", {"error": f"{type(exc).__name__}: {exc}"}))
        return 1
    summary |= {
        "items": len(records),
        "checkpoint_step": step,
        "wall_seconds": round(time.perf_counter() - started, 2),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }
    emit(Done("cancelled" if stop.requested else "completed", summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
