from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field


class Scope(StrEnum):
    """Each scope includes the ones below it: admin > write > read."""

    read = "read"
    write = "write"
    admin = "admin"

    @property
    def rank(self) -> int:
        return list(Scope).index(self)

    def allows(self, needed: Scope) -> bool:
        return self.rank >= needed.rank


class TokenCreate(BaseModel):
    name: str = Field(min_length=1, max_length=128)
    scope: Scope = Scope.read


class TokenInfo(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    name: str
    scope: Scope
    prefix: str
    created_at: datetime
    revoked_at: datetime | None


class TokenCreated(TokenInfo):
    token: str = Field(description="The bearer token. Shown this once; only its hash is kept.")
