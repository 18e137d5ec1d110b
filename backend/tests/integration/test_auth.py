"""Bearer tokens: off until a token exists, then required on every /api route but
/api/health; `read` may GET, `write` may change data, `admin` may manage tokens."""

from __future__ import annotations

import itertools
import subprocess
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.factories import count_rows, trace_body
from tests.processes import CLI, cli_env, serve
from tunix_rt_backend.auth import service
from tunix_rt_backend.auth.schemas import Scope
from tunix_rt_backend.db.models import ApiToken, Trace
from tunix_rt_backend.kit.time import utcnow


async def _token(maker: async_sessionmaker[AsyncSession], scope: Scope) -> str:
    async with maker() as session:
        created = await service.create_token(session, f"{scope}-token", scope)
        await session.commit()
    return created.token


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_without_tokens_the_api_is_open(client: httpx.AsyncClient) -> None:
    assert (await client.get("/api/traces")).status_code == 200
    assert (await client.post("/api/traces", json=trace_body())).status_code == 201
    assert (await client.get("/api/auth/tokens")).status_code == 200


async def test_health_stays_open_with_tokens(
    client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    await _token(sessionmaker, Scope.read)
    response = await client.get("/api/health")
    assert response.status_code == 200
    assert response.json() == {"status": "healthy"}


GUARDED_READS = ["/api/traces", "/api/redi/health", "/api/auth/tokens"]


@pytest.mark.parametrize("path", GUARDED_READS)
async def test_missing_token_is_401(
    client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession], path: str
) -> None:
    await _token(sessionmaker, Scope.admin)
    response = await client.get(path)
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert response.json()["error"] == "Unauthorized"


@pytest.mark.parametrize(
    "header", ["Bearer trt_wrong", "Basic dXNlcjpwYXNz", "Bearer", "Bearer    "]
)
async def test_bad_credentials_are_401(
    client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession], header: str
) -> None:
    await _token(sessionmaker, Scope.admin)
    response = await client.get("/api/traces", headers={"Authorization": header})
    assert response.status_code == 401


async def test_missing_token_on_write_is_401_and_writes_nothing(
    client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    await _token(sessionmaker, Scope.admin)
    response = await client.post("/api/traces", json=trace_body())
    assert response.status_code == 401
    assert await count_rows(sessionmaker, Trace) == 0


async def test_read_scope_may_get_but_not_write(
    client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    token = await _token(sessionmaker, Scope.read)
    assert (await client.get("/api/traces", headers=_bearer(token))).status_code == 200
    assert (await client.get("/api/redi/health", headers=_bearer(token))).status_code == 200
    response = await client.post("/api/traces", json=trace_body(), headers=_bearer(token))
    assert response.status_code == 403
    assert response.json()["error"] == "Forbidden"
    batch = await client.post("/api/traces/batch", json=[trace_body()], headers=_bearer(token))
    assert batch.status_code == 403
    assert await count_rows(sessionmaker, Trace) == 0


async def test_write_scope_may_change_data_but_not_manage_tokens(
    client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    token = await _token(sessionmaker, Scope.write)
    created = await client.post("/api/traces", json=trace_body(), headers=_bearer(token))
    assert created.status_code == 201
    trace_id = created.json()["id"]
    score = await client.post(f"/api/traces/{trace_id}/score", json={}, headers=_bearer(token))
    assert score.status_code == 201
    assert (await client.get("/api/auth/tokens", headers=_bearer(token))).status_code == 403
    response = await client.post(
        "/api/auth/tokens", json={"name": "x", "scope": "admin"}, headers=_bearer(token)
    )
    assert response.status_code == 403
    assert await count_rows(sessionmaker, ApiToken) == 1


async def test_admin_scope_manages_tokens(
    client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    admin = await _token(sessionmaker, Scope.admin)
    created = await client.post(
        "/api/auth/tokens", json={"name": "ci", "scope": "write"}, headers=_bearer(admin)
    )
    assert created.status_code == 201
    new = created.json()
    assert new["token"].startswith("trt_") and new["scope"] == "write"
    assert new["prefix"] == new["token"][:12]

    listed = (await client.get("/api/auth/tokens", headers=_bearer(admin))).json()
    assert {t["name"] for t in listed} == {"admin-token", "ci"}
    assert all("token" not in t and "token_hash" not in t for t in listed)
    # Only the hash is stored.
    async with sessionmaker() as session:
        hashes = set((await session.scalars(select(ApiToken.token_hash))).all())
    assert service.hash_token(new["token"]) in hashes
    assert new["token"] not in hashes

    assert (
        await client.post("/api/traces", json=trace_body(), headers=_bearer(new["token"]))
    ).status_code == 201
    revoked = await client.post(f"/api/auth/tokens/{new['id']}/revoke", headers=_bearer(admin))
    assert revoked.status_code == 200
    assert revoked.json()["revoked_at"] is not None
    after = await client.get("/api/traces", headers=_bearer(new["token"]))
    assert after.status_code == 401


async def test_the_last_admin_token_cannot_be_revoked(
    client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    admin = await _token(sessionmaker, Scope.admin)
    token_id = (await client.get("/api/auth/tokens", headers=_bearer(admin))).json()[0]["id"]
    refused = await client.post(f"/api/auth/tokens/{token_id}/revoke", headers=_bearer(admin))
    assert (refused.status_code, refused.json()["error"]) == (409, "LastAdminToken")
    assert "create another admin token first" in refused.json()["detail"]
    assert (await client.get("/api/traces", headers=_bearer(admin))).status_code == 200

    # With a second admin, either can go (and then the other is the last).
    second = await _token(sessionmaker, Scope.admin)
    revoked = await client.post(f"/api/auth/tokens/{token_id}/revoke", headers=_bearer(second))
    assert revoked.status_code == 200 and revoked.json()["revoked_at"] is not None
    tokens = (await client.get("/api/auth/tokens", headers=_bearer(second))).json()
    last = next(t["id"] for t in tokens if t["revoked_at"] is None)
    again = await client.post(f"/api/auth/tokens/{last}/revoke", headers=_bearer(second))
    assert again.status_code == 409


async def test_revoking_every_token_keeps_auth_on(
    client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    await _token(sessionmaker, Scope.admin)
    async with sessionmaker() as session, session.begin():  # as an operator with the database
        for token in (await session.scalars(select(ApiToken))).all():
            token.revoked_at = utcnow()
    assert (await client.get("/api/traces")).status_code == 401


@pytest.mark.parametrize("settings_overrides", [{"auth_cache_seconds": 0}])
async def test_without_the_cache_a_token_made_elsewhere_turns_auth_on_at_once(
    client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    assert (await client.get("/api/traces")).status_code == 200
    await _token(sessionmaker, Scope.read)  # as `tunix-rt token create` would
    assert (await client.get("/api/traces")).status_code == 401


@pytest.mark.parametrize("settings_overrides", [{"auth_cache_seconds": 60}])
async def test_tokens_made_and_revoked_through_the_api_apply_at_once_whatever_the_cache(
    client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    """The cache remembers what another process changed for AUTH_CACHE_SECONDS
    (tests/unit/test_auth_cache.py), never what this server changed itself."""
    assert (await client.get("/api/traces")).status_code == 200  # "auth is off", remembered
    created = await client.post("/api/auth/tokens", json={"name": "admin", "scope": "admin"})
    assert created.status_code == 201
    assert (await client.get("/api/traces")).status_code == 401
    admin = created.json()["token"]
    writer = await client.post(
        "/api/auth/tokens", json={"name": "w", "scope": "write"}, headers=_bearer(admin)
    )
    token = writer.json()["token"]
    assert (await client.get("/api/traces", headers=_bearer(token))).status_code == 200
    revoked = await client.post(
        f"/api/auth/tokens/{writer.json()['id']}/revoke", headers=_bearer(admin)
    )
    assert revoked.status_code == 200
    assert (await client.get("/api/traces", headers=_bearer(token))).status_code == 401


@pytest.mark.parametrize(
    "body", [{"name": "", "scope": "read"}, {"name": "x", "scope": "root"}, {"scope": "read"}]
)
async def test_bad_token_requests_are_422_and_write_nothing(
    client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession], body: Any
) -> None:
    admin = await _token(sessionmaker, Scope.admin)
    response = await client.post("/api/auth/tokens", json=body, headers=_bearer(admin))
    assert response.status_code == 422
    assert await count_rows(sessionmaker, ApiToken) == 1


async def test_revoke_unknown_token_is_404(
    client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    admin = await _token(sessionmaker, Scope.admin)
    missing = "00000000-0000-4000-8000-000000000000"
    response = await client.post(f"/api/auth/tokens/{missing}/revoke", headers=_bearer(admin))
    assert response.status_code == 404
    assert response.json()["error"] == "TokenNotFound"


def test_an_open_stream_stops_when_its_token_is_revoked(tmp_path: Path) -> None:
    """A live stream outlives the request that checked its token: revoked, the token
    stops it at its next read (the run's cancel wakes it here), sending nothing more.
    A real server: a test client's transport buffers a stream until it ends."""
    env = cli_env(DATA_DIR=str(tmp_path / "data"), EVAL_AUTO="false")
    subprocess.run([*CLI, "db", "upgrade"], env=env, check=True, timeout=60)
    with serve(env, tmp_path / "serve.log", "--no-worker") as anonymous:
        created = anonymous.post("/api/auth/tokens", json={"name": "admin", "scope": "admin"})
        admin = created.json()["token"]
    with serve(env, tmp_path / "serve.log", "--no-worker", headers=_bearer(admin)) as client:
        reader = client.post("/api/auth/tokens", json={"name": "reader", "scope": "read"}).json()
        generated = client.post("/api/generators/arithmetic/generate", json={"count": 8})
        assert generated.status_code == 201
        assert client.post("/api/datasets/build", json={"name": "sums"}).status_code == 201
        run = {"dataset_key": "sums-v1", "model_id": "tunix-rt/tiny-gemma3"}
        run_id = client.post("/api/tunix/run?mode=async", json=run).json()["run_id"]  # pending
        path = f"/api/tunix/runs/{run_id}/logs"
        with client.stream("GET", path, headers=_bearer(reader["token"])) as stream:
            lines = stream.iter_lines()
            assert "event: status" in itertools.takewhile(bool, lines)  # the token let it in
            revoked = client.post(f"/api/auth/tokens/{reader['id']}/revoke")
            assert revoked.status_code == 200
            assert client.post(f"/api/tunix/runs/{run_id}/cancel").is_success
            rest = list(lines)  # the server ended it
        assert not [line for line in rest if line.startswith("event:")], rest
        again = client.get(path, headers=_bearer(reader["token"]))
        assert again.status_code == 401
