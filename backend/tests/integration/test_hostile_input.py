"""Input that no database stores the same way, or that overflows a column, is a 422 with
`{error, detail}` on both databases, and writes nothing: NaN, Infinity and overflowing
numbers, integers beyond 64 bits, the NUL character (body, key, query), offsets past
64 bits, cursors at the calendar's edge, log resume points past the seq column."""

from __future__ import annotations

import base64
from typing import Any

import httpx
import orjson
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tunix_rt_backend.db.models import Dataset, RegressionBaseline, Trace, TunixRun
from tunix_rt_backend.traces import service as traces_service

from ..factories import count_rows, sums_dataset, trace_body

Maker = async_sessionmaker[AsyncSession]
JSON = {"content-type": "application/json"}
TRACE = orjson.dumps(trace_body()).decode()


def _with(fragment: str) -> bytes:
    """The factory's trace with `fragment` (raw JSON) as its meta."""
    return TRACE.replace('"meta":{"source":"example"}', f'"meta":{fragment}').encode()


async def _refused(client: httpx.AsyncClient, method: str, path: str, **kwargs: Any) -> Any:
    response = await client.request(method, path, **kwargs)
    assert response.status_code == 422, (path, response.text)
    body = response.json()
    assert body["error"] == "ValidationError" and body["detail"], body
    return body["detail"]


@pytest.mark.parametrize(
    ("fragment", "loc", "msg"),
    [
        ('{"x": NaN}', ["body", "meta", "x"], "NaN is not a finite number"),
        ('{"x": [1, Infinity]}', ["body", "meta", "x", 1], "Infinity is not a finite number"),
        ('{"x": -Infinity}', ["body", "meta", "x"], "-Infinity is not a finite number"),
        ('{"x": 1e400}', ["body", "meta", "x"], "1e400 is not a finite number"),
        ('{"x": 18446744073709551616}', ["body", "meta", "x"], "integers must fit in 64 bits"),
        ('{"x": -9223372036854775809}', ["body", "meta", "x"], "integers must fit in 64 bits"),
        ('{"x": "a\\u0000b"}', ["body", "meta", "x"], "the NUL character is not allowed"),
        ('{"a\\u0000": 1}', ["body", "meta"], "the NUL character is not allowed in a key"),
    ],
)
async def test_a_trace_with_a_value_no_database_stores_alike_is_refused(
    client: httpx.AsyncClient, sessionmaker: Maker, fragment: str, loc: list[Any], msg: str
) -> None:
    detail = await _refused(client, "POST", "/api/traces", content=_with(fragment), headers=JSON)
    # Parsed as a double first, 1e400 is an infinity by the time it is found.
    msg = msg.replace("1e400", "Infinity")
    assert {"loc": loc, "msg": msg, "type": "value_error"} in detail
    batch = b"[" + _with(fragment) + b"]"
    detail = await _refused(client, "POST", "/api/traces/batch", content=batch, headers=JSON)
    assert detail[0]["loc"] == ["body", 0, *loc[1:]]
    assert await count_rows(sessionmaker, Trace) == 0


async def test_values_at_the_edges_are_stored(client: httpx.AsyncClient) -> None:
    fragment = (
        '{"max": 18446744073709551615, "min": -9223372036854775808, "big": 1e300, '
        '"tiny": 1e-400, "text": "a\\\\u0000b", "NaNa": "Infinity"}'
    )
    created = await client.post("/api/traces", content=_with(fragment), headers=JSON)
    assert created.status_code == 201, created.text
    stored = (await client.get(f"/api/traces/{created.json()['id']}")).json()["payload"]["meta"]
    assert stored == {
        "max": 2**64 - 1, "min": -(2**63), "big": 1e300, "tiny": 0.0,
        "text": "a\\u0000b", "NaNa": "Infinity",
    }  # fmt: skip


async def test_a_step_index_beyond_64_bits_is_refused(
    client: httpx.AsyncClient, sessionmaker: Maker
) -> None:
    body = TRACE.replace('"i":1,', f'"i":{2**64},').encode()
    detail = await _refused(client, "POST", "/api/traces", content=body, headers=JSON)
    assert detail[0]["loc"] == ["body", "steps", 1, "i"]
    assert await count_rows(sessionmaker, Trace) == 0


async def test_nul_and_nan_in_parsed_bodies_are_refused_everywhere(
    client: httpx.AsyncClient, sessionmaker: Maker
) -> None:
    dataset = await sums_dataset(client, count=8)
    before = await count_rows(sessionmaker, Dataset)
    cases = [
        ("/api/datasets/build", {"name": "a\x00b"}, ["body", "name"]),
        ("/api/tunix/run", {"dataset_key": dataset["dataset_key"], "model_id": "x\x00"}, None),
        ("/api/generators/arithmetic/generate", {"count": 1, "params": {"x": "\x00"}}, None),
    ]
    for path, body, loc in cases:
        detail = await _refused(client, "POST", path, content=orjson.dumps(body), headers=JSON)
        assert loc is None or detail[0]["loc"] == loc
        assert detail[0]["msg"].startswith("the NUL character")
    margin = b'{"name": "b", "run_id": "00000000-0000-0000-0000-000000000000", "margin": NaN}'
    detail = await _refused(
        client, "POST", "/api/regression/baselines", content=margin, headers=JSON
    )
    assert detail[0]["loc"] == ["body", "margin"]
    assert await count_rows(sessionmaker, Dataset) == before
    assert await count_rows(sessionmaker, TunixRun) == 0
    assert await count_rows(sessionmaker, RegressionBaseline) == 0


async def test_nul_in_a_query_or_a_path_is_refused(client: httpx.AsyncClient) -> None:
    detail = await _refused(client, "GET", "/api/traces?source=a%00b")
    assert detail[0]["loc"] == ["query"]
    detail = await _refused(client, "GET", "/api/datasets/a%00b")
    assert detail[0]["loc"] == ["path"]


@pytest.mark.parametrize(
    "path",
    [
        "/api/traces",
        "/api/datasets",
        "/api/tunix/runs",
        "/api/tunix/evaluations",
        "/api/regression/baselines",
        "/api/regression/checks",
    ],
)
async def test_an_offset_beyond_64_bits_is_refused_and_the_last_one_answers(
    client: httpx.AsyncClient, path: str
) -> None:
    detail = await _refused(client, "GET", path, params={"offset": 2**63})
    assert detail[0]["loc"] == ["query", "offset"]
    last = await client.get(path, params={"offset": 2**63 - 1})
    assert last.status_code == 200, last.text
    assert last.json()["data"] == []


@pytest.mark.parametrize(
    "stamp", ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00", "2026-13-01T00:00:00+00:00"]
)
async def test_a_cursor_at_the_calendars_edge_is_refused(
    client: httpx.AsyncClient, stamp: str
) -> None:
    raw = orjson.dumps([stamp, "0" * 32])
    cursor = base64.urlsafe_b64encode(raw).decode().rstrip("=")
    detail = await _refused(client, "GET", "/api/traces", params={"cursor": cursor})
    assert detail[0]["loc"] == ["query", "cursor"]


async def test_a_log_resume_point_past_the_seq_column_is_refused(
    client: httpx.AsyncClient,
) -> None:
    dataset = await sums_dataset(client, count=8)
    dry = await client.post(
        "/api/tunix/run",
        json={"dataset_key": dataset["dataset_key"], "model_id": "tunix-rt/tiny-gemma3"},
    )
    run_id = dry.json()["run_id"]
    logs = f"/api/tunix/runs/{run_id}/logs"
    detail = await _refused(client, "GET", logs, params={"since_seq": 2**31})
    assert detail[0]["loc"] == ["query", "since_seq"]
    detail = await _refused(client, "GET", logs, headers={"Last-Event-ID": str(2**31)})
    assert detail[0]["loc"] == ["header", "Last-Event-ID"]


async def test_an_unexpected_error_is_a_500_that_closes_the_connection(
    app_and_client: tuple[Any, httpx.AsyncClient], monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("a bug")

    monkeypatch.setattr(traces_service, "list_traces", broken)
    transport = httpx.ASGITransport(app=app_and_client[0], raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        response = await client.get("/api/traces")
    assert response.status_code == 500
    assert response.json() == {"error": "InternalError", "detail": "An unexpected error occurred."}
    assert response.headers["connection"] == "close"


@pytest.mark.parametrize(
    "path",
    [
        "/api/datasets/build",
        "/api/tunix/run",
        "/api/tunix/runs/00000000-0000-0000-0000-000000000000/evaluate",
        "/api/evaluations",
        "/api/regression/baselines",
        "/api/regression/check",
        "/api/generators/arithmetic/generate",
        "/api/traces",
        "/api/traces/batch",
    ],
)
async def test_a_body_that_is_not_utf8_is_a_422(client: httpx.AsyncClient, path: str) -> None:
    detail = await _refused(client, "POST", path, content=b'{"name": "\xff"}', headers=JSON)
    assert detail[0]["loc"][0] == "body"


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        ("DELETE", "/api/traces", "GET, POST"),
        ("PATCH", "/api/regression/baselines/x", "DELETE, GET"),
        ("POST", "/api/health", "GET"),
        ("PUT", "/metrics", "GET"),
    ],
)
async def test_a_wrong_method_is_a_405_naming_every_method_the_path_takes(
    client: httpx.AsyncClient, method: str, path: str, allow: str
) -> None:
    response = await client.request(method, path)
    assert response.status_code == 405
    assert response.json()["error"] == "MethodNotAllowed"
    assert response.headers["allow"] == allow


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("PUT", "/api/no/such/route"),
        ("POST", "/api"),
        # A name with a slash where an id goes: no route, whatever the method.
        ("PUT", "/api/models/tunix-rt%2Ftiny-gemma3/aliases/prod"),
        ("DELETE", "/api/tunix/runs/a/b/c"),
    ],
)
async def test_an_unknown_api_path_is_a_404_whatever_the_method(
    client: httpx.AsyncClient, method: str, path: str
) -> None:
    """Not a 405 from the UI's catch-all page route (GET only), which answers no API path."""
    response = await client.request(method, path)
    assert response.status_code == 404, response.text
    assert response.json()["error"] == "NotFound"
    assert "allow" not in response.headers
