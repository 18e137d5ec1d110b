"""What a domain gives `jobs/` to have its long tasks queued and run: a `JobKind`."""

from __future__ import annotations

import dataclasses
import functools
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import Column
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tunix_rt_backend.db.models.job import JobColumns
from tunix_rt_backend.settings import Settings

if TYPE_CHECKING:
    from tunix_rt_backend.jobs.output import JobOutput
    from tunix_rt_backend.jobs.repository import Owner
    from tunix_rt_backend.jobs.service import Stop

Maker = async_sessionmaker[AsyncSession]
JobTable = type[JobColumns]


@dataclass
class JobContext:
    """What a handler gets to execute one claimed job.

    `row`: the job's row as claimed, its columns as attributes, attached to no session
    (attempt > 1: an earlier attempt was lost, resume).
    `stop`: set when the job should stop (`stop.reason`: "cancel" or "shutdown");
    a handler that stops on "shutdown" returns `{"status": "pending"}` to be re-queued.
    `output`: where its log lines and metric points go (stored as they come, streamed
    to browsers)."""

    maker: Maker
    settings: Settings
    kind: JobKind
    row: Any
    owner: Owner
    stop: Stop
    output: JobOutput

    @property
    def job_id(self) -> uuid.UUID:
        return self.kind.id_of(self.row)


# Executes a claimed job; returns the values of its end state (at least "status"),
# which `jobs/` writes under the owner's guard, with completed_at.
Handler = Callable[[JobContext], Awaitable[dict[str, Any]]]


# Told of a job's end once it is written: (maker, settings, the job's row as claimed,
# the values written). What follows a job (a completed run's evaluation) goes here.
AfterEnd = Callable[[Maker, Settings, Any, dict[str, Any]], Awaitable[None]]


@dataclass(frozen=True, eq=False)  # one object a kind: compared and hashed by identity
class JobKind:
    """A kind of job: its name, the table whose rows are its jobs (a table with
    JobColumns: it is the queue), the handler that executes one and, optionally, what
    follows the end of one (`after_end`, called once its end state is written; a
    failure there is logged and changes nothing of the job)."""

    name: str
    table: JobTable
    handler: Handler
    after_end: AfterEnd | None = None

    def followed_by(self, after_end: AfterEnd) -> JobKind:
        return dataclasses.replace(self, after_end=after_end)

    @functools.cached_property
    def id_column(self) -> Column[Any]:
        column: Column[Any] = self.table.__table__.primary_key.columns[0]  # type: ignore[attr-defined]
        return column

    @functools.cached_property
    def _id_key(self) -> str:
        return self.id_column.key

    def id_of(self, row: Any) -> uuid.UUID:
        value: uuid.UUID = getattr(row, self._id_key)
        return value


def by_name(kinds: Sequence[JobKind]) -> dict[str, JobKind]:
    names = [k.name for k in kinds]
    if len(set(names)) != len(names):
        raise ValueError(f"job kinds registered twice: {names}")
    return {k.name: k for k in kinds}
