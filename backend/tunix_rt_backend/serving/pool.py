"""The model processes the server runs for `/v1` (training/serve_model.py), one per
loaded model, at most SERVING_MAX_MODELS: loading another stops the least recently
used idle one. Each is fed JSON lines on its stdin and read on its stdout; every
request has a queue its events go to.

A process that dies fails its requests at once (an `error` event each: never a hang)
and leaves the pool; the next request for its model starts a new one. A client that
goes away cancels its request, which frees its row at the next decoded chunk.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import itertools
import logging
import os
import sys
import time
import uuid
from collections.abc import AsyncGenerator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from tunix_rt_backend.errors import AppError
from tunix_rt_backend.serving.resolve import Target
from tunix_rt_backend.settings import Settings
from tunix_rt_backend.training.manifest import ServingSpec

log = logging.getLogger("tunix_rt.serving")
STDERR_TAIL_LINES = 40
# A stream's line limit: an event holds at most one request's text or logprobs.
LINE_LIMIT = 64 * 1024 * 1024
MAX_NAMES = 8


class ModelUnavailable(AppError):
    """The model could not be loaded, or its process stopped while answering."""

    status_code = 503
    code = "model_unavailable"


class ServingBusy(AppError):
    """Every model slot is answering requests: no room to load another model."""

    status_code = 503
    code = "model_slots_busy"


@dataclass
class Stats:
    requests: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    batches: int = 0
    batched_requests: int = 0
    busy_seconds: float = 0.0


class ModelProcess:
    def __init__(self, target: Target, settings: Settings, spec_dir: Path) -> None:
        self.target = target
        self.settings = settings
        self.spec_path = spec_dir / f"{uuid.uuid4().hex}.json"
        self.proc: asyncio.subprocess.Process | None = None
        self.ready: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self.streams: dict[str, asyncio.Queue[dict[str, Any]]] = {}
        self.queued: set[str] = set()  # sent, not started yet
        self.stats = Stats()
        self.started_at = time.time()
        self.last_used = time.monotonic()
        self.info: dict[str, Any] = {}
        # The names requests gave it (`hcd:prod`, `hcd@v3`), most recent last.
        self.names: collections.OrderedDict[str, None] = collections.OrderedDict()
        self.stderr_tail: collections.deque[str] = collections.deque(maxlen=STDERR_TAIL_LINES)
        self._ids = itertools.count(1)
        self._tasks: list[asyncio.Task[None]] = []
        self._write_lock = asyncio.Lock()

    @property
    def alive(self) -> bool:
        return self.proc is not None and self.proc.returncode is None

    @property
    def busy(self) -> bool:
        return bool(self.streams)

    async def start(self) -> None:
        target = self.target
        spec = ServingSpec(
            model_id=target.model_id,
            training=target.training,
            checkpoint_root=str(target.checkpoint_root) if target.checkpoint_root else None,
            max_batch=self.settings.serving_max_batch,
            batch_window_ms=self.settings.serving_batch_window_ms,
        )
        self.spec_path.parent.mkdir(parents=True, exist_ok=True)
        self.spec_path.write_text(spec.model_dump_json())
        env = {**os.environ, "MODEL_DIR": str(self.settings.models_root)}
        self.proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "tunix_rt_backend.training.serve_model",
            "--spec",
            str(self.spec_path),
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env=env,
            limit=LINE_LIMIT,
        )
        log.info("model process %s started for %s", self.proc.pid, target.key)
        self._tasks = [
            asyncio.create_task(self._read_events()),
            asyncio.create_task(self._read_stderr()),
        ]
        try:
            self.info = await asyncio.wait_for(
                asyncio.shield(self.ready), self.settings.serving_load_timeout_seconds
            )
        except TimeoutError:
            await self.stop()
            raise ModelUnavailable(
                f"{target.model_id} did not load within "
                f"{self.settings.serving_load_timeout_seconds:g} s (SERVING_LOAD_TIMEOUT_SECONDS)"
            ) from None

    async def generate(self, message: dict[str, Any]) -> AsyncGenerator[dict[str, Any], None]:
        """The request's events (`started`, `text`..., then `done` or `error`). Leaving
        early (the client went away) cancels it in the model process."""
        request_id = f"r{next(self._ids)}"
        events: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.streams[request_id] = events
        self.queued.add(request_id)
        self.last_used = time.monotonic()
        self.stats.requests += 1
        finished = False
        try:
            await self._send({"op": "generate", "id": request_id, **message})
            while True:
                event = await events.get()
                # Set before handing it on: a consumer that stops at the last event
                # closes this generator without asking for more.
                finished = event["event"] in ("done", "error")
                yield event
                if finished:
                    return
        finally:
            self.streams.pop(request_id, None)
            self.queued.discard(request_id)
            self.last_used = time.monotonic()
            if not finished and self.alive:
                with contextlib.suppress(ConnectionError):
                    await self._send({"op": "cancel", "id": request_id})

    async def _send(self, message: dict[str, Any]) -> None:
        if not self.alive or self.proc is None or self.proc.stdin is None:
            raise ModelUnavailable(f"the process serving {self.target.model_id} has stopped")
        async with self._write_lock:
            try:
                self.proc.stdin.write(orjson.dumps(message) + b"\n")
                await self.proc.stdin.drain()
            except (ConnectionError, RuntimeError) as exc:  # it is exiting
                raise ModelUnavailable(
                    f"the process serving {self.target.model_id} has stopped"
                ) from exc

    async def _read_events(self) -> None:
        assert self.proc is not None and self.proc.stdout is not None
        try:
            async for line in self.proc.stdout:
                try:
                    event = orjson.loads(line)
                except orjson.JSONDecodeError:
                    log.warning("model process %s wrote %r", self.proc.pid, line[:200])
                    continue
                if isinstance(event, dict):
                    self._dispatch(event)
        except Exception:  # a line past the limit: nobody reads it any more, so it goes
            log.exception("model process %s: its output cannot be read", self.proc.pid)
            with contextlib.suppress(ProcessLookupError):
                self.proc.kill()
        finally:
            await self.proc.wait()
            self._ended()

    def _dispatch(self, event: dict[str, Any]) -> None:
        kind = event.get("event")
        if kind == "ready":
            if not self.ready.done():
                self.ready.set_result(event)
            log.info(
                "%s loaded in %.1f s (context %s tokens)",
                self.target.key,
                event.get("load_seconds", 0),
                event.get("context_length"),
            )
        elif kind == "failed":
            if not self.ready.done():
                self.ready.set_exception(
                    ModelUnavailable(
                        f"{self.target.model_id} could not be loaded: {event['message']}"
                    )
                )
        elif kind == "batch":
            self.stats.batches += 1
            self.stats.batched_requests += int(event.get("size", 0))
            self.stats.busy_seconds += float(event.get("seconds", 0))
        else:
            request_id = event.get("id")
            if kind == "started":
                self.queued.discard(request_id)
            elif kind == "done":
                self.stats.prompt_tokens += int(event.get("prompt_tokens", 0))
                self.stats.completion_tokens += int(event.get("completion_tokens", 0))
            stream = self.streams.get(request_id) if request_id else None
            if stream is not None:
                stream.put_nowait(event)
            elif kind == "error":
                log.warning("model process %s: %s", self.target.key, event.get("message"))

    def _ended(self) -> None:
        """The process exited: every request still waiting gets an error."""
        code = self.proc.returncode if self.proc else None
        if not self.ready.done():
            # Its last lines go to the log, not to the client (paths, tracebacks).
            log.error(
                "the process loading %s exited (%s):\n%s",
                self.target.key,
                code,
                "\n".join(self.stderr_tail),
            )
            self.ready.set_exception(
                ModelUnavailable(
                    f"the process loading {self.target.model_id} exited ({code}); "
                    "the server's log says why"
                )
            )
        for request_id, stream in list(self.streams.items()):
            stream.put_nowait(
                {
                    "event": "error",
                    "id": request_id,
                    "code": "model_process_exited",
                    "status": 503,
                    "message": f"the process serving {self.target.model_id} stopped "
                    f"(exit status {code}) while answering; send the request again",
                }
            )
        if code not in (0, None, -15):
            log.error("model process for %s exited with %s", self.target.key, code)

    async def _read_stderr(self) -> None:
        assert self.proc is not None and self.proc.stderr is not None
        async for raw in self.proc.stderr:
            line = raw.decode(errors="replace").rstrip()
            self.stderr_tail.append(line)
            log.debug("[%s] %s", self.target.key, line)

    async def stop(self) -> None:
        """Closes stdin (the process ends after what it is decoding), then terminates
        it if it lingers."""
        proc = self.proc
        if proc is not None and proc.returncode is None:
            if proc.stdin is not None:
                with contextlib.suppress(ConnectionError, RuntimeError):
                    proc.stdin.close()
            try:
                await asyncio.wait_for(proc.wait(), 5)
            except TimeoutError:
                proc.terminate()
                try:
                    await asyncio.wait_for(proc.wait(), 10)
                except TimeoutError:
                    proc.kill()
                    await proc.wait()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await asyncio.wait_for(task, 5)
        self.spec_path.unlink(missing_ok=True)

    def status(self) -> dict[str, Any]:
        stats = self.stats
        return {
            "key": self.target.key,
            "names": list(reversed(self.names)),
            "model_id": self.target.model_id,
            "pid": self.proc.pid if self.proc else None,
            "alive": self.alive,
            "ready": self.ready.done() and not self.ready.exception(),
            "loaded_at": self.started_at,
            "load_seconds": self.info.get("load_seconds"),
            "context_length": self.info.get("context_length"),
            "checkpoint_step": self.info.get("checkpoint_step"),
            "queue_depth": len(self.queued),
            "in_flight": len(self.streams) - len(self.queued),
            "requests": stats.requests,
            "prompt_tokens": stats.prompt_tokens,
            "completion_tokens": stats.completion_tokens,
            "batches": stats.batches,
            "mean_batch_size": (
                round(stats.batched_requests / stats.batches, 2) if stats.batches else None
            ),
            "tokens_per_second": (
                round(stats.completion_tokens / stats.busy_seconds, 1)
                if stats.busy_seconds
                else None
            ),
        }


class ModelPool:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.spec_dir = settings.data_dir / "serving"
        self._models: collections.OrderedDict[str, ModelProcess] = collections.OrderedDict()
        self._loading: dict[str, asyncio.Task[ModelProcess]] = {}
        self._lock = asyncio.Lock()

    async def get(self, target: Target, name: str | None = None) -> ModelProcess:
        """The running process for `target` (asked for as `name`), started (and waited
        for) if need be."""
        async with self._lock:
            current = self._models.get(target.key)
            task = self._loading.get(target.key)
            if current is not None and (current.alive or task is not None):
                self._models.move_to_end(target.key)
                current.last_used = time.monotonic()
            else:
                if current is not None:  # it died: its requests were failed already
                    del self._models[target.key]
                    await current.stop()
                await self._make_room()
                current = ModelProcess(target, self.settings, self.spec_dir)
                self._models[target.key] = current
                task = asyncio.create_task(self._load(current))
                self._loading[target.key] = task
        if task is not None:
            # Several first requests for one model share its load.
            current = await asyncio.shield(task)
        if name is not None:
            current.names[name] = None
            current.names.move_to_end(name)
            while len(current.names) > MAX_NAMES:
                current.names.popitem(last=False)
        return current

    async def _load(self, process: ModelProcess) -> ModelProcess:
        try:
            await process.start()
            return process
        except BaseException:
            await process.stop()
            async with self._lock:
                if self._models.get(process.target.key) is process:
                    del self._models[process.target.key]
            raise
        finally:
            self._loading.pop(process.target.key, None)

    async def _make_room(self) -> None:
        while len(self._models) >= self.settings.serving_max_models:
            idle = [k for k, p in self._models.items() if not p.busy and k not in self._loading]
            if not idle:
                raise ServingBusy(
                    f"all {self.settings.serving_max_models} model slots (SERVING_MAX_MODELS) "
                    "are answering requests; try again shortly"
                )
            process = self._models.pop(idle[0])  # the least recently used
            log.info("unloading %s to make room", process.target.key)
            await process.stop()

    def status(self) -> list[dict[str, Any]]:
        return [p.status() for p in reversed(self._models.values())]

    async def close(self) -> None:
        models = list(self._models.values())
        self._models.clear()
        await asyncio.gather(*(p.stop() for p in models), return_exceptions=True)
