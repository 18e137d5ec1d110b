from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel

from tunix_rt_backend.auth.deps import require_access
from tunix_rt_backend.errors import Forbidden, Unauthorized, responses
from tunix_rt_backend.health.rediai import RediHealth, RediHealthProbe
from tunix_rt_backend.kit.json_input import CheckedRoute

router = APIRouter(tags=["health"], route_class=CheckedRoute)


class AppHealth(BaseModel):
    status: Literal["healthy"]


@router.get("/api/health", response_model=AppHealth)
async def health() -> AppHealth:
    """Liveness of tunix-rt itself. Open without a token, for load balancers."""
    return AppHealth(status="healthy")


@router.get(
    "/api/redi/health",
    response_model=RediHealth,
    response_model_exclude_none=True,
    dependencies=[Depends(require_access)],
    responses=responses(Unauthorized, Forbidden),
)
async def redi_health(request: Request) -> RediHealth:
    """RediAI's health (cached). Always 200: see `status` and `error`."""
    probe: RediHealthProbe = request.app.state.redi_probe
    return await probe.check()
