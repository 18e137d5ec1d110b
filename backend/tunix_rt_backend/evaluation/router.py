from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Response, status
from pydantic import AwareDatetime

from tunix_rt_backend.auth.deps import require_access
from tunix_rt_backend.deps import (
    OffsetQuery,
    SessionDep,
    SessionMakerDep,
    SettingsDep,
    WakeDep,
)
from tunix_rt_backend.errors import Conflict, Forbidden, NotFound, Unauthorized, responses
from tunix_rt_backend.evaluation import service
from tunix_rt_backend.evaluation.schemas import (
    BaseModelEvaluationRequest,
    EvaluateRequest,
    EvaluationDetail,
    ItemResult,
    JudgeInfo,
    LeaderboardFilters,
    LeaderboardRow,
    Outcome,
    SplitName,
)
from tunix_rt_backend.jobs.service import NoWorker
from tunix_rt_backend.kit.json_input import CheckedRoute
from tunix_rt_backend.kit.pagination import MAX_LIMIT, Page

# The seed's paths sit under /api/tunix; evaluations of base models, items and judges
# have their own.
run_router = APIRouter(
    route_class=CheckedRoute,
    prefix="/api/tunix",
    tags=["evaluations"],
    dependencies=[Depends(require_access)],
    responses=responses(Unauthorized, Forbidden),
)
router = APIRouter(
    route_class=CheckedRoute,
    prefix="/api",
    tags=["evaluations"],
    dependencies=[Depends(require_access)],
    responses=responses(Unauthorized, Forbidden),
)

Submission = Annotated[
    Literal["sync", "async"],
    Query(
        alias="mode",
        description="sync: wait for the end (201); async: queue for a worker, answer at once (202)",
    ),
]


def _status_code(response: Response, evaluation: EvaluationDetail) -> EvaluationDetail:
    ended = evaluation.status not in ("pending", "running")
    response.status_code = status.HTTP_201_CREATED if ended else status.HTTP_202_ACCEPTED
    return evaluation


@run_router.post(
    "/runs/{run_id}/evaluate",
    status_code=status.HTTP_201_CREATED,
    response_model=EvaluationDetail,
    responses={
        202: {"model": EvaluationDetail},
        **responses(NotFound, Conflict, NoWorker, validation=True),
    },
)
async def evaluate_run(
    wake: WakeDep,
    response: Response,
    maker: SessionMakerDep,
    settings: SettingsDep,
    run_id: uuid.UUID,
    submission: Submission = "sync",
    body: EvaluateRequest | None = None,
) -> EvaluationDetail:
    """Score the run's final checkpoint on its dataset's `eval` split (never `train`
    unless `split` says so) with a judge (`judge_override`, default
    EVAL_DEFAULT_JUDGE). `mode=sync` waits and answers 201 with the result (202 if it
    is still going when the wait ends; 503 `NoWorker` with no worker alive);
    `mode=async` answers 202 `pending`. 409 for a dry run, a run that did not complete
    or has no checkpoint; 422 for an unknown or unavailable judge."""
    evaluation = await service.evaluate_run(
        maker,
        settings,
        run_id,
        body or EvaluateRequest(),
        wait=submission == "sync",
        wake=wake,
    )
    return _status_code(response, evaluation)


@run_router.get(
    "/runs/{run_id}/evaluation",
    response_model=EvaluationDetail,
    responses=responses(NotFound, validation=True),
)
async def get_run_evaluation(
    session: SessionDep,
    run_id: uuid.UUID,
    judge: Annotated[str | None, Query(max_length=64, description="Only this judge's")] = None,
) -> EvaluationDetail:
    """The run's newest evaluation (any status: a running one has `progress`)."""
    return await service.latest_for_run(session, run_id, judge)


@run_router.get(
    "/evaluations", response_model=Page[LeaderboardRow], responses=responses(validation=True)
)
async def leaderboard(
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 50,
    offset: OffsetQuery = 0,
    dataset_key: Annotated[str | None, Query(max_length=256)] = None,
    model_id: Annotated[str | None, Query(max_length=256)] = None,
    judge: Annotated[str | None, Query(max_length=64)] = None,
    split: Annotated[SplitName, Query(description="Held-out scores by default")] = "eval",
    date_from: Annotated[AwareDatetime | None, Query(description="ISO 8601 with a zone")] = None,
    date_to: Annotated[AwareDatetime | None, Query(description="ISO 8601 with a zone")] = None,
) -> Page[LeaderboardRow]:
    """The leaderboard: the newest completed evaluation of each run (or base model)
    per dataset and judge on one `split` (`eval`, held out, unless asked), best
    `primary_score` first, with its 95% interval and `n_scored`. Mock-judged
    evaluations are never listed. Dates need a time zone (422 otherwise)."""
    filters = LeaderboardFilters(
        dataset_key=dataset_key,
        model_id=model_id,
        judge=judge,
        split=split,
        date_from=date_from,
        date_to=date_to,
    )
    return await service.leaderboard(session, filters, limit, offset)


@router.post(
    "/evaluations",
    status_code=status.HTTP_201_CREATED,
    response_model=EvaluationDetail,
    responses={
        202: {"model": EvaluationDetail},
        **responses(NotFound, Conflict, NoWorker, validation=True),
    },
)
async def evaluate_model(
    wake: WakeDep,
    response: Response,
    maker: SessionMakerDep,
    settings: SettingsDep,
    body: BaseModelEvaluationRequest,
    submission: Submission = "sync",
) -> EvaluationDetail:
    """Score a model as it is, without a run (a built-in model or a local checkpoint
    under MODEL_DIR): the baseline a fine-tune must beat. 404 unknown model or
    dataset; otherwise as `POST /api/tunix/runs/{id}/evaluate`."""
    evaluation = await service.evaluate_model(
        maker, settings, body, wait=submission == "sync", wake=wake
    )
    return _status_code(response, evaluation)


@router.get(
    "/evaluations/{evaluation_id}",
    response_model=EvaluationDetail,
    responses=responses(NotFound, validation=True),
)
async def get_evaluation(session: SessionDep, evaluation_id: uuid.UUID) -> EvaluationDetail:
    """One evaluation: its score, interval, verdict, judge, dataset hash, decoding
    settings, reasoning metrics (`details`) and progress."""
    return await service.get(session, evaluation_id)


@router.get(
    "/evaluations/{evaluation_id}/items",
    response_model=Page[ItemResult],
    responses=responses(NotFound, validation=True),
)
async def get_items(
    session: SessionDep,
    evaluation_id: uuid.UUID,
    outcome: Annotated[Outcome | None, Query(description="Only these items")] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 50,
    offset: OffsetQuery = 0,
) -> Page[ItemResult]:
    """The scored items, wrong answers first, then unscored, then right ones."""
    return await service.items(session, evaluation_id, outcome, limit, offset)


@router.post(
    "/evaluations/{evaluation_id}/cancel",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=EvaluationDetail,
    responses=responses(NotFound, Conflict, validation=True),
)
async def cancel_evaluation(maker: SessionMakerDep, evaluation_id: uuid.UUID) -> EvaluationDetail:
    """Cancel a pending (at once) or running evaluation (its process is stopped)."""
    return await service.cancel(maker, evaluation_id)


@router.get("/judges", response_model=list[JudgeInfo])
async def list_judges(settings: SettingsDep) -> list[JudgeInfo]:
    """Every judge: name, version, kind, description, config and its hash, and whether
    this installation can use it (and why not)."""
    return service.judges(settings)
