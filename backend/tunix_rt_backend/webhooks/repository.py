"""All SQL of webhooks: the outbox of deliveries, claimed and ended under guards."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from tunix_rt_backend.db.models import WebhookDelivery


async def due(session: AsyncSession, now: datetime, limit: int) -> Sequence[WebhookDelivery]:
    """Pending deliveries whose time has come, the longest waiting first."""
    rows = await session.scalars(
        select(WebhookDelivery)
        .where(WebhookDelivery.status == "pending", WebhookDelivery.next_attempt_at <= now)
        .order_by(WebhookDelivery.next_attempt_at)
        .limit(limit)
    )
    return rows.all()


async def claim(
    session: AsyncSession, row: WebhookDelivery, token: uuid.UUID, lease_until: datetime
) -> bool:
    """Take the delivery for one attempt under `token`: its next attempt moves to
    `lease_until` (a sender that dies mid-attempt leaves it to be tried again then).
    Guarded by the values read: of several senders (servers on one database) one wins."""
    result = await session.execute(
        update(WebhookDelivery)
        .where(
            WebhookDelivery.id == row.id,
            WebhookDelivery.status == "pending",
            WebhookDelivery.attempts == row.attempts,
            WebhookDelivery.next_attempt_at == row.next_attempt_at,
        )
        .values(attempts=row.attempts + 1, next_attempt_at=lease_until, claim_token=token)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1  # type: ignore[attr-defined,no-any-return]


async def end_attempt(
    session: AsyncSession, delivery_id: uuid.UUID, token: uuid.UUID, values: dict[str, Any]
) -> None:
    """Record an attempt's outcome, unless its claim is no longer the delivery's (sent
    again on request, or claimed anew after its lease ran out)."""
    await session.execute(
        update(WebhookDelivery)
        .where(WebhookDelivery.id == delivery_id, WebhookDelivery.claim_token == token)
        .values(claim_token=None, **values)
    )


async def deliveries(
    session: AsyncSession, status: str | None, event: str | None, limit: int, offset: int
) -> Sequence[WebhookDelivery]:
    """A page, newest first (one more row than asked)."""
    query = select(WebhookDelivery)
    if status is not None:
        query = query.where(WebhookDelivery.status == status)
    if event is not None:
        query = query.where(WebhookDelivery.event == event)
    rows = await session.scalars(
        query.order_by(WebhookDelivery.created_at.desc(), WebhookDelivery.id.desc())
        .limit(limit + 1)
        .offset(offset)
    )
    return rows.all()


async def delivery(session: AsyncSession, delivery_id: uuid.UUID) -> WebhookDelivery | None:
    return await session.get(WebhookDelivery, delivery_id)
