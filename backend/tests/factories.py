"""Plain factory functions for test data."""

from __future__ import annotations

import hashlib
import socket
import uuid
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import orjson
import yaml
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tunix_rt_backend.db.base import Base
from tunix_rt_backend.db.models import Evaluation, EvaluationItem, TunixRun
from tunix_rt_backend.kit.time import utcnow
from tunix_rt_backend.settings import Settings
from tunix_rt_backend.templates.gemma_reasoning import TEMPLATE_SHA256


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


# What recorded evaluations score: one dataset, split and judge, 160 traces.
RECORDED_DATASET = {"dataset_key": "hcd-v1", "dataset_sha256": "a" * 64, "split": "eval"}
RECORDED_JUDGE = {"judge": "exact_match", "judge_version": "1", "judge_config_hash": "c" * 64}
RECORDED_TRACES = [uuid.uuid4() for _ in range(160)]


async def record_run(maker: async_sessionmaker[AsyncSession], **overrides: Any) -> uuid.UUID:
    """A completed run's row, as a worker leaves it (no training happens)."""
    run_id = uuid.uuid4()
    now = utcnow()
    fields: dict[str, Any] = {
        "run_id": run_id,
        "dataset_key": "hcd-v1",
        "model_id": "tunix-rt/tiny-gemma3",
        "mode": "local",
        "status": "completed",
        "started_at": now,
        "created_at": now,
        "config": {},
        "summary": {},
        **overrides,
    }
    async with maker() as session, session.begin():
        session.add(TunixRun(**fields))
    return run_id


async def record_evaluation(
    maker: async_sessionmaker[AsyncSession],
    run_id: uuid.UUID,
    right: Sequence[float | None],
    status: str = "completed",
    age_s: float = 0,
    **overrides: Any,
) -> uuid.UUID:
    """A run's evaluation as a worker leaves it: one item per entry of `right` (True /
    False, a graded score, or None: unscored)."""
    evaluation_id = uuid.uuid4()
    when = utcnow() - timedelta(seconds=age_s)
    scores = [None if r is None else float(r) for r in right]
    scored = [s for s in scores if s is not None]
    fields: dict[str, Any] = {
        **RECORDED_DATASET,
        **RECORDED_JUDGE,
        "id": evaluation_id,
        "run_id": run_id,
        "model_id": "tunix-rt/tiny-gemma3",
        "decoding": {"temperature": 0.0, "template_sha256": TEMPLATE_SHA256},
        "details": {},
        "n_items": len(right),
        "n_scored": len(scored),
        "n_unscored": len(right) - len(scored),
        "primary_score": sum(scored) / len(scored) if scored else None,
        "status": status,
        "started_at": when,
        "created_at": when,
        **overrides,
    }
    async with maker() as session, session.begin():
        session.add(Evaluation(**fields))
        await session.flush()
        for i, score in enumerate(scores):
            session.add(
                EvaluationItem(
                    evaluation_id=evaluation_id,
                    index=i,
                    trace_id=RECORDED_TRACES[i],
                    prompt=f"question {i}",
                    expected=str(i % 2),
                    output=f"Answer: {i % 2 if score else 'x'}",
                    extracted=str(i % 2) if score else "x",
                    correct=None if score is None else score >= 0.5,
                    score=score,
                    format_ok=True,
                    reasoning_steps=1,
                    reasoning_tokens=4,
                    output_tokens=8,
                    latency_ms=1.0,
                    unscored_reason=None if score is not None else "no answer line",
                )
            )
    return evaluation_id


def write_checkpoint(
    settings: Settings,
    run_id: uuid.UUID,
    step: int,
    weights: bytes,
    dataset: tuple[str, str] = ("hcd-v1", "a" * 64),
) -> Path:
    """What a finished run leaves in its directory: its manifest and a checkpoint."""
    run_dir = settings.artifacts_root / "runs" / str(run_id)
    params = run_dir / "checkpoints" / str(step) / "model"
    params.mkdir(parents=True)
    (params / "params.bin").write_bytes(weights)
    (params / "_METADATA").write_text("{}")
    manifest = {
        "model": {"id": "tunix-rt/tiny-gemma3"},
        "dataset": {"key": dataset[0], "content_sha256": dataset[1]},
        "template": {"name": "gemma_reasoning", "sha256": TEMPLATE_SHA256},
        "training": {"method": "lora", "seed": 7},
    }
    (run_dir / "manifest.yaml").write_text(yaml.safe_dump(manifest))
    return run_dir


async def record_promotable_run(
    maker: async_sessionmaker[AsyncSession],
    settings: Settings,
    right: list[bool] | None,
    weights: bytes,
) -> uuid.UUID:
    """A completed run with a checkpoint at step 5 and (given `right`) an evaluation."""
    summary = {"latest_checkpoint": 5, "params_sha256": hashlib.sha256(weights).hexdigest()}
    run_id = await record_run(maker, summary=summary)
    write_checkpoint(settings, run_id, 5, weights)
    if right is not None:
        await record_evaluation(maker, run_id, right)
    return run_id
