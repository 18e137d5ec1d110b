from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Response, status

from tunix_rt_backend.auth.deps import require_access
from tunix_rt_backend.deps import OffsetQuery, SessionDep
from tunix_rt_backend.errors import Conflict, Forbidden, NotFound, Unauthorized, responses
from tunix_rt_backend.kit.json_input import CheckedRoute
from tunix_rt_backend.kit.pagination import MAX_LIMIT, Page
from tunix_rt_backend.regression import service
from tunix_rt_backend.regression.schemas import (
    Baseline,
    BaselineDetail,
    BaselineRequest,
    CheckReport,
    CheckRequest,
    CheckSummary,
)

router = APIRouter(
    route_class=CheckedRoute,
    prefix="/api/regression",
    tags=["regression"],
    dependencies=[Depends(require_access)],
    responses=responses(Unauthorized, Forbidden),
)

Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT)]
NameInPath = Annotated[str, Path(min_length=1, max_length=128)]


@router.post(
    "/baselines",
    status_code=status.HTTP_201_CREATED,
    response_model=Baseline,
    responses=responses(NotFound, Conflict, validation=True),
)
async def set_baseline(session: SessionDep, body: BaselineRequest) -> Baseline:
    """Pin the run's newest completed evaluation (by `judge`, or the one named by
    `evaluation_id`) as the named baseline. Each call makes a version (201): the first
    creates the name, later ones set it again, every setting kept in its history. 409
    for a run without a completed evaluation."""
    baseline, _ = await service.set_baseline(session, body)
    return baseline


@router.get("/baselines", response_model=Page[Baseline], responses=responses(validation=True))
async def list_baselines(
    session: SessionDep, limit: Limit = 50, offset: OffsetQuery = 0
) -> Page[Baseline]:
    """Baselines by name."""
    return await service.list_baselines(session, limit, offset)


@router.get(
    "/baselines/{name}",
    response_model=BaselineDetail,
    responses=responses(NotFound, validation=True),
)
async def get_baseline(session: SessionDep, name: NameInPath) -> BaselineDetail:
    """The baseline, with every setting it has had (`history`, newest first)."""
    return await service.get_baseline(session, name)


@router.delete(
    "/baselines/{name}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=responses(NotFound, validation=True),
)
async def delete_baseline(session: SessionDep, name: NameInPath) -> Response:
    """Delete the baseline and its history; the checks made against it are kept."""
    await service.delete_baseline(session, name)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/check",
    response_model=CheckReport,
    responses=responses(NotFound, Conflict, validation=True),
)
async def check(session: SessionDep, body: CheckRequest) -> CheckReport:
    """Check the run against the baseline, item by item (exact McNemar for right/wrong
    items, a paired bootstrap for graded scores), and store the report. `verdict`:
    `pass`, `fail`, or `inconclusive` (the evaluations are not comparable, or the data
    cannot tell at the baseline's margin); `reasons` say why. 409 for a run without a
    completed evaluation by the baseline's judge."""
    return await service.check(session, body)


@router.get("/checks", response_model=Page[CheckSummary], responses=responses(validation=True))
async def list_checks(
    session: SessionDep,
    baseline: Annotated[
        str | None, Query(min_length=1, max_length=128, description="Only this baseline's")
    ] = None,
    run_id: Annotated[uuid.UUID | None, Query(description="Only this run's")] = None,
    limit: Limit = 50,
    offset: OffsetQuery = 0,
) -> Page[CheckSummary]:
    """Stored checks, newest first: what passed when."""
    return await service.list_checks(session, baseline, run_id, limit, offset)


@router.get(
    "/checks/{check_id}", response_model=CheckReport, responses=responses(NotFound, validation=True)
)
async def get_check(session: SessionDep, check_id: uuid.UUID) -> CheckReport:
    """A stored check's full report."""
    return await service.get_check(session, check_id)
