"""Plain factory functions for test data."""

from __future__ import annotations

import socket
from typing import Any

import httpx
import orjson
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tunix_rt_backend.db.base import Base


def trace_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "trace_version": "1.0",
        "prompt": "What is 27 × 19?",
        "final_answer": "513",
        "steps": [
            {"i": 0, "type": "parse", "content": "Parse the multiplication task"},
            {"i": 1, "type": "compute", "content": "Break down: 27 × 19 = 27 × (20 - 1)"},
            {"i": 2, "type": "result", "content": "Final: 513"},
        ],
        "meta": {"source": "example"},
    }
    body.update(overrides)
    return body


async def count_rows(maker: async_sessionmaker[AsyncSession], model: type[Base]) -> int:
    async with maker() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def create_traces(client: httpx.AsyncClient, bodies: list[dict[str, Any]]) -> list[str]:
    """Store traces through the API; returns their ids in the order given."""
    response = await client.post("/api/traces/batch", json=bodies)
    assert response.status_code == 201, response.text
    return [t["id"] for t in response.json()["traces"]]


async def build_dataset(client: httpx.AsyncClient, **body: Any) -> dict[str, Any]:
    response = await client.post("/api/datasets/build", json={"name": "ds", **body})
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


def ndjson(text: str) -> list[dict[str, Any]]:
    return [orjson.loads(line) for line in text.splitlines()]


async def sums_dataset(client: httpx.AsyncClient, count: int = 48) -> dict[str, Any]:
    """`count` generated sums (difficulty 1) built into the dataset `sums-v1`."""
    body = {"count": count, "params": {"difficulty": 1}}
    assert (await client.post("/api/generators/arithmetic/generate", json=body)).status_code == 201
    return await build_dataset(client, name="sums")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port
