"""`tunix-rt serve` and `tunix-rt worker` as real processes, as a user runs them."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, ClassVar

import httpx

from tests.factories import free_port

CLI = [sys.executable, "-m", "tunix_rt_backend.cli"]
CLAIMED = re.compile(r"train job ([0-9a-f-]{36}) claimed \(attempt (\d+)\)")


def cli_env(**extra: str) -> dict[str, str]:
    """This process's environment without its database settings, plus `extra`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_URL", "DATA_DIR"))}
    return {**env, "REDIAI_MODE": "mock", **extra}


def untraced(env: dict[str, str]) -> dict[str, str]:
    """`env` without pytest-cov's subprocess tracing (it slows a server about 3x)."""
    return {k: v for k, v in env.items() if not k.startswith("COV_CORE_")}


def wait_for(check: Callable[[], Any], timeout: float, message: str) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(0.2)
    raise AssertionError(message)


def healthy(base: str) -> bool:
    try:
        return httpx.get(f"{base}/api/health").status_code == 200
    except httpx.TransportError:
        return False


class ServerProcess:
    """`tunix-rt serve` on a free port, its output in `log`; ready once healthy."""

    def __init__(self, env: dict[str, str], log: Path, *args: str) -> None:
        self.log = log
        self.base = f"http://127.0.0.1:{free_port()}"
        port = self.base.rsplit(":", 1)[1]
        with log.open("w") as out:
            self.proc = subprocess.Popen(
                [*CLI, "serve", "--port", port, *args], env=env, stdout=out, stderr=out
            )
        try:
            wait_for(lambda: healthy(self.base), 60, f"server did not start:\n{log.read_text()}")
        except BaseException:
            self.kill()
            raise

    def client(self, **kwargs: Any) -> httpx.Client:
        return httpx.Client(base_url=self.base, **{"timeout": 30, **kwargs})

    def stop(self) -> None:
        self.proc.terminate()
        # uvicorn shuts down cleanly, then re-raises the signal it caught.
        assert self.proc.wait(timeout=60) in (0, -signal.SIGTERM), self.log.read_text()

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=30)


@contextmanager
def serve(env: dict[str, str], log: Path, *args: str, **client: Any) -> Iterator[httpx.Client]:
    server = ServerProcess(env, log, *args)
    try:
        with server.client(**client) as http:
            yield http
    except BaseException:
        server.kill()
        raise
    server.stop()


class WorkerProcess:
    """`tunix-rt worker`; `started` lists every one, for a fixture to clean up after."""

    started: ClassVar[list[WorkerProcess]] = []

    def __init__(self, env: dict[str, str], log: Path, concurrency: int = 1) -> None:
        WorkerProcess.started.append(self)
        self.log = log
        with log.open("w") as out:
            self.proc = subprocess.Popen(
                [*CLI, "worker", "--concurrency", str(concurrency)],
                env=env,
                stdout=out,
                stderr=out,
            )

    def claims(self) -> list[tuple[str, int]]:
        return [(m[1], int(m[2])) for m in CLAIMED.finditer(self.log.read_text())]

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 90) -> int | None:
        self.proc.send_signal(sig)
        return self.proc.wait(timeout=timeout)

    @classmethod
    def kill_all(cls) -> None:
        """Those a failed test left running."""
        for worker in cls.started:
            if worker.proc.poll() is None:
                worker.proc.kill()
                worker.proc.wait()
        cls.started.clear()
