"""Idempotent creates: a request sent with an `Idempotency-Key` header is answered once;
a retry with the same key and body (its response was lost) gets the stored answer, and
nothing is written again. The key is stored in the create's own transaction, so either
both are kept or neither. Keys live for a day (KEY_LIFETIME)."""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from tunix_rt_backend.db.models import IdempotencyKey
from tunix_rt_backend.errors import Conflict
from tunix_rt_backend.idempotency import repository
from tunix_rt_backend.kit.time import utcnow

KEY_LIFETIME = timedelta(days=1)


class IdempotencyKeyReused(Conflict):
    """The key was sent before with another body."""


class IdempotencyKeyInUse(Conflict):
    """Another request with the key is being answered right now."""


@dataclass(frozen=True)
class Answer:
    status_code: int
    body: bytes


async def once(
    session: AsyncSession,
    route: str,
    key: str | None,
    raw: bytes,
    answer: Callable[[], Awaitable[Answer]],
) -> tuple[Answer, bool]:
    """`answer()` once per key: (the answer, whether it is a stored one replayed).
    Without a key, simply `answer()`."""
    if key is None:
        return await answer(), False
    stored = await replay(session, route, key, raw)
    if stored is not None:
        return stored, True
    fresh = await answer()
    await remember(session, route, key, raw, fresh)
    return fresh, False


async def replay(session: AsyncSession, route: str, key: str, raw: bytes) -> Answer | None:
    """The stored answer to this key (and the same body), or None: answer it afresh."""
    row = await repository.find(session, route, key, utcnow() - KEY_LIFETIME)
    if row is None:
        return None
    if row.request_sha256 != _sha256(raw):
        raise IdempotencyKeyReused(
            f"Idempotency-Key {key!r} was sent before with another body: use a new key "
            "for a new request"
        )
    return Answer(row.status_code, row.body)


async def remember(session: AsyncSession, route: str, key: str, raw: bytes, answer: Answer) -> None:
    now = utcnow()
    row = IdempotencyKey(
        route=route,
        key=key,
        request_sha256=_sha256(raw),
        status_code=answer.status_code,
        body=answer.body,
        created_at=now,
    )
    try:
        await repository.add(session, row, now - KEY_LIFETIME)
    except IntegrityError:
        raise IdempotencyKeyInUse(
            f"a request with Idempotency-Key {key!r} is being answered: send it again in "
            "a moment to get its answer"
        ) from None


def _sha256(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()
