"""Serving: Tunix RT's /v1 API against a bare Tunix Sampler script, in one run.

The model is the built-in `tunix-rt/tiny-gemma3` from its seed (random weights: every
answer runs to max_tokens, so both sides write the same number of tokens), the prompt
a rendered High Card Duel question, --tokens new tokens per answer.

  served     a real `tunix-rt serve` (SQLite), `POST /v1/completions` streamed (SSE),
             greedy, one request at a time: tokens/s of each request from sending it to
             its last chunk, and time to first token (to the first chunk with text);
  bare       bench/_bare_tunix_sampler.py: the same model, prompt, prompt bucket and
             cache size, answered by Tunix's Sampler (batch 1) in a plain script: warm
             tokens/s (every answer but the first, which compiles);
  8 clients  8 concurrent clients, each sending --requests requests: total generated
             tokens/s, against one client at a time (the served figure).

Rounds alternate served, bare (--rounds). Targets: served/bare single-stream tokens/s
>= 0.9 (medians); 8 clients >= 3x one at a time.

Run from the repository root:

    .venv/bin/python bench/serving.py            # 128 tokens, 3 rounds of 8 requests
    .venv/bin/python bench/serving.py --quick    # 1 round of 4

Figures are printed and written to bench/results/serving.json (other options:
serving.json.tmp, ignored by git).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import orjson
from _support import REPO_ROOT, percentile, print_table, serve, write_results

from tunix_rt_backend.db.migrate import upgrade
from tunix_rt_backend.templates.gemma_reasoning import render_prompt

PYTHON = REPO_ROOT / ".venv" / "bin" / "python"
BARE_SCRIPT = REPO_ROOT / "bench" / "_bare_tunix_sampler.py"
MODEL = "tunix-rt/tiny-gemma3"
# The served built-in model's window (a base model: BASE_MAX_SEQ_LENGTH 4096).
BASE_MAX_SEQ_LENGTH = 4096
PROMPT = render_prompt(
    "High Card Duel: Player 1 holds the queen of hearts, Player 2 the nine of spades. Who wins?"
)
CLIENTS = 8
TARGET_RATIO = 0.9
TARGET_CONCURRENT = 3.0
DEFAULTS = {"tokens": 128, "rounds": 3, "requests": 8}
QUICK = {"tokens": 128, "rounds": 1, "requests": 4}
TIMEOUT_S = 600.0
# SERVING_* settings of this shell reach the server (to try another batch window, say).
EXTRA_ENV = {k: v for k, v in os.environ.items() if k.startswith("SERVING_")}


def stream(client: httpx.Client, tokens: int) -> dict[str, float]:
    """One streamed completion: its wall time, time to first text, tokens written."""
    body = {"model": MODEL, "prompt": PROMPT, "max_tokens": tokens, "temperature": 0,
            "stream": True, "stream_options": {"include_usage": True}}  # fmt: skip
    start = time.perf_counter()
    first = None
    written = 0
    with client.stream("POST", "/v1/completions", json=body) as response:
        if response.status_code != 200:
            raise RuntimeError(f"{response.status_code}: {response.read()[:500]!r}")
        for line in response.iter_lines():
            if not line.startswith("data: {"):
                continue
            chunk = orjson.loads(line[6:])
            if first is None and chunk["choices"] and chunk["choices"][0]["text"]:
                first = time.perf_counter() - start
            if chunk.get("usage"):
                written = chunk["usage"]["completion_tokens"]
    wall = time.perf_counter() - start
    return {"wall_s": wall, "ttft_s": first if first is not None else wall, "tokens": written}


def served(client: httpx.Client, tokens: int, requests: int) -> dict[str, Any]:
    answers = [stream(client, tokens) for _ in range(requests)]
    total = sum(a["tokens"] for a in answers)
    return {
        "tokens_per_s": total / sum(a["wall_s"] for a in answers),
        "ttft_ms": [a["ttft_s"] * 1000 for a in answers],
        "tokens": total,
    }


def concurrent(base_url: str, tokens: int, requests: int, clients: int = CLIENTS) -> dict[str, Any]:
    results: list[dict[str, float]] = []
    lock = threading.Lock()

    def client_loop() -> None:
        with httpx.Client(base_url=base_url, timeout=TIMEOUT_S) as client:
            for _ in range(requests):
                answer = stream(client, tokens)
                with lock:
                    results.append(answer)

    threads = [threading.Thread(target=client_loop) for _ in range(clients)]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - start
    total = sum(r["tokens"] for r in results)
    return {
        "tokens_per_s": total / wall,
        "ttft_ms": [r["ttft_s"] * 1000 for r in results],
        "tokens": total,
        "wall_s": wall,
    }


def batching(client: httpx.Client) -> tuple[int, float]:
    """(batches, requests answered in them) so far: their mean is the mean batch size."""
    (model,) = client.get("/api/serving/status").json()["models"]
    return model["batches"], model["batches"] * (model["mean_batch_size"] or 0)


def bare(prompts: Path, tokens: int, requests: int, batch: int = 1) -> dict[str, Any]:
    command = [
        str(PYTHON), str(BARE_SCRIPT),
        "--seed", "0",
        "--max-seq-length", str(BASE_MAX_SEQ_LENGTH),
        "--dataset", str(prompts),
        "--batch", str(batch),
        "--max-new-tokens", str(tokens),
        "--repeat", str(batch * (requests + 1)),  # the first batch compiles
    ]  # fmt: skip
    done = subprocess.run(command, capture_output=True, timeout=TIMEOUT_S, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"bare sampler failed:\n{done.stderr.decode()[-3000:]}")
    result = [orjson.loads(x) for x in done.stdout.splitlines() if x.startswith(b"{")][-1]
    return {"tokens_per_s": result["warm_tokens"] / result["warm_generation_s"], **result}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--tokens", type=int, default=DEFAULTS["tokens"])
    parser.add_argument("--rounds", type=int, default=DEFAULTS["rounds"])
    parser.add_argument("--requests", type=int, default=DEFAULTS["requests"])
    parser.add_argument("--quick", action="store_true", help=f"{QUICK}")
    args = parser.parse_args()
    if args.quick:
        for name, value in QUICK.items():
            setattr(args, name, value)
    standard = all(getattr(args, k) == v for k, v in DEFAULTS.items())

    with tempfile.TemporaryDirectory(prefix="tunix-rt-bench-serving-") as tmp:
        workdir = Path(tmp)
        prompts = workdir / "prompt.jsonl"
        prompts.write_bytes(orjson.dumps({"prompt": PROMPT}) + b"\n")
        db_url = f"sqlite+aiosqlite:///{workdir / 'bench.db'}"
        upgrade(db_url)
        with (
            serve(db_url, workdir, {"REDIAI_MODE": "mock", **EXTRA_ENV}) as base_url,
            httpx.Client(base_url=base_url, timeout=TIMEOUT_S) as client,
        ):
            load = time.perf_counter()
            # Loads the model and compiles its shapes (batches of 1 to 8 rows), as the
            # bare script's first batch compiles: neither is counted.
            stream(client, args.tokens)
            for clients in (2, 3, 5, CLIENTS):
                concurrent(base_url, args.tokens, 2, clients)
            print(f"model loaded and compiled in {time.perf_counter() - load:.1f} s")
            singles, bares, many, ceilings = [], [], [], []
            for _ in range(args.rounds):
                singles.append(served(client, args.tokens, args.requests))
                bares.append(bare(prompts, args.tokens, args.requests))
                before = batching(client)
                many.append(concurrent(base_url, args.tokens, args.requests))
                after = batching(client)
                many[-1]["mean_batch"] = (after[1] - before[1]) / (after[0] - before[0])
                ceilings.append(bare(prompts, args.tokens, args.requests, CLIENTS))

    single = statistics.median(s["tokens_per_s"] for s in singles)
    base = statistics.median(b["tokens_per_s"] for b in bares)
    together = statistics.median(m["tokens_per_s"] for m in many)
    # What batching can give on this machine: the bare Sampler at 8 rows against 1.
    ceiling = statistics.median(c["tokens_per_s"] for c in ceilings) / base
    ttft = [t for s in singles for t in s["ttft_ms"]]
    ttft_many = [t for m in many for t in m["ttft_ms"]]
    ratio, speedup = single / base, together / single
    mean_batch = statistics.median(m["mean_batch"] for m in many)
    print_table(
        ["", "tokens/s (median)", "rounds", "TTFT p50 ms", "TTFT p99 ms"],
        [
            ["served, 1 client", f"{single:.1f}", [round(s["tokens_per_s"], 1) for s in singles],
             f"{percentile(ttft, 50):.1f}", f"{percentile(ttft, 99):.1f}"],
            ["bare Sampler", f"{base:.1f}", [round(b["tokens_per_s"], 1) for b in bares], "-", "-"],
            [f"bare Sampler, {CLIENTS} rows", f"{base * ceiling:.1f}",
             [round(c["tokens_per_s"], 1) for c in ceilings], "-", "-"],
            [f"served, {CLIENTS} clients", f"{together:.1f}",
             [round(m["tokens_per_s"], 1) for m in many],
             f"{percentile(ttft_many, 50):.1f}", f"{percentile(ttft_many, 99):.1f}"],
        ],
    )  # fmt: skip
    print(
        f"\nsingle stream served/bare: {ratio:.2f} (target >= {TARGET_RATIO}); "
        f"{CLIENTS} clients / 1: {speedup:.2f}x (target >= {TARGET_CONCURRENT}x; the bare "
        f"Sampler's own {CLIENTS} rows / 1 here: {ceiling:.2f}x); mean batch with "
        f"{CLIENTS} clients {mean_batch:.2f}"
    )
    path = write_results(
        "serving",
        {
            "parameters": {**vars(args), "model": MODEL, "clients": CLIENTS},
            "single_stream_tokens_per_s": single,
            "bare_tokens_per_s": base,
            "ratio": ratio,
            "target_ratio": TARGET_RATIO,
            "concurrent_tokens_per_s": together,
            "concurrent_speedup": speedup,
            "target_concurrent": TARGET_CONCURRENT,
            "bare_batch_speedup": ceiling,
            "ttft_ms_p50": percentile(ttft, 50),
            "ttft_ms_p99": percentile(ttft, 99),
            "concurrent_ttft_ms_p50": percentile(ttft_many, 50),
            "mean_batch_size": mean_batch,
            "rounds": {
                "served": singles,
                "bare": bares,
                "concurrent": many,
                "bare_batched": ceilings,
            },
        },
        scratch=not standard,
    )
    print(f"written to {path.relative_to(REPO_ROOT)}")


if __name__ == "__main__":
    main()
