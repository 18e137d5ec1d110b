"""One poll for every live output stream of a process. Each stream used to read its
job four or five times every POLL_INTERVAL_S, even when nothing happened (100 idle
streams of a pending run took most of a core); now a `JobWatch` reads the state of all
the jobs being streamed (status, attempt, last output seq) with one query per kind and
two for the seqs, and wakes only the streams whose job moved. A stream still reads its
own output when woken, from where it stopped."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections import defaultdict
from collections.abc import AsyncIterator
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tunix_rt_backend.db.engine import session_scope
from tunix_rt_backend.jobs import repository
from tunix_rt_backend.jobs.kinds import JobKind

log = logging.getLogger("tunix_rt.jobs")

Maker = async_sessionmaker[AsyncSession]
POLL_INTERVAL_S = 0.2
Key = tuple[JobKind, uuid.UUID]


class JobWatch:
    def __init__(self, maker: Maker, poll_s: float = POLL_INTERVAL_S) -> None:
        self.maker = maker
        self.poll_s = poll_s
        self._waiting: dict[Key, set[asyncio.Event]] = defaultdict(set)
        self._seen: dict[Key, Any] = {}
        self._task: asyncio.Task[None] | None = None
        self._idle = asyncio.Event()
        self._failing = False

    @contextlib.asynccontextmanager
    async def watching(self, kind: JobKind, job_id: uuid.UUID) -> AsyncIterator[asyncio.Event]:
        """An event set whenever the job's state moves (or may have: at the first
        poll); clear it before reading the job, then wait on it."""
        key = (kind, job_id)
        moved = asyncio.Event()
        self._waiting[key].add(moved)
        if self._task is None:
            self._idle = asyncio.Event()
            self._task = asyncio.create_task(self._run(self._idle), name="job-watch")
        try:
            yield moved
        finally:
            self._waiting[key].discard(moved)
            if not self._waiting[key]:
                del self._waiting[key]
                self._seen.pop(key, None)
            if not self._waiting and self._task is not None:
                # The last stream is gone: the poll ends after its current read (a
                # cancel mid-query would leave its connection to be cleaned up later).
                task, self._task = self._task, None
                self._idle.set()
                with contextlib.suppress(Exception):
                    await task

    async def _run(self, idle: asyncio.Event) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.poll_s):
                    await idle.wait()
            if idle.is_set():
                return
            try:
                states = await self._read(list(self._waiting))
            except Exception as exc:  # the database went away: the next poll tries again
                if not self._failing:  # once per outage, not every 0.2 s
                    log.warning("watching job output failed (%s); retrying", exc)
                self._failing = True
                continue
            if self._failing:
                log.info("watching job output again")
            self._failing = False
            for key, state in states.items():
                if self._seen.get(key) != state:
                    self._seen[key] = state
                    for moved in self._waiting.get(key, ()):
                        moved.set()

    async def _read(self, keys: list[Key]) -> dict[Key, Any]:
        by_kind: dict[JobKind, list[uuid.UUID]] = defaultdict(list)
        for kind, job_id in keys:
            by_kind[kind].append(job_id)
        states: dict[Key, Any] = {}
        async with session_scope(self.maker) as session:
            seqs = await repository.last_seqs(session, [job_id for _, job_id in keys])
            for kind, ids in by_kind.items():
                jobs = await repository.job_states(session, kind, ids)
                for job_id in ids:
                    states[(kind, job_id)] = (jobs.get(job_id), seqs.get(job_id, 0))
        return states
