from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from tunix_rt_backend.auth.deps import require_admin
from tunix_rt_backend.deps import OffsetQuery, SessionDep
from tunix_rt_backend.errors import Forbidden, NotFound, Unauthorized, responses
from tunix_rt_backend.kit.json_input import CheckedRoute
from tunix_rt_backend.kit.pagination import MAX_LIMIT, Page
from tunix_rt_backend.webhooks import service
from tunix_rt_backend.webhooks.schemas import Delivery, DeliveryStatus, EventName

# Admin only: a webhook URL is often a secret itself (a chat service's incoming hook).
router = APIRouter(
    route_class=CheckedRoute,
    prefix="/api/webhooks",
    tags=["webhooks"],
    dependencies=[Depends(require_admin)],
    responses=responses(Unauthorized, Forbidden),
)


@router.get("/deliveries", response_model=Page[Delivery], responses=responses(validation=True))
async def list_deliveries(
    session: SessionDep,
    status: Annotated[DeliveryStatus | None, Query(description="Only these")] = None,
    event: Annotated[EventName | None, Query(description="Only this event's")] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 50,
    offset: OffsetQuery = 0,
) -> Page[Delivery]:
    """Every delivery of every event to WEBHOOK_URLS, newest first: its body, status
    (pending, delivered, failed), attempts, and the receiver's last answer."""
    return await service.list_deliveries(session, status, event, limit, offset)


@router.post(
    "/deliveries/{delivery_id}/redeliver",
    response_model=Delivery,
    responses=responses(NotFound, validation=True),
)
async def redeliver(session: SessionDep, delivery_id: uuid.UUID) -> Delivery:
    """Send it again now, with a fresh set of attempts (the same body and id)."""
    return await service.redeliver(session, delivery_id)
