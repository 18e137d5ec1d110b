"""The training process: `python -m tunix_rt_backend.training --manifest M.yaml
--dataset D.jsonl --output-dir DIR [--resume] [--stop-file F]`.

Writes JSON-line events on stdout (see events.py) and ends with a `done` event.
Exit status: 0 completed or cancelled, 1 failed, 2 bad arguments.
"""

from __future__ import annotations

import argparse
import faulthandler
import signal
import sys
import threading
import traceback
from pathlib import Path

from pydantic import ValidationError

from tunix_rt_backend.training.events import Done, emit
from tunix_rt_backend.training.manifest import RunManifest


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tunix_rt_backend.training")
    parser.add_argument("--manifest", type=Path, required=True)
    parser.add_argument("--dataset", type=Path, required=True, help="tunix_sft export (NDJSON)")
    parser.add_argument("--output-dir", type=Path, required=True)
    parser.add_argument("--resume", action="store_true", help="continue from the latest checkpoint")
    parser.add_argument("--stop-file", type=Path, help="stop (with a checkpoint) once this exists")
    args = parser.parse_args(argv)
    # An inherited tracer (coverage.py's, when the test suite measures subprocesses)
    # slows JAX's tracing and compiling of the train step by orders of magnitude: a
    # 40 s run took over 10 minutes, stuck after its step-0 eval. Train untraced.
    sys.settrace(None)
    threading.settrace(None)
    # `kill -USR1 <pid>` prints every thread's stack to stderr: how a stuck run is
    # diagnosed without stopping it.
    faulthandler.register(signal.SIGUSR1, all_threads=True)
    try:
        manifest = RunManifest.load(args.manifest)
    except (OSError, ValidationError, ValueError) as exc:
        emit(Done("failed", {"error": f"bad manifest: {exc}"}))
        return 2

    from tunix_rt_backend.training import trainer
    from tunix_rt_backend.training.catalog import ModelNotAvailable

    args.output_dir.mkdir(parents=True, exist_ok=True)
    try:
        summary = trainer.run(
            manifest, args.dataset, args.output_dir, resume=args.resume, stop_file=args.stop_file
        )
    except (trainer.RunFailed, ModelNotAvailable, OSError) as exc:
        emit(Done("failed", {"error": str(exc)}))
        return 1
    except Exception as exc:  # the traceback goes to stderr, the reason into `done`
        traceback.print_exc()
        emit(Done("failed", {"error": f"{type(exc).__name__}: {exc}"}))
        return 1
    emit(Done(summary.pop("status"), summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
