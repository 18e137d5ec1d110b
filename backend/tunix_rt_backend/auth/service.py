"""API tokens: created with a scope, stored as SHA-256 hashes, checked per request.

Tokens are 256-bit random strings, so a fast hash is safe here (no password to
brute-force) and keeps the check to one indexed lookup.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from tunix_rt_backend.auth import repository
from tunix_rt_backend.auth.cache import AuthCache
from tunix_rt_backend.auth.schemas import Scope, TokenCreated, TokenInfo
from tunix_rt_backend.db.models import ApiToken
from tunix_rt_backend.errors import Conflict, Forbidden, NotFound, Unauthorized
from tunix_rt_backend.kit.time import utcnow

TOKEN_PREFIX = "trt_"
DISPLAY_PREFIX_CHARS = 12


class TokenNotFound(NotFound):
    pass


class LastAdminToken(Conflict):
    pass


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def create_token(session: AsyncSession, name: str, scope: Scope) -> TokenCreated:
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(
        id=uuid.uuid4(),
        name=name,
        scope=scope.value,
        prefix=token[:DISPLAY_PREFIX_CHARS],
        token_hash=hash_token(token),
        created_at=utcnow(),
        revoked_at=None,
    )
    await repository.add_token(session, row)
    return TokenCreated(**TokenInfo.model_validate(row).model_dump(), token=token)


async def list_tokens(session: AsyncSession) -> Sequence[TokenInfo]:
    return [TokenInfo.model_validate(row) for row in await repository.list_tokens(session)]


async def revoke_token(session: AsyncSession, token_id: uuid.UUID) -> TokenInfo:
    """Revoke a token; never the last active admin token (no one could then manage
    the tokens through the API, and auth stays on)."""
    admins = await repository.active_admins_for_update(session)
    if [t.id for t in admins] == [token_id]:
        raise LastAdminToken(
            f"Token {token_id} is the last active admin token: create another admin token "
            "first (tunix-rt token create --scope admin), then revoke this one."
        )
    row = await repository.revoke(session, token_id)
    if row is None:
        raise TokenNotFound(f"Token {token_id} not found.")
    return TokenInfo.model_validate(row)


async def auth_required(session: AsyncSession) -> bool:
    """Authentication is on once any token has ever been created. Revoking every
    token does not turn it off again: the server fails closed."""
    return await repository.any_token_exists(session)


async def authorize(
    session: AsyncSession, cache: AuthCache, authorization: str | None, needed: Scope
) -> uuid.UUID:
    """The id of the request's token, once it is known, active and allowed `needed`."""
    if authorization is None:
        raise Unauthorized("This server requires a bearer token (Authorization: Bearer <token>).")
    kind, _, token = authorization.partition(" ")
    if kind.lower() != "bearer" or not token.strip():
        raise Unauthorized("Malformed Authorization header; expected 'Bearer <token>'.")
    known = await cache.token(session, hash_token(token.strip()))
    if known is None:
        raise Unauthorized("Unknown or revoked token.")
    if not known.scope.allows(needed):
        raise Forbidden(f"This token has scope '{known.scope}'; this request needs '{needed}'.")
    return known.id


async def token_active(session: AsyncSession, token_id: uuid.UUID) -> bool:
    return await repository.is_active(session, token_id)


async def token_name(session: AsyncSession, token_id: uuid.UUID) -> str | None:
    """The token's name (what a record of who did something keeps)."""
    token = await session.get(ApiToken, token_id)
    return token.name if token is not None else None


async def token_is_admin(session: AsyncSession, token_id: uuid.UUID) -> bool:
    token = await session.get(ApiToken, token_id)
    return token is not None and token.scope == Scope.admin
