"""All SQL of the auth domain."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import exists, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from tunix_rt_backend.db.models import ApiToken
from tunix_rt_backend.kit.time import utcnow


async def any_token_exists(session: AsyncSession) -> bool:
    return bool(await session.scalar(select(exists().where(ApiToken.id.is_not(None)))))


async def find_active_by_hash(session: AsyncSession, token_hash: str) -> ApiToken | None:
    query = select(ApiToken).where(ApiToken.token_hash == token_hash, ApiToken.revoked_at.is_(None))
    token: ApiToken | None = await session.scalar(query)
    return token


async def is_active(session: AsyncSession, token_id: uuid.UUID) -> bool:
    query = select(ApiToken.id).where(ApiToken.id == token_id, ApiToken.revoked_at.is_(None))
    return await session.scalar(query) is not None


async def add_token(session: AsyncSession, token: ApiToken) -> None:
    session.add(token)
    await session.flush()


async def list_tokens(session: AsyncSession) -> Sequence[ApiToken]:
    return (await session.scalars(select(ApiToken).order_by(ApiToken.created_at))).all()


async def revoke(session: AsyncSession, token_id: uuid.UUID) -> ApiToken | None:
    """Revoke once; a second revoke keeps the first timestamp."""
    await session.execute(
        update(ApiToken)
        .where(ApiToken.id == token_id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )
    return await session.get(ApiToken, token_id, populate_existing=True)


async def active_admins_for_update(session: AsyncSession) -> Sequence[ApiToken]:
    """The active admin tokens, locked until commit (PostgreSQL): two revokes at once
    cannot each leave the other the last one and revoke it too."""
    query = (
        select(ApiToken)
        .where(ApiToken.scope == "admin", ApiToken.revoked_at.is_(None))
        .with_for_update()
    )
    return (await session.scalars(query)).all()
