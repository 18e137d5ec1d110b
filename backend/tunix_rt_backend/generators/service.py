"""Generators of reasoning traces whose final answers are checkable. Raises AppError;
never commits."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import orjson
from pydantic import BaseModel, ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from tunix_rt_backend.datasets import repository as datasets_repository
from tunix_rt_backend.datasets.schemas import DatasetFilters
from tunix_rt_backend.errors import NotFound, ValidationFailed, field_error
from tunix_rt_backend.generators import arithmetic, high_card_duel
from tunix_rt_backend.generators.schemas import (
    MAX_SEED,
    ArithmeticParams,
    GenerateResult,
    GeneratorInfo,
    NoParams,
    UngarStatus,
)
from tunix_rt_backend.traces import repository as traces_repository
from tunix_rt_backend.traces import service as traces_service
from tunix_rt_backend.traces.schemas import ReasoningTrace

PREVIEW_COUNT = 3
INSERT_CHUNK = 1000


@dataclass(frozen=True)
class Generator:
    name: str
    description: str
    params: type[BaseModel]
    generate: Callable[[int, int, Any], list[ReasoningTrace]]


GENERATORS = {
    g.name: g
    for g in (
        Generator(
            "high_card_duel",
            "UNGAR's High Card Duel: two cards, the higher rank wins (Player 1, Player 2 or Tie).",
            NoParams,
            lambda count, seed, _params: high_card_duel.generate(count, seed),
        ),
        Generator(
            "arithmetic",
            "Arithmetic with worked steps; difficulty 1 (one-digit sums) to 5 "
            "(2×2-digit products).",
            ArithmeticParams,
            lambda count, seed, params: arithmetic.generate(count, seed, params.difficulty),
        ),
    )
}


class GeneratorNotFound(NotFound):
    pass


def list_generators() -> list[GeneratorInfo]:
    return [
        GeneratorInfo(
            name=g.name, description=g.description, params_schema=g.params.model_json_schema()
        )
        for g in GENERATORS.values()
    ]


def get_generator(name: str) -> Generator:
    try:
        return GENERATORS[name]
    except KeyError:
        known = ", ".join(GENERATORS)
        raise GeneratorNotFound(f"Generator {name!r} not found; known: {known}.") from None


def check_count(count: int, max_count: int) -> None:
    if count > max_count:
        msg = f"at most {max_count} traces per request (GENERATOR_MAX_COUNT); got {count}"
        raise ValidationFailed([field_error(("body", "count"), msg, "less_than_equal")])


def parse_params(generator: Generator, params: dict[str, Any]) -> BaseModel:
    try:
        return generator.params.model_validate(params)
    except ValidationError as exc:
        errors = [
            field_error(("body", "params", *err["loc"]), err["msg"], err["type"])
            for err in exc.errors()
        ]
        raise ValidationFailed(errors) from None


async def generate(
    session: AsyncSession,
    generator: Generator,
    *,
    count: int,
    seed: int | None,
    params: BaseModel,
    persist: bool,
    max_payload_bytes: int,
) -> GenerateResult:
    seed = secrets.randbelow(MAX_SEED + 1) if seed is None else seed
    traces = generator.generate(count, seed, params)
    repeated = await _repeated(session, traces)
    ids: list[uuid.UUID] = []
    if persist:
        for start in range(0, len(traces), INSERT_CHUNK):
            rows = await traces_service.create_traces(
                session,
                traces[start : start + INSERT_CHUNK],
                max_payload_bytes=max_payload_bytes,
                batch=True,
            )
            ids.extend(row["id"] for row in rows)
    return GenerateResult(
        generator=generator.name,
        seed=seed,
        created=len(ids),
        repeated=repeated,
        trace_ids=ids,
        preview=traces[:PREVIEW_COUNT],
    )


async def _repeated(session: AsyncSession, traces: list[ReasoningTrace]) -> int:
    """How many of `traces` ask a question already stored (by a trace of the same source)
    or asked earlier in the list: each would be a duplicate a dataset could split into
    both train and eval. One query over the source's stored prompts."""
    if not traces:
        return 0
    source = (traces[0].get("meta") or {}).get("source")
    prompts = list(dict.fromkeys(trace["prompt"] for trace in traces))
    stored = await traces_repository.stored_prompts(session, str(source), prompts)
    seen: set[str] = set()
    repeated = 0
    for trace in traces:
        prompt = trace["prompt"]
        repeated += prompt in stored or prompt in seen
        seen.add(prompt)
    return repeated


def ungar_status() -> UngarStatus:
    version = high_card_duel.ungar_version()
    if version is None:
        return UngarStatus(
            available=True,
            engine="builtin",
            version=None,
            message="UNGAR is not installed; High Card Duel uses Tunix RT's own implementation "
            "of the same rules.",
        )
    return UngarStatus(
        available=True, engine="ungar", version=version, message=f"UNGAR {version} deals the cards."
    )


async def high_card_duel_export(session: AsyncSession, limit: int) -> bytes:
    """Stored High Card Duel traces, newest first, in UNGAR's JSONL shape: `prompts`,
    `trace_steps`, `final_answer` and `metadata`."""
    filters = DatasetFilters(source="ungar")
    ids = await datasets_repository.latest_trace_ids(session, filters, limit)
    lines = []
    for start in range(0, len(ids), INSERT_CHUNK):
        chunk = ids[start : start + INSERT_CHUNK]
        payloads = await datasets_repository.trace_payloads(session, chunk)
        for trace_id in chunk:
            payload = payloads[trace_id]
            line = {
                "id": str(trace_id),
                "prompts": payload["prompt"],
                "trace_steps": [step["content"] for step in payload["steps"]],
                "final_answer": payload["final_answer"],
                "metadata": payload.get("meta") or {},
            }
            lines.append(orjson.dumps(line, option=orjson.OPT_APPEND_NEWLINE))
    return b"".join(lines)
