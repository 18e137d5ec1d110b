"""Every route's dependencies are coroutines: FastAPI runs a plain `def` dependency (and
endpoint) in a worker thread, a thread hop per request that the hot path cannot afford
(docs/performance.md, "The API's hot path")."""

from __future__ import annotations

import inspect
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute

from tests.conftest import make_settings
from tunix_rt_backend.app import create_app


def _routes(routes: list[Any]) -> Iterator[APIRoute]:
    for route in routes:
        included = getattr(route, "original_router", None)  # an included router
        if included is not None:
            yield from _routes(included.routes)
        elif isinstance(route, APIRoute):
            yield route


def _sync_calls(dependant: Dependant) -> Iterator[str]:
    for dep in dependant.dependencies:
        call = dep.call
        if call is not None and not (
            inspect.iscoroutinefunction(call) or inspect.isasyncgenfunction(call)
        ):
            yield f"{call.__module__}.{call.__qualname__}"
        yield from _sync_calls(dep)


def test_no_route_runs_a_dependency_or_endpoint_in_a_thread(tmp_path: Path) -> None:
    settings = make_settings(f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite'}", tmp_path)
    routes = list(_routes(create_app(settings).routes))
    assert len(routes) > 40  # the walk reached the included routers
    found = {
        f"{'/'.join(sorted(route.methods or ()))} {route.path}: {call}"
        for route in routes
        for call in (
            *_sync_calls(route.dependant),
            *([] if inspect.iscoroutinefunction(route.endpoint) else [route.endpoint.__name__]),
        )
    }
    assert found == set()
