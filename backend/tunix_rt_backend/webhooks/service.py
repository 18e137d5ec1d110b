"""Business rules of webhooks: an event becomes one pending delivery per WEBHOOK_URL,
in the caller's transaction (it is sent only if that commits); deliveries are listed
and sent again on request. Sending is webhooks/sender.py. Never commits."""

from __future__ import annotations

import uuid
from typing import Any

import orjson
from sqlalchemy.ext.asyncio import AsyncSession

from tunix_rt_backend.db.models import WebhookDelivery
from tunix_rt_backend.errors import NotFound
from tunix_rt_backend.kit.pagination import Page, offset_pagination
from tunix_rt_backend.kit.time import utcnow
from tunix_rt_backend.settings import Settings
from tunix_rt_backend.webhooks import repository
from tunix_rt_backend.webhooks.schemas import Delivery, DeliveryStatus, EventName


class DeliveryNotFound(NotFound):
    pass


async def enqueue(
    session: AsyncSession, settings: Settings, event: EventName, data: dict[str, Any]
) -> None:
    """Queue the event for every configured URL (nothing when there is none)."""
    if not settings.webhook_url_list:
        return
    now = utcnow()
    for url in settings.webhook_url_list:
        delivery_id = uuid.uuid4()
        body = {"id": str(delivery_id), "event": event, "created_at": now.isoformat(), "data": data}
        session.add(
            WebhookDelivery(
                id=delivery_id,
                event=event,
                url=url,
                payload=orjson.dumps(body).decode(),
                status="pending",
                attempts=0,
                next_attempt_at=now,
                created_at=now,
            )
        )
    await session.flush()


async def list_deliveries(
    session: AsyncSession,
    status: DeliveryStatus | None,
    event: EventName | None,
    limit: int,
    offset: int,
) -> Page[Delivery]:
    rows = await repository.deliveries(session, status, event, limit, offset)
    return Page[Delivery](
        data=[_delivery(r) for r in rows[:limit]],
        pagination=offset_pagination(limit, offset, len(rows) > limit),
    )


async def redeliver(session: AsyncSession, delivery_id: uuid.UUID) -> Delivery:
    """Send it again, with a fresh set of attempts (a receiver fixed after it failed)."""
    row = await repository.delivery(session, delivery_id)
    if row is None:
        raise DeliveryNotFound(f"no webhook delivery {delivery_id}")
    row.status = "pending"
    row.attempts = 0
    row.next_attempt_at = utcnow()
    row.claim_token = None  # an attempt in flight now records nothing
    await session.flush()
    return _delivery(row)


def _delivery(row: WebhookDelivery) -> Delivery:
    return Delivery(
        id=row.id,
        event=row.event,
        url=row.url,
        status=row.status,
        attempts=row.attempts,
        next_attempt_at=row.next_attempt_at if row.status == "pending" else None,
        last_status_code=row.last_status_code,
        last_error=row.last_error,
        created_at=row.created_at,
        delivered_at=row.delivered_at,
        payload=orjson.loads(row.payload),
    )
