"""Runs the training process: its own OS process group, bounded by a timeout, its
stdout (JSON-line events) and stderr collected, the tails kept."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

OUTPUT_TAIL_BYTES = 10 * 1024
TERM_GRACE_S = 10.0


@dataclass
class ProcessOutcome:
    exit_code: int | None
    timed_out: bool
    stdout: str
    stderr: str
    done: dict[str, Any] | None = None
    events: int = 0


def tail(text: str, limit: int = OUTPUT_TAIL_BYTES) -> str:
    """The last `limit` bytes of text (whole characters)."""
    data = text.encode()
    if len(data) <= limit:
        return text
    return data[-limit:].decode("utf-8", "ignore")


def training_command(manifest: Path, dataset: Path, output_dir: Path) -> list[str]:
    return [
        sys.executable,
        "-m",
        "tunix_rt_backend.training",
        "--manifest",
        str(manifest),
        "--dataset",
        str(dataset),
        "--output-dir",
        str(output_dir),
        "--stop-file",
        str(output_dir / "STOP"),
    ]


async def run_training(
    command: list[str], *, timeout_s: float, env: dict[str, str]
) -> ProcessOutcome:
    proc = await asyncio.create_subprocess_exec(
        *command,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env={**os.environ, **env},
        start_new_session=True,  # its own process group: a stop reaches every child
    )
    out_chunks: list[bytes] = []
    err_chunks: list[bytes] = []
    done: dict[str, Any] | None = None
    events = 0

    async def read_stdout() -> None:
        nonlocal done, events
        assert proc.stdout is not None
        async for line in proc.stdout:
            out_chunks.append(line)
            with contextlib.suppress(orjson.JSONDecodeError):
                event = orjson.loads(line)
                events += 1
                if isinstance(event, dict) and event.get("event") == "done":
                    done = event

    async def read_stderr() -> None:
        assert proc.stderr is not None
        async for line in proc.stderr:
            err_chunks.append(line)

    readers = asyncio.gather(read_stdout(), read_stderr(), proc.wait())
    timed_out = False
    try:
        await asyncio.wait_for(asyncio.shield(readers), timeout_s)
    except TimeoutError:
        timed_out = True
        await _stop_group(proc)
        await readers
    return ProcessOutcome(
        exit_code=proc.returncode,
        timed_out=timed_out,
        stdout=tail(b"".join(out_chunks).decode("utf-8", "replace")),
        stderr=tail(b"".join(err_chunks).decode("utf-8", "replace")),
        done=done,
        events=events,
    )


async def _stop_group(proc: asyncio.subprocess.Process) -> None:
    """SIGTERM (the trainer checkpoints and ends), then SIGKILL after a grace period."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        await asyncio.wait_for(proc.wait(), TERM_GRACE_S)
    except TimeoutError:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        await proc.wait()
