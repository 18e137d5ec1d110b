"""Runs a job's process: its own OS process group, bounded by a timeout, each line of
its stdout and stderr handed on as it comes, the tails kept. A stop request asks the
process to stop (the stop file: a trainer checkpoints), then the group gets SIGTERM,
then SIGKILL; the process also gets SIGTERM if the process that started it dies."""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import os
import signal
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

OUTPUT_TAIL_BYTES = 10 * 1024
TERM_GRACE_S = 10.0
PR_SET_PDEATHSIG = 1
STOP_FILE = "STOP"
# The longest line read whole (an event carrying a long answer); a longer one fails the
# read, and the process group is stopped.
LINE_LIMIT_BYTES = 16 * 1024 * 1024


@dataclass
class ProcessOutcome:
    exit_code: int | None
    timed_out: bool
    stdout: str
    stderr: str
    stopped: bool = False


def tail(text: str, limit: int = OUTPUT_TAIL_BYTES) -> str:
    """The last `limit` bytes of text (whole characters)."""
    data = text.encode()
    if len(data) <= limit:
        return text
    return data[-limit:].decode("utf-8", "ignore")


class Tail:
    """The last `limit` bytes of a stream, in bounded memory however long it runs."""

    def __init__(self, limit: int = OUTPUT_TAIL_BYTES) -> None:
        self.limit = limit
        self.lines: deque[bytes] = deque()
        self.size = 0

    def add(self, line: bytes) -> None:
        self.lines.append(line)
        self.size += len(line)
        while self.size - len(self.lines[0]) >= self.limit:
            self.size -= len(self.lines.popleft())

    def text(self) -> str:
        return tail(b"".join(self.lines).decode("utf-8", "replace"), self.limit)


def _die_with_parent() -> None:  # pragma: no cover - runs in the child, before exec
    # Linux: SIGTERM when the worker that started it dies (even by SIGKILL), so no
    # job's process outlives its worker and races the attempt that resumes the job.
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


async def run_process(
    command: list[str],
    *,
    timeout_s: float,
    env: dict[str, str],
    stop: asyncio.Event | None = None,
    stop_file: Path | None = None,
    stop_grace_s: float = 30.0,
    on_line: Callable[[str, bytes], None] | None = None,
) -> ProcessOutcome:
    """Runs `command` to its end, its timeout, or until `stop` is set: then the
    trainer is asked to stop through `stop_file` and given `stop_grace_s` to save its
    checkpoint and exit before the process group is signalled. `on_line(stream,
    line)` gets every line of stdout and stderr as it is read."""
    proc = await asyncio.create_subprocess_exec(
        *command,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env={**os.environ, **env},
        start_new_session=True,  # its own process group: a stop reaches every child
        preexec_fn=_die_with_parent,
        limit=LINE_LIMIT_BYTES,
    )
    out_tail, err_tail = Tail(), Tail()

    async def read(stream: asyncio.StreamReader | None, name: str, kept: Tail) -> None:
        assert stream is not None
        async for line in stream:
            kept.add(line)
            if on_line is not None:
                on_line(name, line)

    readers = asyncio.ensure_future(
        asyncio.gather(
            read(proc.stdout, "stdout", out_tail),
            read(proc.stderr, "stderr", err_tail),
            proc.wait(),
        )
    )
    stopping = asyncio.ensure_future(stop.wait()) if stop is not None else None
    waiting: set[asyncio.Future[Any]] = {readers} | ({stopping} if stopping else set())
    finished, _ = await asyncio.wait(waiting, timeout=timeout_s, return_when="FIRST_COMPLETED")
    timed_out = not finished
    stopped = stopping is not None and stopping in finished and readers not in finished
    if stopping is not None:
        stopping.cancel()
    if stopped:
        if stop_file is not None:
            stop_file.touch()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.shield(readers), stop_grace_s)
    if not readers.done() or readers.exception() is not None:
        await _stop_group(proc)  # still running, or its output could not be read
    await readers
    return ProcessOutcome(
        exit_code=proc.returncode,
        timed_out=timed_out,
        stdout=out_tail.text(),
        stderr=err_tail.text(),
        stopped=stopped,
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
