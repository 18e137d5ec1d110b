from __future__ import annotations

import asyncio
import uuid
from typing import Annotated, Literal
from urllib.parse import quote

from fastapi import APIRouter, Depends, Header, Query, status
from fastapi.responses import StreamingResponse
from sse_starlette import EventSourceResponse

from tunix_rt_backend.auth.deps import TokenCheckDep, require_access
from tunix_rt_backend.deps import (
    JobWatchDep,
    PageParamsDep,
    SessionDep,
    SessionMakerDep,
    SettingsDep,
    WakeDep,
)
from tunix_rt_backend.errors import (
    BadRequest,
    Conflict,
    Forbidden,
    NotAvailable,
    NotFound,
    Unauthorized,
    ValidationFailed,
    responses,
)
from tunix_rt_backend.jobs import output
from tunix_rt_backend.jobs.service import NoWorker
from tunix_rt_backend.kit.json_input import CheckedRoute
from tunix_rt_backend.kit.pagination import Page
from tunix_rt_backend.runs import artifacts, service
from tunix_rt_backend.runs.artifacts import Artifact
from tunix_rt_backend.runs.execution import TRAIN
from tunix_rt_backend.runs.runtime import tunix_status
from tunix_rt_backend.runs.schemas import (
    RunDetail,
    RunFilters,
    RunGenerations,
    RunLabelsUpdate,
    RunMetrics,
    RunMode,
    RunRequest,
    RunResult,
    RunState,
    RunStatus,
    RunSummary,
    TagName,
    TunixStatus,
)
from tunix_rt_backend.training import events

# A log chunk's `seq` is a 32-bit column: a resume point past it is a client error.
MAX_SEQ = 2**31 - 1

router = APIRouter(
    route_class=CheckedRoute,
    prefix="/api/tunix",
    tags=["tunix"],
    dependencies=[Depends(require_access)],
    responses=responses(Unauthorized, Forbidden),
)


@router.get("/status", response_model=TunixStatus)
async def get_tunix_status(settings: SettingsDep) -> TunixStatus:
    """Whether the Tunix runtime is installed, its version, JAX's devices, the
    built-in models and the checkpoints under MODEL_DIR."""
    return await tunix_status(settings.models_root)


@router.post(
    "/run",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=RunResult,
    responses=responses(NotFound, NotAvailable, NoWorker, validation=True),
)
async def run_tunix(
    wake: WakeDep,
    maker: SessionMakerDep,
    settings: SettingsDep,
    body: RunRequest,
    submission: Annotated[
        Literal["sync", "async"],
        Query(
            alias="mode",
            description="sync: wait for the end; async: queue for a worker, answer at once",
        ),
    ] = "sync",
) -> RunResult:
    """Validate a run (`dry_run`, the default: each check with what it found, token
    counts and a step estimate) or train. A worker executes every training run:
    `mode=sync` waits for its end (bounded by the run's timeout; 503 `NoWorker` when no
    worker is alive), `mode=async` answers at once with the run `pending`. The run is
    recorded either way, and goes on if the request is dropped. 501 when training is
    asked for and Tunix is not installed."""
    wait = submission == "sync"
    return await service.submit(maker, settings, body, wait=wait, wake=wake)


@router.get("/runs", response_model=Page[RunSummary], responses=responses(validation=True))
async def list_runs(
    session: SessionDep,
    page: PageParamsDep,
    status: Annotated[RunState | None, Query()] = None,
    dataset_key: Annotated[str | None, Query(max_length=256)] = None,
    mode: Annotated[RunMode | None, Query(description="dry-run or local (training)")] = None,
    tag: Annotated[TagName | None, Query(description="Only runs with this tag")] = None,
    q: Annotated[
        str | None, Query(min_length=1, max_length=200, description="In the run's name")
    ] = None,
) -> Page[RunSummary]:
    """Runs newest first, filtered by status, dataset, mode, tag and name (all that are
    given); `limit`/`offset`, or `cursor` for deep pages. Each with its name and tags and
    the figures a list compares: learning rate and max steps (its configuration), steps
    trained, final and eval loss, and the trainer's exact match."""
    filters = RunFilters(status=status, dataset_key=dataset_key, mode=mode, tag=tag, q=q)
    return await service.list_runs(session, page, filters)


@router.patch(
    "/runs/{run_id}", response_model=RunDetail, responses=responses(NotFound, validation=True)
)
async def update_run_labels(
    session: SessionDep, run_id: uuid.UUID, body: RunLabelsUpdate
) -> RunDetail:
    """Set the run's name, notes or tags (those given; null clears a name or notes). Its
    configuration and results never change."""
    return await service.update_labels(session, run_id, body)


@router.get(
    "/runs/{run_id}", response_model=RunDetail, responses=responses(NotFound, validation=True)
)
async def get_run(session: SessionDep, run_id: uuid.UUID) -> RunDetail:
    """One run: its configuration, timings, attempts, worker, and output tails."""
    return await service.get_run(session, run_id)


@router.get(
    "/runs/{run_id}/status",
    response_model=RunStatus,
    responses=responses(NotFound, validation=True),
)
async def get_run_status(session: SessionDep, run_id: uuid.UUID) -> RunStatus:
    """Just the state of a run, for polling."""
    return await service.get_status(session, run_id)


@router.post(
    "/runs/{run_id}/rerun",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=RunResult,
    responses=responses(NotFound, NotAvailable, validation=True),
)
async def rerun(
    wake: WakeDep, maker: SessionMakerDep, settings: SettingsDep, run_id: uuid.UUID
) -> RunResult:
    """A new run with the same configuration, queued for a worker."""
    return await service.rerun(maker, settings, run_id, wake)


@router.post(
    "/runs/{run_id}/cancel",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=RunStatus,
    responses=responses(NotFound, Conflict, validation=True),
)
async def cancel_run(maker: SessionMakerDep, run_id: uuid.UUID) -> RunStatus:
    """Cancel a pending run (at once: `cancelled`) or a running one (`cancel_requested_at`
    is set; within a second or two the trainer stops with a final checkpoint and the
    run ends `cancelled`). 409 for a run that already ended."""
    return await service.cancel(maker, run_id)


@router.get(
    "/runs/{run_id}/logs",
    response_class=EventSourceResponse,
    responses={
        200: {"content": {"text/event-stream": {}}, "description": "Server-sent events"},
        **responses(NotFound, validation=True),
    },
)
async def stream_logs(
    session: SessionDep,
    maker: SessionMakerDep,
    watch: JobWatchDep,
    allowed: TokenCheckDep,
    run_id: uuid.UUID,
    since_seq: Annotated[
        int, Query(ge=0, le=MAX_SEQ, description="Send chunks after this seq")
    ] = 0,
    last_event_id: Annotated[str | None, Header(alias="Last-Event-ID")] = None,
) -> EventSourceResponse:
    """The run's output as server-sent events: `log` ({seq, stream, text, events}, id =
    seq; `events` has one entry per line of `text`: the trainer's event on that line,
    as `{kind, ...its fields}`, or null for a plain line),
    `status`, `metric` ({name, step, value}), `heartbeat` (when idle, at most 10 s
    apart) and, once the run has ended and everything was sent, `end`. Every event's
    id is the last seq sent in full: reconnect with Last-Event-ID (or `since_seq`) to
    resume with no line or point missed or sent again. A finished run replays, then
    ends. A stream stops when the token that opened it is revoked."""
    await service.get_status(session, run_id)  # 404 before the stream starts
    after = since_seq
    if last_event_id is not None:
        if not last_event_id.isdigit() or int(last_event_id) > MAX_SEQ:
            raise ValidationFailed.field(
                ("header", "Last-Event-ID"), "must be a seq", "value_error"
            )
        after = int(last_event_id)
    stream = output.events(
        maker, TRAIN, run_id, after, describe=events.describe_lines, watch=watch, allowed=allowed
    )
    return EventSourceResponse(stream, ping=15)


@router.get(
    "/runs/{run_id}/metrics",
    response_model=RunMetrics,
    responses=responses(NotFound, validation=True),
)
async def get_metrics(
    session: SessionDep,
    run_id: uuid.UUID,
    name: Annotated[list[str] | None, Query(description="Only these series")] = None,
    max_points: Annotated[int, Query(ge=2, le=100_000)] = 2000,
) -> RunMetrics:
    """Per-step scalars (train/loss, eval/loss, train/learning_rate, train/grad_norm,
    ...), each series downsampled to `max_points`, always keeping its last point."""
    return await service.metrics(session, run_id, name or [], max_points)


@router.get(
    "/runs/{run_id}/generations",
    response_model=RunGenerations,
    responses=responses(NotFound, validation=True),
)
async def get_generations(session: SessionDep, run_id: uuid.UUID) -> RunGenerations:
    """The held-out prompts the trainer answered greedily at the end of the run: each
    prompt, the expected answer, the model's output and whether it matched."""
    return await service.generations(session, run_id)


@router.get(
    "/runs/{run_id}/artifacts",
    response_model=list[Artifact],
    responses=responses(NotFound, validation=True),
)
async def list_artifacts(
    session: SessionDep, settings: SettingsDep, run_id: uuid.UUID
) -> list[Artifact]:
    """Files in the run's directory: name (relative), size, sha256 (null while a file
    over 64 MiB is being hashed), modified time, kind (checkpoint, config, log, other)."""
    directory = await service.run_dir(session, settings, run_id)
    return await asyncio.to_thread(artifacts.list_artifacts, directory)


@router.get(
    "/runs/{run_id}/artifacts/{filename:path}/download",
    response_class=StreamingResponse,
    responses={
        200: {"content": {"application/octet-stream": {}, "application/x-tar": {}}},
        **responses(NotFound, BadRequest, validation=True),
    },
)
async def download_artifact(
    session: SessionDep, settings: SettingsDep, run_id: uuid.UUID, filename: str
) -> StreamingResponse:
    """One file of the run (a nested name such as `checkpoints/60/model/...` is
    fine), or a directory (a checkpoint: `checkpoints/60`) as a tar stream. Names that
    leave the run's directory get 400."""
    directory = await service.run_dir(session, settings, run_id)
    path = service.artifact_path(directory, filename)
    # Named after the run and the path in it (`run-1a2b3c4d-checkpoints-60.tar`), so
    # downloads of several runs' files do not collide.
    parts = path.relative_to(directory).parts
    download = "-".join((f"run-{run_id.hex[:8]}", *parts))
    if path.is_dir():
        return StreamingResponse(
            artifacts.tar_stream(path, path.name),
            media_type="application/x-tar",
            headers={"Content-Disposition": attachment(f"{download}.tar")},
        )
    return StreamingResponse(
        artifacts.file_chunks(path),
        media_type="application/octet-stream",
        headers={
            "Content-Disposition": attachment(download),
            "Content-Length": str(path.stat().st_size),
        },
    )


def attachment(filename: str) -> str:
    """A Content-Disposition for any file name: an ASCII `filename` for old clients and
    the UTF-8 name as `filename*` (RFC 6266 / 5987); headers are Latin-1 only."""
    fallback = filename.encode("ascii", "replace").decode().replace("?", "_").replace('"', "")
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"
