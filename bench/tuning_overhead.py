"""Tuning overhead: a study through Tunix RT against the same trials through bare Ray
Tune, and the training steps ASHA saves.

  orchestration  --trials trials (default 16), 2 at once, each the same real work: the
                 training process (`python -m tunix_rt_backend.training`) of the
                 built-in tiny model for --steps steps, learning rates from a fixed
                 list, on one warm local Ray (`ray start --head`, 2 CPUs). Tunix RT: a
                 study created and started over HTTP on a fresh `tunix-rt serve`
                 (SQLite, embedded worker; its driver joins that Ray through
                 RAY_ADDRESS), from start to the study's end, every trial a recorded
                 run (rows, logs, metrics, heartbeats). Bare: a Ray Tune `Tuner` on the
                 same Ray whose function trainable runs the same training command and
                 reports its loss. Overhead per trial = (Tunix RT wall - bare wall) x
                 concurrency / trials (target <= 1 s).
  asha           the test suite's study (4 trials, 40 steps, eval every 10, learning
                 rate log-uniform 1e-5..1e-1, seed 0) with ASHA: the steps the trials
                 trained against 4 x 40.

    .venv/bin/python bench/tuning_overhead.py [--trials 16] [--steps 2]

Figures are printed and written to bench/results/tuning-overhead.json.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import yaml
from _support import (
    REPO_ROOT,
    TUNIX_RT_BIN,
    free_port,
    json_of,
    print_table,
    server_process,
    write_results,
)
from tunix_rt_backend.datasets.formats import tunix_sft_line
from tunix_rt_backend.generators.arithmetic import generate
from tunix_rt_backend.templates.gemma_reasoning import TEMPLATE_SHA256

PYTHON = str(REPO_ROOT / ".venv" / "bin" / "python")
MODEL = "tunix-rt/tiny-gemma3"
CONCURRENCY = 2
TARGET_S = 1.0
TRAINING = {"batch_size": 8, "max_seq_length": 320, "num_generations": 0}


def learning_rates(trials: int) -> list[float]:
    return [10 ** (-5 + 4 * i / max(trials - 1, 1)) for i in range(trials)]


def study(http: httpx.Client, body: dict[str, Any]) -> tuple[dict[str, Any], float]:
    job = json_of(http.post("/api/tuning/jobs", json=body), 201)
    started = time.perf_counter()
    json_of(http.post(f"/api/tuning/jobs/{job['id']}/start"), 202)
    while True:
        job = json_of(http.get(f"/api/tuning/jobs/{job['id']}"), 200)
        if job["status"] in ("completed", "failed", "cancelled"):
            return job, time.perf_counter() - started
        time.sleep(0.2)


@contextlib.contextmanager
def warm_ray(work: Path) -> Iterator[str]:
    """A local Ray cluster, started once for both sides; yields its address."""
    port = free_port()
    ray = str(REPO_ROOT / ".venv" / "bin" / "ray")
    # A loopback-only cluster for this benchmark: no token (both sides and the server's
    # driver inherit this environment).
    os.environ["RAY_AUTH_MODE"] = "disabled"
    env = {**os.environ, "RAY_TMPDIR": str(work)}
    subprocess.run([ray, "start", "--head", "--node-ip-address=127.0.0.1", f"--port={port}",
                    "--num-cpus", str(CONCURRENCY),
                          "--include-dashboard=false", "--disable-usage-stats"],
                   env=env, check=True, capture_output=True)  # fmt: skip
    try:
        yield f"127.0.0.1:{port}"
    finally:
        subprocess.run([ray, "stop", "--force"], env=env, capture_output=True)


def through_tunix_rt(work: Path, trials: int, steps: int, ray_address: str) -> dict[str, Any]:
    data = work / "data"
    env = {"EVAL_AUTO": "false", "REDIAI_MODE": "mock", "RAY_ADDRESS": ray_address}
    port = free_port()
    command = [str(TUNIX_RT_BIN), "serve", "--host", "127.0.0.1", "--port", str(port)]
    db = f"sqlite+aiosqlite:///{data / 'tunix-rt.db'}"
    data.mkdir(parents=True)
    subprocess.run([str(TUNIX_RT_BIN), "db", "upgrade"], env={**os.environ, "DATABASE_URL": db},
                   check=True, capture_output=True)  # fmt: skip
    with server_process(command, port, db, data, env) as (base, _), httpx.Client(
        base_url=base, timeout=60
    ) as http:
        body = {"count": 96, "seed": 0, "params": {"difficulty": 1}}
        json_of(http.post("/api/generators/arithmetic/generate", json=body), 201)
        json_of(http.post("/api/datasets/build", json={"name": "sums", "eval_ratio": 0.1}), 201)
        sweep = {
            "name": "overhead",
            "dataset_key": "sums-v1",
            "base_model_id": MODEL,
            "metric_name": "train_loss",
            "num_samples": trials,
            "max_concurrent_trials": CONCURRENCY,
            "scheduler": "fifo",
            "search_space": {"learning_rate": {"type": "choice", "values": learning_rates(trials)}},
            "training": {**TRAINING, "max_steps": steps, "eval_every_n_steps": 1000},
        }
        job, wall = study(http, sweep)
        asha_body = {
            "name": "asha",
            "dataset_key": "sums-v1",
            "base_model_id": MODEL,
            "num_samples": 4,
            "max_concurrent_trials": CONCURRENCY,
            "scheduler": "asha",
            "seed": 0,
            "search_space": {"learning_rate": {"type": "loguniform", "min": 1e-5, "max": 1e-1}},
            "training": {**TRAINING, "max_steps": 40, "eval_every_n_steps": 10,
                         "checkpoint_every_n_steps": 20},
        }  # fmt: skip
        asha, asha_wall = study(http, asha_body)
    return {
        "status": job["status"],
        "wall_s": round(wall, 1),
        "trials": len(job["trials"]),
        "asha": {
            "status": asha["status"],
            "wall_s": round(asha_wall, 1),
            "trials": [(t["status"], t["stopped_step"]) for t in asha["trials"]],
            "steps_trained": sum(t["stopped_step"] or 0 for t in asha["trials"]),
            "steps_without_asha": 4 * 40,
        },
    }


def _train_once(config: dict[str, Any]) -> list[float]:
    """The training command of one trial; its train losses."""
    import json

    out = Path(config["work"]) / f"bare-{uuid.uuid4().hex[:8]}"
    out.mkdir(parents=True)
    manifest = out / "manifest.yaml"
    document = yaml.safe_load(Path(config["manifest"]).read_text())
    document["training"]["learning_rate"] = config["learning_rate"]
    manifest.write_text(yaml.safe_dump(document))
    done = subprocess.run(
        [PYTHON, "-m", "tunix_rt_backend.training", "--manifest", str(manifest),
         "--dataset", config["dataset"], "--output-dir", str(out / "run")],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return [
        json.loads(line)["value"]
        for line in done.stdout.splitlines()
        if line.startswith("{") and '"train/loss"' in line
    ]


def _bare_trial(config: dict[str, Any]) -> None:
    """One trial the bare way: the same training command, its loss reported."""
    from ray import tune

    losses = _train_once(config)
    tune.report({"train_loss": losses[-1] if losses else 0.0})


def bare_ray(work: Path, trials: int, steps: int, ray_address: str) -> dict[str, Any]:
    import ray
    from ray import tune

    dataset = work / "sums.jsonl"
    dataset.write_bytes(
        b"".join(
            tunix_sft_line(uuid.UUID(int=n), "eval" if n % 10 == 0 else "train", dict(t))
            for n, t in enumerate(generate(96, seed=0, difficulty=1))
        )
    )
    manifest = work / "manifest.yaml"
    manifest.write_text(
        yaml.safe_dump(
            {
                "version": "1.0",
                "runner": "tunix",
                "model": {"id": MODEL},
                "dataset": {"key": "sums-v1", "format": "tunix_sft"},
                "template": {"name": "gemma-reasoning-v1", "sha256": TEMPLATE_SHA256},
                "training": {**TRAINING, "max_steps": steps, "eval_every_n_steps": 1000,
                             "learning_rate": 1e-3},
                "output": {"dir": "run"},
            }
        )
    )  # fmt: skip
    ray.init(address=ray_address, log_to_driver=False)
    try:
        space = {
            "learning_rate": tune.grid_search(learning_rates(trials)),
            "work": str(work),
            "manifest": str(manifest),
            "dataset": str(dataset),
        }
        tuner = tune.Tuner(
            tune.with_resources(_bare_trial, {"cpu": 1}),
            param_space=space,
            tune_config=tune.TuneConfig(max_concurrent_trials=CONCURRENCY),
            run_config=tune.RunConfig(storage_path=str(work / "ray"), verbose=0),
        )
        # Untimed: the first training process reads JAX and Tunix from disk, which
        # the later ones (either side's) find in the page cache.
        _train_once({**space, "learning_rate": 1e-3})
        started = time.perf_counter()
        tuner.fit()
        wall = time.perf_counter() - started
    finally:
        ray.shutdown()
    return {"wall_s": round(wall, 1)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--trials", type=int, default=16)
    parser.add_argument("--steps", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-tuning-") as tmp:
        work = Path(tmp)
        with warm_ray(work) as address:
            print("bare Ray Tune ...", file=sys.stderr)
            (work / "bare").mkdir()
            bare = bare_ray(work / "bare", args.trials, args.steps, address)
            print("Tunix RT ...", file=sys.stderr)
            rt = through_tunix_rt(work / "rt", args.trials, args.steps, address)
    overhead = (rt["wall_s"] - bare["wall_s"]) * CONCURRENCY / args.trials
    asha = rt.pop("asha")
    saved = 1 - asha["steps_trained"] / asha["steps_without_asha"]
    print_table(
        ["what", "figure"],
        [
            [f"bare Ray Tune, {args.trials} trials", f"{bare['wall_s']} s"],
            [f"Tunix RT study, {args.trials} trials", f"{rt['wall_s']} s ({rt['status']})"],
            ["overhead per trial", f"{overhead:.2f} s (target <= {TARGET_S} s)"],
            ["ASHA study, steps trained", f"{asha['steps_trained']} of 160"],
            ["ASHA steps saved", f"{saved:.0%} ({asha['trials']})"],
        ],
    )
    path = write_results(
        "tuning-overhead",
        {
            "trials": args.trials,
            "steps": args.steps,
            "concurrency": CONCURRENCY,
            "bare": bare,
            "tunix_rt": rt,
            "overhead_per_trial_s": round(overhead, 2),
            "asha": {**asha, "saved": round(saved, 3)},
        },
        scratch=args.trials != 16 or args.steps != 2,
    )
    print(f"written to {path}")


if __name__ == "__main__":
    main()
