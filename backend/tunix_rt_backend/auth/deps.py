"""The access checks that guard every /api route but /api/health."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from tunix_rt_backend.auth import service
from tunix_rt_backend.auth.cache import AuthCache
from tunix_rt_backend.auth.schemas import Scope
from tunix_rt_backend.deps import SessionDep

_READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


async def require_access(request: Request, session: SessionDep) -> None:
    """`read` for GET, `write` for anything that changes data."""
    needed = Scope.read if request.method in _READ_METHODS else Scope.write
    await _check(request, session, needed)


async def require_read(request: Request, session: SessionDep) -> None:
    """`read`, whatever the method: inference (POST /v1/...) changes no data."""
    await _check(request, session, Scope.read)


async def require_admin(request: Request, session: SessionDep) -> None:
    await _check(request, session, Scope.admin)


async def get_auth_cache(request: Request) -> AuthCache:
    cache: AuthCache = request.app.state.auth_cache
    return cache


AuthCacheDep = Annotated[AuthCache, Depends(get_auth_cache)]


async def _check(request: Request, session: SessionDep, needed: Scope) -> None:
    cache = await get_auth_cache(request)
    if await cache.required(session):
        authorization = request.headers.get("authorization")
        request.state.token_id = await service.authorize(session, cache, authorization, needed)


TokenCheck = Callable[[AsyncSession], Awaitable[bool]]


async def get_token_id(request: Request) -> uuid.UUID | None:
    """The id of the token this request was let in with; None with auth off."""
    token_id: uuid.UUID | None = getattr(request.state, "token_id", None)
    return token_id


TokenIdDep = Annotated[uuid.UUID | None, Depends(get_token_id)]


async def get_token_check(request: Request) -> TokenCheck | None:
    """For a response that outlives its request (a live stream): whether the request's
    token is still active, asked again as it goes on. None when no token was needed."""
    token_id = await get_token_id(request)
    if token_id is None:
        return None

    async def active(session: AsyncSession) -> bool:
        return await service.token_active(session, token_id)

    return active


TokenCheckDep = Annotated[TokenCheck | None, Depends(get_token_check)]
