"""A stand-in training process for bench/logs.py: it prints --rate lines a second for
--seconds, paced (every millisecond the lines that are due, never a burst of more
than one millisecond's worth unless it fell behind), to stdout, and every
--stderr-every-th line to stderr instead. Both streams are line buffered: each line
is one write(2), as it would be from a trainer printing with flush.

Each line is `<seq> <time.time() at print> <stream> step ... loss ... lr ...`, seq
counting from 0 across both streams. At the end it writes --report (JSON): lines
per stream, the seconds it took, and how far it fell behind its schedule at worst.
"""

from __future__ import annotations

import argparse
import json
import sys
import time

TICK_S = 0.001


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rate", type=int, required=True, help="lines a second")
    parser.add_argument("--seconds", type=float, required=True)
    parser.add_argument("--stderr-every", type=int, required=True)
    parser.add_argument("--report", required=True, help="where to write the JSON summary")
    args = parser.parse_args()
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]
    sys.stderr.reconfigure(line_buffering=True)  # type: ignore[union-attr]
    out, err = sys.stdout.write, sys.stderr.write
    total = int(args.rate * args.seconds)
    counts = {"stdout": 0, "stderr": 0}
    seq, worst_lag = 0, 0.0
    start = time.perf_counter()
    while seq < total:
        now = time.perf_counter()
        due = min(total, int((now - start) * args.rate) + 1)
        worst_lag = max(worst_lag, (due - 1 - seq) / args.rate)  # behind schedule, s
        while seq < due:
            stream = "stderr" if seq % args.stderr_every == args.stderr_every - 1 else "stdout"
            write = err if stream == "stderr" else out
            write(
                f"{seq} {time.time():.6f} {stream} step {seq // 50} loss "
                f"{1.0 / (1 + seq / 1000):.6f} lr 3.0e-03\n"
            )
            counts[stream] += 1
            seq += 1
        # Wake once a millisecond (or later, when the next line is due later).
        wake = max(now + TICK_S, start + seq / args.rate)
        time.sleep(max(0.0, wake - time.perf_counter()))
    elapsed = time.perf_counter() - start
    with open(args.report, "w") as report:
        json.dump({"lines": counts, "seconds": elapsed, "worst_lag_s": worst_lag}, report)


if __name__ == "__main__":
    main()
