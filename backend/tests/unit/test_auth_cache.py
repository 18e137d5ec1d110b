"""AuthCache against a real database and a hand-turned clock: what another process
changes applies within the TTL; unknown and revoked tokens are never remembered."""

from __future__ import annotations

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tunix_rt_backend.auth import service
from tunix_rt_backend.auth.cache import AuthCache
from tunix_rt_backend.auth.schemas import Scope
from tunix_rt_backend.db.models import ApiToken

TTL = 1.0


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


async def _create(maker: async_sessionmaker[AsyncSession], scope: Scope = Scope.read) -> str:
    """A token committed by someone else (as `tunix-rt token create` would)."""
    async with maker() as session, session.begin():
        created = await service.create_token(session, "t", scope)
    return created.token


async def _revoke_all(maker: async_sessionmaker[AsyncSession]) -> None:
    async with maker() as session, session.begin():
        await session.execute(update(ApiToken).values(revoked_at=ApiToken.created_at))


async def _required(cache: AuthCache, maker: async_sessionmaker[AsyncSession]) -> bool:
    async with maker() as session:
        return await cache.required(session)


async def _token_of(
    cache: AuthCache, maker: async_sessionmaker[AsyncSession], token: str
) -> Scope | None:
    async with maker() as session:
        known = await cache.token(session, service.hash_token(token))
    return None if known is None else known.scope


async def test_auth_off_is_remembered_for_the_ttl_then_asked_again(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    clock = Clock()
    cache = AuthCache(TTL, clock)
    assert await _required(cache, sessionmaker) is False
    await _create(sessionmaker)
    clock.now += TTL * 0.9
    assert await _required(cache, sessionmaker) is False
    clock.now += TTL * 0.2
    assert await _required(cache, sessionmaker) is True


async def test_auth_on_is_kept_for_good(sessionmaker: async_sessionmaker[AsyncSession]) -> None:
    clock = Clock()
    cache = AuthCache(TTL, clock)
    await _create(sessionmaker)
    assert await _required(cache, sessionmaker) is True
    await _revoke_all(sessionmaker)  # revoking every token does not turn auth off
    clock.now += 3600
    assert await _required(cache, sessionmaker) is True


async def test_a_token_revoked_elsewhere_is_refused_once_the_ttl_has_passed(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    clock = Clock()
    cache = AuthCache(TTL, clock)
    token = await _create(sessionmaker, Scope.write)
    assert await _token_of(cache, sessionmaker, token) == Scope.write
    await _revoke_all(sessionmaker)
    clock.now += TTL * 0.9
    assert await _token_of(cache, sessionmaker, token) == Scope.write
    clock.now += TTL * 0.2
    assert await _token_of(cache, sessionmaker, token) is None


async def test_unknown_tokens_are_not_remembered(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    cache = AuthCache(TTL, Clock())
    assert await _token_of(cache, sessionmaker, "trt_nobody") is None
    token = await _create(sessionmaker)
    assert await _token_of(cache, sessionmaker, "trt_nobody") is None
    assert await _token_of(cache, sessionmaker, token) == Scope.read  # the clock never moved


async def test_changed_forgets_everything_but_auth_on(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    cache = AuthCache(TTL, Clock())
    token = await _create(sessionmaker)
    assert await _token_of(cache, sessionmaker, token) == Scope.read
    await _revoke_all(sessionmaker)
    cache.changed()
    assert await _token_of(cache, sessionmaker, token) is None
    assert await _required(cache, sessionmaker) is True


async def test_a_zero_ttl_asks_the_database_every_time(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    cache = AuthCache(0, Clock())
    assert await _required(cache, sessionmaker) is False
    token = await _create(sessionmaker)
    assert await _required(cache, sessionmaker) is True
    assert await _token_of(cache, sessionmaker, token) == Scope.read
    await _revoke_all(sessionmaker)
    assert await _token_of(cache, sessionmaker, token) is None
