"""What the database said about tokens, remembered for AUTH_CACHE_SECONDS.

Every /api request needs one of two answers: whether auth is on (a token was ever
created) or, once it is, which active token the bearer is. Asked of the database each
time, either costs a statement per request, about a fifth of a small read's time
(docs/performance.md, "The API's hot path"). So:

- "auth is on" is kept for good: tokens are never deleted, so it never turns off;
- "auth is off" and "this hash is active token T of scope S" are kept AUTH_CACHE_SECONDS;
- unknown and revoked tokens are never kept: each such request asks again;
- a token created or revoked through this server's API applies at once (`changed`);
  one created or revoked by another process (`tunix-rt token ...`) within the TTL;
- AUTH_CACHE_SECONDS=0 asks the database on every request.

A live stream outlives its request's check: it asks the database itself at each read
(`auth.deps.get_token_check`), so a revoked token stops it at once whatever the TTL.
"""

from __future__ import annotations

import math
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from tunix_rt_backend.auth import repository
from tunix_rt_backend.auth.schemas import Scope

# Active tokens are few (each is made by hand), but the bound keeps memory flat whatever
# happens: when full, everything is forgotten and asked again.
MAX_KNOWN_TOKENS = 1024


@dataclass(frozen=True, slots=True)
class KnownToken:
    id: uuid.UUID
    scope: Scope
    until: float


class AuthCache:
    def __init__(self, ttl_seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self._ttl = ttl_seconds
        self._clock = clock
        self._on = False
        self._off_until = -math.inf
        self._tokens: dict[str, KnownToken] = {}

    async def required(self, session: AsyncSession) -> bool:
        """Whether requests need a token: a token has ever been created."""
        if self._on:
            return True
        now = self._clock()
        if now < self._off_until:
            return False
        self._on = await repository.any_token_exists(session)
        if not self._on:
            self._off_until = now + self._ttl
        return self._on

    async def token(self, session: AsyncSession, token_hash: str) -> KnownToken | None:
        """The active token with this hash, or None."""
        now = self._clock()
        known = self._tokens.get(token_hash)
        if known is not None and now < known.until:
            return known
        row = await repository.find_active_by_hash(session, token_hash)
        if row is None:
            self._tokens.pop(token_hash, None)
            return None
        known = KnownToken(row.id, Scope(row.scope), now + self._ttl)
        if self._ttl > 0:
            if len(self._tokens) >= MAX_KNOWN_TOKENS:
                self._tokens.clear()
            self._tokens[token_hash] = known
        return known

    def changed(self) -> None:
        """Tokens were created or revoked (and committed): ask the database again."""
        self._off_until = -math.inf
        self._tokens.clear()
