"""The access checks that guard every /api route but /api/health."""

from __future__ import annotations

from fastapi import Request

from tunix_rt_backend.auth import service
from tunix_rt_backend.auth.schemas import Scope
from tunix_rt_backend.deps import SessionDep

_READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


async def require_access(request: Request, session: SessionDep) -> None:
    """`read` for GET, `write` for anything that changes data."""
    needed = Scope.read if request.method in _READ_METHODS else Scope.write
    await _check(request, session, needed)


async def require_admin(request: Request, session: SessionDep) -> None:
    await _check(request, session, Scope.admin)


async def _check(request: Request, session: SessionDep, needed: Scope) -> None:
    state = request.app.state
    # Tokens are never deleted (revoking keeps the row), so once auth is on it stays
    # on: remember it and skip the existence query on every later request.
    if not state.auth_required:
        state.auth_required = await service.auth_required(session)
    if state.auth_required:
        await service.authorize(session, request.headers.get("authorization"), needed)
