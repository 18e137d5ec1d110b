"""Evaluation throughput: Tunix RT's evaluation job against a bare Tunix Sampler script.

On a real server (`tunix-rt serve`, SQLite, its embedded worker) this benchmark
generates --games High Card Duel games, builds a dataset with a 10 % held-out split
(500 prompts at the default), trains tunix-rt/tiny-gemma3 for --steps steps and then:

  completion -> evaluation  the automatic evaluation that the run's completion queues:
            from the run's `completed_at` to its evaluation's (both server clocks);
  job       POST /api/tunix/runs/{id}/evaluate (sync, exact_match, batch --batch): the
            whole job as a user waits for it, from the request to the response: queue,
            the evaluation process (start, model and checkpoint, generation), judging
            and storing every item, the summary;
  bare      bench/_bare_tunix_sampler.py: the same model restored from the same
            checkpoint, the same prompts, batch size and max_new_tokens, answered by
            Tunix's Sampler in a fresh process with nothing else: from starting it to
            its exit.

Both answer every held-out prompt; items/s = prompts / wall. Rounds alternate job,
bare, job, bare... (--repeats). Target: job/bare items/s >= 0.9 (medians).

Batching: the bare script at batch 1 (on the first 64 prompts) against batch --batch,
items/s of their warm batches (after the first, which compiles). Target >= 4x.

Run from the repository root:

    .venv/bin/python bench/evaluation.py            # 5,000 games (500 held out), 150 steps
    .venv/bin/python bench/evaluation.py --quick    # 600 games, 30 steps, 1 round

Figures are printed and written to bench/results/evaluation.json (other options:
evaluation.json.tmp, ignored by git).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import orjson
from _support import REPO_ROOT, json_of, print_table, serve, write_results
from tunix_rt_backend.db.migrate import upgrade

PYTHON = REPO_ROOT / ".venv" / "bin" / "python"
BARE_SCRIPT = REPO_ROOT / "bench" / "_bare_tunix_sampler.py"
TARGET_RATIO = 0.9
TARGET_BATCH_SPEEDUP = 4.0
BATCH_ONE_PROMPTS = 64
# For context: warm items/s of the bare sampler at other batch sizes.
SWEEP_BATCHES = (4, 8, 16, 64)
SWEEP_PROMPTS = 256
TIMEOUT_S = 1800.0
DEFAULTS = {"games": 5000, "steps": 150, "batch": 32, "repeats": 3}
QUICK = {"games": 600, "steps": 30, "batch": 32, "repeats": 1}
TRAINING = {
    "model_id": "tunix-rt/tiny-gemma3",
    "batch_size": 8,
    "learning_rate": 5e-3,
    "warmup_steps": 20,
    "max_seq_length": 240,
    "checkpoint_every_n_steps": 1000,
    "eval_every_n_steps": 1000,
    "num_generations": 0,
}


def _time(stamp: str) -> datetime:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00"))


def prepare(
    client: httpx.Client, args: argparse.Namespace
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The dataset and the trained run."""
    json_of(
        client.post("/api/ungar/high-card-duel/generate", json={"count": args.games, "seed": 0}),
        201,
    )
    dataset = json_of(
        client.post(
            "/api/datasets/build",
            json={
                "name": "bench-hcd",
                "limit": args.games,
                "filters": {"source": "ungar"},
            },
        ),
        201,
    )
    body = {
        "dataset_key": dataset["dataset_key"],
        "dry_run": False,
        "max_steps": args.steps,
    }
    run = json_of(client.post("/api/tunix/run", json={**TRAINING, **body}), 202)
    if run["status"] != "completed":
        raise RuntimeError(f"training {run['status']}: {run['message']}")
    return dataset, run


def automatic(client: httpx.Client, run: dict[str, Any]) -> dict[str, Any]:
    """The evaluation the run's completion queued, once it has ended."""
    deadline = time.monotonic() + TIMEOUT_S
    while time.monotonic() < deadline:
        response = client.get(f"/api/tunix/runs/{run['run_id']}/evaluation")
        if response.status_code == 200 and response.json()["status"] not in (
            "pending",
            "running",
        ):
            return json_of(response, 200)
        time.sleep(0.2)
    raise RuntimeError("the automatic evaluation did not end")


def job(client: httpx.Client, run_id: str) -> dict[str, Any]:
    start = time.perf_counter()
    evaluation = json_of(client.post(f"/api/tunix/runs/{run_id}/evaluate", json={}), 201)
    wall = time.perf_counter() - start
    if evaluation["status"] != "completed":
        raise RuntimeError(f"evaluation {evaluation['status']}: {evaluation['message']}")
    return {"wall_s": wall, "items": evaluation["n_items"], "evaluation": evaluation}


def bare(
    run_dir: Path, items: Path, batch: int, max_new: int, limit: int | None = None
) -> dict[str, Any]:
    command = [
        str(PYTHON), str(BARE_SCRIPT),
        "--checkpoints", str(run_dir / "checkpoints"),
        "--seed", "0",
        "--max-seq-length", str(TRAINING["max_seq_length"]),
        "--dataset", str(items),
        "--batch", str(batch),
        "--max-new-tokens", str(max_new),
    ]  # fmt: skip
    if limit is not None:
        command += ["--limit", str(limit)]
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, timeout=TIMEOUT_S, check=False)
    wall = time.perf_counter() - start
    if done.returncode != 0:
        raise RuntimeError(f"bare sampler failed:\n{done.stderr.decode()[-3000:]}")
    events = [orjson.loads(line) for line in done.stdout.splitlines() if line.startswith(b"{")]
    result = events[-1]
    return {"wall_s": wall, "items": result["answered"], **result}


def _walls(runs: list[dict[str, Any]]) -> list[float]:
    return [round(r["wall_s"], 2) for r in runs]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--games", type=int, default=DEFAULTS["games"])
    parser.add_argument("--steps", type=int, default=DEFAULTS["steps"])
    parser.add_argument("--batch", type=int, default=DEFAULTS["batch"])
    parser.add_argument("--repeats", type=int, default=DEFAULTS["repeats"])
    parser.add_argument("--quick", action="store_true", help=f"{QUICK}")
    args = parser.parse_args()
    if args.quick:
        for name, value in QUICK.items():
            setattr(args, name, value)
    standard = all(getattr(args, k) == v for k, v in DEFAULTS.items())

    with tempfile.TemporaryDirectory(prefix="tunix-rt-bench-eval-") as tmp:
        workdir = Path(tmp)
        db_url = f"sqlite+aiosqlite:///{workdir / 'bench.db'}"
        upgrade(db_url)
        env = {
            "EVAL_AUTO": "true",
            "EVAL_BATCH_SIZE": str(args.batch),
            "REDIAI_MODE": "mock",
        }
        with (
            serve(db_url, workdir, env) as base_url,
            httpx.Client(base_url=base_url, timeout=TIMEOUT_S) as client,
        ):
            dataset, run = prepare(client, args)
            auto = automatic(client, run)
            follow_s = (_time(auto["completed_at"]) - _time(run["completed_at"])).total_seconds()
            print(
                f"{dataset['split']['eval']} held-out prompts; run {run['run_id']} trained "
                f"{args.steps} steps; its evaluation stored {follow_s:.1f} s after it "
                f"completed ({auto['score']:.1f}% exact match)"
            )
            run_dir = workdir / "artifacts" / run["output_dir"]
            items = workdir / "artifacts" / "evaluations" / auto["id"] / "items.jsonl"
            max_new = int(auto["decoding"]["max_new_tokens"])
            jobs, bares = [], []
            for _ in range(args.repeats):
                jobs.append(job(client, run["run_id"]))
                bares.append(bare(run_dir, items, args.batch, max_new))
                print(
                    f"  job {jobs[-1]['wall_s']:.2f} s, bare {bares[-1]['wall_s']:.2f} s",
                    flush=True,
                )
            one = bare(run_dir, items, 1, max_new, limit=BATCH_ONE_PROMPTS)
            sweep = {
                size: bare(run_dir, items, size, max_new, limit=SWEEP_PROMPTS)
                for size in SWEEP_BATCHES
            }

    n = jobs[0]["items"]
    job_rate = statistics.median(n / r["wall_s"] for r in jobs)
    bare_rate = statistics.median(n / r["wall_s"] for r in bares)
    warm_batch = statistics.median(r["warm_answered"] / r["warm_generation_s"] for r in bares)
    warm_one = one["warm_answered"] / one["warm_generation_s"]
    ratio, speedup = job_rate / bare_rate, warm_batch / warm_one
    job_wall = statistics.median(r["wall_s"] for r in jobs)
    bare_wall = statistics.median(r["wall_s"] for r in bares)
    print_table(
        ["", "wall s (median)", "items/s"],
        [
            ["tunix-rt job", f"{job_wall:.2f}", f"{job_rate:.1f}"],
            ["bare Sampler", f"{bare_wall:.2f}", f"{bare_rate:.1f}"],
        ],
    )
    print(f"job / bare: {ratio:.3f} (target >= {TARGET_RATIO})")
    print(
        f"warm generation: batch {args.batch} {warm_batch:.1f} items/s, batch 1 "
        f"{warm_one:.1f} items/s: {speedup:.1f}x (target >= {TARGET_BATCH_SPEEDUP}x)"
    )
    rates = {size: r["warm_answered"] / r["warm_generation_s"] for size, r in sweep.items()}
    rates |= {1: warm_one, args.batch: warm_batch}
    print(
        "warm items/s by batch size: "
        + ", ".join(f"{k}: {v:.1f}" for k, v in sorted(rates.items()))
    )
    print(f"completion -> stored evaluation: {follow_s:.1f} s")
    path = write_results(
        "evaluation",
        {
            "options": vars(args),
            "prompts": n,
            "max_new_tokens": max_new,
            "job": {"items_per_s": round(job_rate, 2), "walls_s": _walls(jobs)},
            "bare": {"items_per_s": round(bare_rate, 2), "walls_s": _walls(bares)},
            "ratio": round(ratio, 3),
            "target_ratio": TARGET_RATIO,
            "warm_items_per_s": {"batch": round(warm_batch, 2), "batch_1": round(warm_one, 2)},
            "batch_speedup": round(speedup, 2),
            "warm_items_per_s_by_batch": {str(k): round(v, 2) for k, v in sorted(rates.items())},
            "target_batch_speedup": TARGET_BATCH_SPEEDUP,
            "completion_to_evaluation_s": round(follow_s, 2),
            "automatic_evaluation": {
                "score": auto["score"],
                "interval": auto["interval"],
                "generation": auto["details"].get("generation"),
            },
        },
        scratch=not standard,
    )  # fmt: skip
    print(f"written to {path.relative_to(REPO_ROOT)}")
    sys.exit(0)


if __name__ == "__main__":
    main()
