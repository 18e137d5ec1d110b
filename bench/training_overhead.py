"""Training overhead: Tunix RT's training process against a bare Tunix script.

The same SFT run twice, each a fresh subprocess of the venv's Python:

  tunix-rt  `python -m tunix_rt_backend.training --manifest M --dataset D --output-dir
            O --stop-file O/STOP`, the command the train job kind builds
            (`training_command` in runs/execution.py), its stdout (JSON-line
            events) read through a pipe as a worker reads it;
  bare      bench/_bare_tunix_sft.py: the same model (tunix-rt/tiny-gemma3: Gemma 3,
            2 layers, width 128, random init from the seed), byte tokens and loss
            mask (Tunix RT's ByteTokenizer and data.tokenize), optimizer and
            schedule, batch order, PeftTrainer TrainingConfig (eval and checkpoint
            intervals) and number of steps, with no Tunix RT code in the loop: no
            metrics backend, no hooks, no stop-file check, no events.

The data are --traces generated arithmetic traces (generators/arithmetic.py,
difficulty 1) as a `tunix_sft` export: the first --eval-examples are the eval split.
Both runs end without greedy generations (num_generations 0): only training is
compared. Both must end with identical weights (the same parameter sha256), which
shows they did the same work.

One untimed import of the training modules first (so neither pays for a cold page
cache), then tunix-rt, bare, tunix-rt, bare ... for --repeats rounds. Of each child:

  wall      from starting it to reaping it, whole process;
  training  from the event just before the trainer is built (Tunix RT's `log`
            "model ..." line; the bare script's `ready`: data read, model built,
            examples tokenized) to the `done` event (after training, the final
            checkpoint and the parameter digest), by the child's own time stamps;
            it includes the compile, evals and checkpoints;
  startup   from start to that first event (interpreter, imports, data, model);
  cpu       user + system CPU seconds, and peak RSS (ru_maxrss), from wait4();
  steps/s and tokens/s over `training`; tokens = non-pad tokens of the batches
            trained (prompt and completion; the loss covers the completion only).

It reports the median of each and the ratio tunix-rt/bare of the median walls
(target <= 1.05), and for a busy machine, where wall times include waiting for a
CPU, the ratios of the best walls and of the median CPU seconds.

Run from the repository root:

    .venv/bin/python bench/training_overhead.py            # 200 steps, 2 rounds
    .venv/bin/python bench/training_overhead.py --quick    # 30 steps, a smoke check

Figures are printed and written to bench/results/training-overhead.json (a run with
other than the default options writes training-overhead.json.tmp, ignored by git).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import orjson
import yaml
from _support import REPO_ROOT, print_table, write_results
from tunix_rt_backend.datasets.formats import tunix_sft_line
from tunix_rt_backend.generators.arithmetic import generate
from tunix_rt_backend.runs.execution import training_command
from tunix_rt_backend.templates.gemma_reasoning import TEMPLATE_SHA256
from tunix_rt_backend.training import data
from tunix_rt_backend.training.tokenizer import ByteTokenizer

PYTHON = REPO_ROOT / ".venv" / "bin" / "python"
BARE_SCRIPT = REPO_ROOT / "bench" / "_bare_tunix_sft.py"
MODEL_ID = "tunix-rt/tiny-gemma3"
TARGET_RATIO = 1.05
LEARNING_RATE = 3e-3
WARMUP_STEPS = 10
QUICK_STEPS = 30
RUN_TIMEOUT_S = 900.0
DEFAULTS = {
    "traces": 200,
    "eval_examples": 16,
    "steps": 200,
    "batch": 16,
    "max_seq_length": 160,
    "eval_every": 50,
    "checkpoint_every": 100,
    "repeats": 2,
}
MIB = 1024 * 1024


def write_dataset(path: Path, traces: int, eval_examples: int) -> None:
    lines = [
        tunix_sft_line(uuid.UUID(int=n), "eval" if n < eval_examples else "train", dict(t))
        for n, t in enumerate(generate(traces, seed=0, difficulty=1))
    ]
    path.write_bytes(b"".join(lines))


def write_manifest(path: Path, args: argparse.Namespace) -> None:
    document = {
        "version": "1.0",
        "runner": "tunix",
        "task": "sft",
        "model": {"id": MODEL_ID},
        "dataset": {"key": "bench-arithmetic-d1", "format": "tunix_sft"},
        "template": {"name": "gemma-reasoning-v1", "sha256": TEMPLATE_SHA256},
        "training": {
            "learning_rate": LEARNING_RATE,
            "num_epochs": 1,
            "batch_size": args.batch,
            "max_seq_length": args.max_seq_length,
            "max_steps": args.steps,
            "method": "full",
            "lr_schedule": "cosine",
            "warmup_steps": WARMUP_STEPS,
            "eval_every_n_steps": args.eval_every,
            "checkpoint_every_n_steps": args.checkpoint_every,
            "seed": 0,
            "num_generations": 0,
        },
        "output": {"dir": "bench"},
    }
    path.write_text(yaml.safe_dump(document, sort_keys=False))


def trained_tokens(dataset: Path, args: argparse.Namespace) -> dict[str, int]:
    """Non-pad and loss-masked tokens of the batches the run trains on, in order."""
    train, _ = data.read_export(dataset)
    examples = data.tokenize(train, ByteTokenizer(), args.max_seq_length)
    not_pad = (examples.tokens != ByteTokenizer.PAD).sum(axis=1)
    completion = examples.loss_mask.sum(axis=1)
    order = data.batch_indices(len(examples), args.batch, 0)
    tokens = loss = 0
    for _ in range(args.steps):
        rows = next(order)
        tokens += int(not_pad[rows].sum())
        loss += int(completion[rows].sum())
    return {"non_pad": tokens, "loss_masked": loss, "truncated_examples": examples.truncated}


def run_child(command: list[str]) -> dict[str, Any]:
    """Run one training process; its events, wall time and rusage (wait4)."""
    events: list[dict[str, Any]] = []
    with tempfile.TemporaryFile() as stderr:
        started_at = time.time()
        start = time.perf_counter()
        proc = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=stderr, start_new_session=True
        )
        killer = threading.Timer(RUN_TIMEOUT_S, proc.kill)
        killer.start()
        try:
            assert proc.stdout is not None
            for line in proc.stdout:  # read as it comes, as a worker's run_process does
                if line.startswith(b"{"):
                    events.append(orjson.loads(line))
            _, status, usage = os.wait4(proc.pid, 0)
        except BaseException:
            proc.kill()  # its own session: an interrupted bench must not leave it running
            proc.wait()
            raise
        finally:
            killer.cancel()
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        stderr.seek(0)
        err = stderr.read().decode("utf-8", "replace")
    done = events[-1] if events and events[-1]["event"] == "done" else None
    if proc.returncode != 0 or done is None or done.get("status") != "completed":
        raise RuntimeError(f"{command[1:3]} failed ({proc.returncode}): {done}\n{err[-3000:]}")
    first = events[0]["time"]  # Tunix RT's "model ..." log line; the bare `ready`
    return {
        "wall_s": wall,
        "startup_s": first - started_at,
        "training_s": done["time"] - first,
        "cpu_s": usage.ru_utime + usage.ru_stime,
        "peak_rss_mib": usage.ru_maxrss * 1024 / MIB,
        "events": len(events),
        "summary": done["summary"],
    }


def warm_imports() -> None:
    """Load every module both children import once, so neither pays a cold cache."""
    modules = "import tunix_rt_backend.training.trainer, tunix.models.gemma3.model, yaml"
    subprocess.run([str(PYTHON), "-c", modules], check=True)


def median(runs: list[dict[str, Any]], key: str) -> float:
    return float(statistics.median(r[key] for r in runs))


def describe(runs: list[dict[str, Any]], steps: int, tokens: int) -> dict[str, Any]:
    training = median(runs, "training_s")
    return {
        "wall_s": round(median(runs, "wall_s"), 2),
        "best_wall_s": round(min(r["wall_s"] for r in runs), 2),
        "startup_s": round(median(runs, "startup_s"), 2),
        "training_s": round(training, 2),
        "cpu_s": round(median(runs, "cpu_s"), 2),
        "steps_per_s": round(steps / training, 2),
        "tokens_per_s": round(tokens / training),
        "peak_rss_mib": round(max(r["peak_rss_mib"] for r in runs), 1),
        "runs": [
            {k: round(v, 3) if isinstance(v, float) else v for k, v in r.items() if k != "summary"}
            for r in runs
        ],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--traces", type=int, default=DEFAULTS["traces"])
    parser.add_argument("--eval-examples", type=int, default=DEFAULTS["eval_examples"])
    parser.add_argument("--steps", type=int, default=DEFAULTS["steps"])
    parser.add_argument("--batch", type=int, default=DEFAULTS["batch"])
    parser.add_argument("--max-seq-length", type=int, default=DEFAULTS["max_seq_length"])
    parser.add_argument("--eval-every", type=int, default=DEFAULTS["eval_every"])
    parser.add_argument("--checkpoint-every", type=int, default=DEFAULTS["checkpoint_every"])
    parser.add_argument("--repeats", type=int, default=DEFAULTS["repeats"])
    parser.add_argument("--quick", action="store_true", help=f"{QUICK_STEPS} steps, a smoke check")
    args = parser.parse_args()
    if args.quick:
        args.steps = QUICK_STEPS
    options = {k: getattr(args, k) for k in DEFAULTS}
    scratch = options != DEFAULTS

    runs: dict[str, list[dict[str, Any]]] = {"tunix-rt": [], "bare": []}
    with tempfile.TemporaryDirectory(prefix="bench-training-") as tmp:
        root = Path(tmp)
        dataset, manifest = root / "data.jsonl", root / "manifest.yaml"
        write_dataset(dataset, args.traces, args.eval_examples)
        write_manifest(manifest, args)
        tokens = trained_tokens(dataset, args)
        warm_imports()
        for round_ in range(args.repeats):
            for name in runs:
                out = root / f"{name}-{round_}"
                if name == "tunix-rt":
                    command = training_command(manifest, dataset, out)
                    command[0] = str(PYTHON)
                else:
                    command = [str(PYTHON), str(BARE_SCRIPT), "--manifest", str(manifest)]
                    command += ["--dataset", str(dataset), "--output-dir", str(out)]
                print(f"round {round_ + 1}/{args.repeats}: {name} ...", flush=True)
                result = run_child(command)
                runs[name].append(result)
                print(
                    f"  wall {result['wall_s']:.1f} s, training {result['training_s']:.1f} s,"
                    f" cpu {result['cpu_s']:.1f} s, final loss"
                    f" {result['summary']['final_loss']:.4f}",
                    flush=True,
                )
                shutil.rmtree(out, ignore_errors=True)

    summaries = [r["summary"] for rs in runs.values() for r in rs]
    digests = {s["params_sha256"] for s in summaries}
    assert all(s["steps"] == args.steps for s in summaries), [s["steps"] for s in summaries]
    same_weights = len(digests) == 1
    a = describe(runs["tunix-rt"], args.steps, tokens["non_pad"])
    b = describe(runs["bare"], args.steps, tokens["non_pad"])
    ratio = round(a["wall_s"] / b["wall_s"], 3)
    training_ratio = round(a["training_s"] / b["training_s"], 3)
    best_ratio = round(a["best_wall_s"] / b["best_wall_s"], 3)
    cpu_ratio = round(a["cpu_s"] / b["cpu_s"], 3)
    pair_ratios = [
        round(x["wall_s"] / y["wall_s"], 3)
        for x, y in zip(runs["tunix-rt"], runs["bare"], strict=True)
    ]

    print(
        f"\nTraining overhead: {MODEL_ID}, {args.steps} steps of {args.batch} x "
        f"{args.max_seq_length} tokens, {args.traces - args.eval_examples} train / "
        f"{args.eval_examples} eval arithmetic traces (difficulty 1), eval every "
        f"{args.eval_every}, checkpoint every {args.checkpoint_every}, no generations; "
        f"median of {args.repeats} fresh processes each, alternated\n"
    )
    rows = [
        [
            name,
            r["wall_s"],
            r["best_wall_s"],
            r["startup_s"],
            r["training_s"],
            r["cpu_s"],
            r["steps_per_s"],
            f"{r['tokens_per_s']:,}",
            r["peak_rss_mib"],
        ]
        for name, r in (("tunix-rt", a), ("bare", b))
    ]
    print_table(
        [
            "",
            "wall s",
            "best wall s",
            "startup s",
            "training s",
            "cpu s",
            "steps/s",
            "tokens/s",
            "peak RSS MiB",
        ],
        rows,
    )
    met = ratio <= TARGET_RATIO
    print(
        f"\nwall ratio tunix-rt/bare {ratio} (<= {TARGET_RATIO}: {'met' if met else 'MISSED'};"
        f" per round {pair_ratios}); best-of-{args.repeats} wall ratio {best_ratio};"
        f" training ratio {training_ratio}; cpu ratio {cpu_ratio}"
        f"\nidentical final weights: {same_weights}; wall times on a busy machine include"
        " waiting for a CPU, cpu seconds do not"
        f"\ntokens/s counts the {tokens['non_pad']:,} non-pad tokens of the trained batches"
        f" ({tokens['loss_masked']:,} of them in the loss)"
    )
    document = {
        "model": MODEL_ID,
        **options,
        "learning_rate": LEARNING_RATE,
        "warmup_steps": WARMUP_STEPS,
        "generations": 0,
        "trained_tokens": tokens,
        "target_ratio": TARGET_RATIO,
        "ratio_wall": ratio,
        "ratio_training": training_ratio,
        "ratio_best_wall": best_ratio,
        "ratio_cpu": cpu_ratio,
        "ratio_wall_per_round": pair_ratios,
        "target_met": met,
        "identical_weights": same_weights,
        "final_loss": summaries[0]["final_loss"],
        "results": {"tunix-rt": a, "bare": b},
    }
    path = write_results("training-overhead", document, scratch=scratch)
    print(f"\nwritten to {path}")
    if not same_weights:
        sys.exit("the two programs did not train to the same weights: not the same work")


if __name__ == "__main__":
    main()
