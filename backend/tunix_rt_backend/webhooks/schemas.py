from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

DeliveryStatus = Literal["pending", "delivered", "failed"]
EventName = Literal["model_version.created", "model_alias.moved"]


class Delivery(BaseModel):
    id: uuid.UUID = Field(description="Also sent as X-Tunix-Delivery")
    event: EventName
    url: str
    status: DeliveryStatus
    attempts: int
    next_attempt_at: datetime | None = Field(description="While pending")
    last_status_code: int | None = Field(description="The receiver's last HTTP status")
    last_error: str | None
    created_at: datetime
    delivered_at: datetime | None
    payload: dict[str, Any] = Field(description="The body sent")
