"""All SQL of idempotency keys."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from tunix_rt_backend.db.models import IdempotencyKey


async def find(
    session: AsyncSession, route: str, key: str, since: datetime
) -> IdempotencyKey | None:
    row: IdempotencyKey | None = await session.scalar(
        select(IdempotencyKey).where(
            IdempotencyKey.route == route,
            IdempotencyKey.key == key,
            IdempotencyKey.created_at >= since,
        )
    )
    return row


async def add(session: AsyncSession, row: IdempotencyKey, expired_before: datetime) -> None:
    """Store the key (flushed: a second request with the same key fails here) and
    drop the keys past their day."""
    await session.execute(delete(IdempotencyKey).where(IdempotencyKey.created_at < expired_before))
    session.add(row)
    await session.flush()
