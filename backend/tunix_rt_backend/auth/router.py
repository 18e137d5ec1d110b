from __future__ import annotations

import uuid

from fastapi import APIRouter, Depends, status
from sqlalchemy.ext.asyncio import AsyncSession

from tunix_rt_backend.auth import service
from tunix_rt_backend.auth.cache import AuthCache
from tunix_rt_backend.auth.deps import AuthCacheDep, require_admin
from tunix_rt_backend.auth.schemas import TokenCreate, TokenCreated, TokenInfo
from tunix_rt_backend.deps import SessionDep
from tunix_rt_backend.errors import Conflict, Forbidden, NotFound, Unauthorized, responses
from tunix_rt_backend.kit.json_input import CheckedRoute

router = APIRouter(
    route_class=CheckedRoute,
    prefix="/api/auth/tokens",
    tags=["auth"],
    dependencies=[Depends(require_admin)],
    responses=responses(Unauthorized, Forbidden),
)


@router.get("", response_model=list[TokenInfo])
async def list_tokens(session: SessionDep) -> list[TokenInfo]:
    """Every token, revoked ones included; never the token itself."""
    return list(await service.list_tokens(session))


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=TokenCreated,
    responses=responses(validation=True),
)
async def create_token(session: SessionDep, cache: AuthCacheDep, body: TokenCreate) -> TokenCreated:
    """Create a token; the response holds it once. It applies to the next request."""
    created = await service.create_token(session, body.name, body.scope)
    await _committed(session, cache)
    return created


@router.post(
    "/{token_id}/revoke",
    response_model=TokenInfo,
    responses=responses(NotFound, Conflict, validation=True),
)
async def revoke_token(session: SessionDep, cache: AuthCacheDep, token_id: uuid.UUID) -> TokenInfo:
    """Revoke a token; it is refused from the next request on, and its open streams stop."""
    revoked = await service.revoke_token(session, token_id)
    await _committed(session, cache)
    return revoked


async def _committed(session: AsyncSession, cache: AuthCache) -> None:
    # Forgotten only once committed: a request between the two would otherwise read the
    # old state from the database and remember it again.
    await session.commit()
    cache.changed()
