"""The regression gate's false alarms (an A/A test) and its detection rate.

On a real server (`tunix-rt serve`, SQLite, its embedded worker) this benchmark
generates --games High Card Duel games, builds a dataset with 10 % held out, trains
tunix-rt/tiny-gemma3 twice: a good run (--steps steps) and a deliberately worse one
(--worse-steps), and evaluates each --repeats times on the same held-out items with
sampling (--temperature, a different seed each time, exact match).

  A/A        every pair of the good run's evaluations: one pinned as the baseline
             (POST /api/regression/baselines with its evaluation_id), the other
             checked (POST /api/regression/check). The model is the same: every
             `fail` is a false alarm. Target: <= 5% (the gate's level).
  detection  every good evaluation as the baseline against every worse one.

Beside the gate's verdicts, the seed's rule on the same pairs: `fail` when the current
score is more than 5% (relative) below the baseline's.

Run from the repository root:

    .venv/bin/python bench/gate_aa.py            # 1,600 games (160 held out), 12 + 12 evaluations
    .venv/bin/python bench/gate_aa.py --quick    # 600 games, 5 + 5 evaluations

Figures are printed and written to bench/results/gate_aa.json (other options:
gate_aa.json.tmp, ignored by git).
"""

from __future__ import annotations

import argparse
import itertools
import math
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
from _support import REPO_ROOT, json_of, print_table, serve, write_results
from tunix_rt_backend.db.migrate import upgrade

TARGET_FALSE_ALARMS = 0.05
SEED_RELATIVE_DROP = 0.05
TIMEOUT_S = 1800.0
DEFAULTS = {
    "games": 1600, "steps": 300, "worse_steps": 200, "repeats": 12, "temperature": 1.0
}  # fmt: skip
QUICK = {"games": 600, "steps": 150, "worse_steps": 100, "repeats": 5, "temperature": 1.0}
TRAINING = {
    "model_id": "tunix-rt/tiny-gemma3",
    "batch_size": 8,
    "learning_rate": 5e-3,
    "warmup_steps": 50,
    "max_seq_length": 240,
    "checkpoint_every_n_steps": 1000,
    "eval_every_n_steps": 1000,
    "num_generations": 0,
}


def train(client: httpx.Client, dataset_key: str, steps: int) -> str:
    body = {**TRAINING, "dataset_key": dataset_key, "dry_run": False, "max_steps": steps}
    run = json_of(client.post("/api/tunix/run", json=body), 202)
    if run["status"] != "completed":
        raise RuntimeError(f"training {run['status']}: {run['message']}")
    return str(run["run_id"])


def evaluate(client: httpx.Client, run_id: str, seed: int, temperature: float) -> dict[str, Any]:
    body = {"temperature": temperature, "seed": seed}
    evaluation = json_of(client.post(f"/api/tunix/runs/{run_id}/evaluate", json=body), 201)
    if evaluation["status"] != "completed":
        raise RuntimeError(f"evaluation {evaluation['status']}: {evaluation['message']}")
    return evaluation


def check(
    client: httpx.Client,
    baseline: tuple[str, dict[str, Any]],
    current: tuple[str, dict[str, Any]],
) -> dict[str, Any]:
    """The gate's report on `current` (run id, evaluation) against `baseline`."""
    (base_run, base_eval), (run, evaluation) = baseline, current
    pin = {"name": "aa", "run_id": base_run, "evaluation_id": base_eval["id"]}
    json_of(client.post("/api/regression/baselines", json=pin), 200, 201)
    body = {"run_id": run, "baseline_name": "aa", "evaluation_id": evaluation["id"]}
    report = json_of(client.post("/api/regression/check", json=body), 200)
    seed_fails = report["current_value"] < report["baseline_value"] * (1 - SEED_RELATIVE_DROP)
    return {
        "verdict": report["verdict"],
        "seed_rule": "fail" if seed_fails else "pass",
        "delta": report["delta"],
        "b": report["b"],
        "c": report["c"],
        "p": report["p_value"],
    }


def _rate(reports: list[dict[str, Any]], key: str) -> float:
    return sum(1 for r in reports if r[key] == "fail") / len(reports)


def _wilson(rate: float, n: int) -> str:
    z = 1.959963984540054
    centre = (rate + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(rate * (1 - rate) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return f"{max(0.0, centre - half):.1%}-{min(1.0, centre + half):.1%}"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    for name, value in DEFAULTS.items():
        parser.add_argument(f"--{name.replace('_', '-')}", type=type(value), default=value)
    parser.add_argument("--quick", action="store_true", help=f"{QUICK}")
    args = parser.parse_args()
    if args.quick:
        for name, value in QUICK.items():
            setattr(args, name, value)
    standard = all(getattr(args, k) == v for k, v in DEFAULTS.items())
    started = time.perf_counter()

    with tempfile.TemporaryDirectory(prefix="tunix-rt-bench-gate-") as tmp:
        workdir = Path(tmp)
        db_url = f"sqlite+aiosqlite:///{workdir / 'bench.db'}"
        upgrade(db_url)
        env = {"EVAL_AUTO": "false", "REDIAI_MODE": "mock"}
        with (
            serve(db_url, workdir, env) as base_url,
            httpx.Client(base_url=base_url, timeout=TIMEOUT_S) as client,
        ):
            games = {"count": args.games, "seed": 0}
            json_of(client.post("/api/ungar/high-card-duel/generate", json=games), 201)
            build = {"name": "gate", "limit": args.games, "filters": {"source": "ungar"}}
            dataset = json_of(client.post("/api/datasets/build", json=build), 201)
            key = dataset["dataset_key"]
            good, worse = train(client, key, args.steps), train(client, key, args.worse_steps)
            print(f"trained {good} ({args.steps} steps) and {worse} ({args.worse_steps} steps)")
            evaluations: dict[str, list[dict[str, Any]]] = {good: [], worse: []}
            for seed in range(1, args.repeats + 1):
                for run in (good, worse):
                    evaluations[run].append(evaluate(client, run, seed, args.temperature))
                scores = [evaluations[r][-1]["score"] for r in (good, worse)]
                print(f"  seed {seed}: good {scores[0]:.1f}%, worse {scores[1]:.1f}%", flush=True)
            aa = [
                check(client, (good, a), (good, b))
                for a, b in itertools.combinations(evaluations[good], 2)
            ]
            detection = [
                check(client, (good, a), (worse, b))
                for a, b in itertools.product(evaluations[good], evaluations[worse])
            ]

    good_scores = [e["score"] for e in evaluations[good]]
    worse_scores = [e["score"] for e in evaluations[worse]]
    n_items = evaluations[good][0]["n_items"]
    rows = []
    for name, reports in (("A/A (same model)", aa), ("worse checkpoint", detection)):
        verdicts = Counter(r["verdict"] for r in reports)
        rows.append([
            name, len(reports), f"{_rate(reports, 'verdict'):.1%}",
            f"{verdicts['inconclusive']}", f"{_rate(reports, 'seed_rule'):.1%}",
        ])  # fmt: skip
    print(
        f"{n_items} held-out items, temperature {args.temperature}: good run "
        f"{statistics.mean(good_scores):.1f}% (sd {statistics.stdev(good_scores):.1f}), worse "
        f"run {statistics.mean(worse_scores):.1f}% (sd {statistics.stdev(worse_scores):.1f})"
    )
    print_table(["pairs", "n", "gate: fail", "gate: inconclusive", "seed rule: fail"], rows)
    false_alarms = _rate(aa, "verdict")
    print(
        f"gate false alarms {false_alarms:.1%} (95% interval {_wilson(false_alarms, len(aa))}; "
        f"target <= {TARGET_FALSE_ALARMS:.0%}); seed rule {_rate(aa, 'seed_rule'):.1%}"
    )
    print(f"{time.perf_counter() - started:.0f} s in all")
    path = write_results(
        "gate_aa",
        {
            "options": vars(args),
            "items": n_items,
            "scores": {"good": good_scores, "worse": worse_scores},
            "aa": {
                "pairs": len(aa),
                "gate_false_alarms": round(false_alarms, 4),
                "gate_verdicts": dict(Counter(r["verdict"] for r in aa)),
                "seed_rule_false_alarms": round(_rate(aa, "seed_rule"), 4),
            },
            "detection": {
                "pairs": len(detection),
                "gate_detected": round(_rate(detection, "verdict"), 4),
                "gate_verdicts": dict(Counter(r["verdict"] for r in detection)),
                "seed_rule_detected": round(_rate(detection, "seed_rule"), 4),
            },
            "target_false_alarms": TARGET_FALSE_ALARMS,
            "wall_s": round(time.perf_counter() - started, 1),
        },
        scratch=not standard,
    )  # fmt: skip
    print(f"written to {path.relative_to(REPO_ROOT)}")
    sys.exit(0)


if __name__ == "__main__":
    main()
