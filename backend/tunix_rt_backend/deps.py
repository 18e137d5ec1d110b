"""Dependency aliases, declared once for every router.

Every dependency is `async def`, even one that awaits nothing: FastAPI runs a plain
`def` dependency in a worker thread, a thread hop on every request that uses it
(tests/unit/test_dependencies.py keeps it so)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Annotated

from fastapi import Depends, Query, Request
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tunix_rt_backend.db.engine import session_scope
from tunix_rt_backend.jobs.watch import JobWatch
from tunix_rt_backend.kit.pagination import (
    DEFAULT_LIMIT,
    MAX_LIMIT,
    MAX_OFFSET,
    PageParams,
    page_of,
)
from tunix_rt_backend.settings import Settings


async def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    async with session_scope(request.app.state.sessionmaker) as session:
        yield session


async def get_sessionmaker(request: Request) -> async_sessionmaker[AsyncSession]:
    maker: async_sessionmaker[AsyncSession] = request.app.state.sessionmaker
    return maker


SettingsDep = Annotated[Settings, Depends(get_settings)]
# scope="function": the session commits when the route returns, BEFORE the response
# is sent. With the default ("request") a client could get 201 for a write that is not
# yet visible, or whose commit then fails.
SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]
# For streamed responses, which outlive the request's session and open their own.
SessionMakerDep = Annotated[async_sessionmaker[AsyncSession], Depends(get_sessionmaker)]


async def get_wake(request: Request) -> Callable[[], None] | None:
    """Nudges this process's embedded worker (if it has one) to look at the queue now."""
    worker = getattr(request.app.state, "worker", None)
    return worker.wake if worker is not None else None


WakeDep = Annotated[Callable[[], None] | None, Depends(get_wake)]


async def get_job_watch(request: Request) -> JobWatch:
    """The process's one poll for every live output stream (jobs/watch.py)."""
    watch: JobWatch = request.app.state.job_watch
    return watch


JobWatchDep = Annotated[JobWatch, Depends(get_job_watch)]


OffsetQuery = Annotated[int, Query(ge=0, le=MAX_OFFSET)]


async def page_params(
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
    offset: OffsetQuery = 0,
    cursor: Annotated[
        str | None,
        Query(max_length=200, description="`next_cursor` of a previous page; not with offset."),
    ] = None,
) -> PageParams:
    return page_of(limit, offset, cursor)


PageParamsDep = Annotated[PageParams, Depends(page_params)]
