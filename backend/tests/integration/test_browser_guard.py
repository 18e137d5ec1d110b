"""Protection from the browser, with auth off: a Host allow-list against DNS rebinding,
no cross-site writes (another Origin, or a body that is not JSON, as a cross-site form
sends), no CORS (no other origin reads answers), and security headers on every response."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tunix_rt_backend.browser import CONTENT_SECURITY_POLICY, default_allowed_hosts
from tunix_rt_backend.db.models import Trace

from ..factories import count_rows, trace_body

Maker = async_sessionmaker[AsyncSession]
TRACE = orjson.dumps(trace_body())


@pytest.fixture
def settings_overrides(tmp_path: Path) -> dict[str, Any]:
    ui = tmp_path / "dist"
    ui.mkdir()
    (ui / "index.html").write_text("<!doctype html><title>Tunix RT</title>")
    (ui / "api-docs").mkdir()
    (ui / "api-docs" / "swagger-ui-bundle.js").write_text("// swagger-ui-dist")
    return {"ui_dir": ui}


@pytest.mark.parametrize("host", ["evil.example", "evil.example:8000", "127.0.0.2", "[::2]:80"])
async def test_a_host_not_allowed_is_refused(client: httpx.AsyncClient, host: str) -> None:
    response = await client.get("/api/health", headers={"host": host})
    assert response.status_code == 400
    assert response.json()["error"] == "HostNotAllowed"
    assert "ALLOWED_HOSTS" in response.json()["detail"]


@pytest.mark.parametrize("host", ["test", "localhost:8000", "127.0.0.1:8000", "LOCALHOST"])
async def test_allowed_hosts_are_served(client: httpx.AsyncClient, host: str) -> None:
    assert (await client.get("/api/health", headers={"host": host})).status_code == 200


@pytest.mark.parametrize(
    ("headers", "status", "error"),
    [
        ({"content-type": "text/plain"}, 415, "UnsupportedMediaType"),
        ({"content-type": "application/x-www-form-urlencoded"}, 415, "UnsupportedMediaType"),
        ({"content-type": "multipart/form-data; boundary=x"}, 415, "UnsupportedMediaType"),
        ({"content-type": "application/json", "origin": "http://evil.example"}, 403, None),
        ({"content-type": "application/json", "origin": "http://test.evil.example"}, 403, None),
        ({"content-type": "application/json", "origin": "null"}, 403, None),
    ],
)
async def test_a_cross_site_write_is_refused_and_writes_nothing(
    client: httpx.AsyncClient,
    sessionmaker: Maker,
    headers: dict[str, str],
    status: int,
    error: str | None,
) -> None:
    response = await client.post("/api/traces", content=TRACE, headers=headers)
    assert response.status_code == status, response.text
    assert response.json()["error"] == (error or "CrossOriginRequest")
    assert await count_rows(sessionmaker, Trace) == 0


@pytest.mark.parametrize(
    "headers",
    [
        {"content-type": "application/json"},
        {"content-type": "application/json; charset=utf-8", "origin": "http://test"},
        {"content-type": "application/json", "origin": "http://localhost:5173"},  # make dev
    ],
)
async def test_the_servers_own_pages_and_clients_write(
    client: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    assert (await client.post("/api/traces", content=TRACE, headers=headers)).status_code == 201


async def test_a_write_with_no_body_needs_no_content_type(client: httpx.AsyncClient) -> None:
    # As `curl -X POST .../cancel` sends it: nothing to parse, nothing to refuse.
    response = await client.post("/api/tunix/runs/00000000-0000-0000-0000-000000000000/cancel")
    assert response.status_code == 404


async def test_every_response_carries_the_security_headers(client: httpx.AsyncClient) -> None:
    for path in ("/", "/runs/123", "/api/health", "/api/nope"):
        response = await client.get(path)
        assert response.headers["x-content-type-options"] == "nosniff", path
        assert response.headers["x-frame-options"] == "DENY"
        assert response.headers["referrer-policy"] == "same-origin"
        assert response.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    csp = (await client.get("/")).headers["content-security-policy"]
    assert "script-src 'self';" in csp and "frame-ancestors 'none'" in csp
    # The API docs too: Swagger UI from the build, no CDN, no inline script.
    docs = await client.get("/docs")
    assert docs.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    assert '<script src="/api-docs/swagger-ui-bundle.js">' in docs.text
    assert "cdn" not in docs.text and "<script>" not in docs.text
    assert (await client.get("/redoc")).headers["content-type"].startswith("text/html")
    refused = await client.get("/api/health", headers={"host": "evil.example"})
    assert refused.headers["x-frame-options"] == "DENY"


def test_the_default_hosts_follow_where_the_server_listens() -> None:
    loopback = default_allowed_hosts("127.0.0.1", "")
    assert loopback is not None and {"localhost", "127.0.0.1", "::1"} <= set(loopback)
    assert default_allowed_hosts("0.0.0.0", "") is None  # tokens guard it (serve insists)
    assert default_allowed_hosts("127.0.0.1", "*") is None
    assert default_allowed_hosts("0.0.0.0", "tunix.example, 10.0.0.5") == [
        "tunix.example",
        "10.0.0.5",
    ]


@pytest.mark.parametrize("origin", ["http://evil.example", "http://localhost:5173"])
async def test_no_other_origin_may_read_answers(client: httpx.AsyncClient, origin: str) -> None:
    """No CORS headers, even for the development server's origin (its pages reach the
    API through Vite's proxy, on their own origin): a browser keeps every answer from
    another origin's page, and refuses its preflight."""
    read = await client.get("/api/traces", headers={"origin": origin})
    assert read.status_code == 200
    preflight = await client.options(
        "/api/traces",
        headers={"origin": origin, "access-control-request-method": "POST"},
    )
    for response in (read, preflight):
        assert not any(h.startswith("access-control-") for h in response.headers)
