"""OpenAI's inference API under /v1 (models, chat completions, completions) and the
serving status under /api/serving. Any token may infer (`read`)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Depends, Request
from fastapi.responses import StreamingResponse

from tunix_rt_backend.auth.deps import require_access, require_read
from tunix_rt_backend.db.engine import session_scope
from tunix_rt_backend.deps import SessionMakerDep, SettingsDep
from tunix_rt_backend.errors import AppError, Forbidden, Unauthorized, responses
from tunix_rt_backend.runs.runtime import tunix_available
from tunix_rt_backend.serving import service
from tunix_rt_backend.serving.pool import ModelPool
from tunix_rt_backend.serving.resolve import (
    Target,
    is_base_name,
    listed,
    resolve,
    resolve_base,
)
from tunix_rt_backend.serving.schemas import (
    ChatCompletion,
    ChatCompletionRequest,
    Completion,
    CompletionRequest,
    LoadedModel,
    ModelCard,
    ModelList,
    OpenAIErrorBody,
    ServingStatus,
)

router = APIRouter(prefix="/v1", tags=["serving"], dependencies=[Depends(require_read)])
status_router = APIRouter(
    prefix="/api/serving", tags=["serving"], dependencies=[Depends(require_access)]
)
# GET /v1/models lists the latest completed runs; older ones are still served by name.
LISTED_RUNS = 100
DISCONNECT_POLL_S = 0.25
T = TypeVar("T")
_ERRORS: dict[int | str, Any] = {
    status: {"model": OpenAIErrorBody, "description": description}
    for status, description in (
        (400, "Bad parameters, an unservable model, a prompt too long"),
        (401, "No or unknown token"),
        (403, "The token may not read"),
        (404, "No such model"),
        (501, "The Tunix runtime is not installed"),
        (503, "The model could not be loaded, or every model slot is busy"),
    )
}


async def get_pool(request: Request) -> ModelPool:
    pool: ModelPool = request.app.state.model_pool
    return pool


PoolDep = Annotated[ModelPool, Depends(get_pool)]


async def _target(maker: Any, settings: Any, name: str) -> Target:
    if not tunix_available():
        raise service.ServingNotAvailable(
            "Serving needs the Tunix runtime (the `tunix` extra): install it with "
            "`pip install -e 'backend[tunix]'` (make run does)."
        )
    if is_base_name(name):
        return resolve_base(settings, name)
    async with session_scope(maker) as session:
        return await resolve(session, settings, name)


class ClientGone(AppError):
    """The client closed the connection before its answer was ready (nobody reads this)."""

    status_code = 499


async def unless_gone(request: Request, work: Awaitable[T]) -> T:
    """`work`'s result; cancelled (so the model stops decoding it) if the client goes
    away first, which is checked every DISCONNECT_POLL_S. A client that timed out and
    retries must not leave its first answer decoding to the end."""
    task = asyncio.ensure_future(work)
    try:
        while True:
            done, _ = await asyncio.wait({task}, timeout=DISCONNECT_POLL_S)
            if done:
                return task.result()
            if await request.is_disconnected():
                raise ClientGone("the client went away")
    finally:
        if not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task


def _streamed(result: Any) -> Any:
    if isinstance(result, ChatCompletion | Completion):
        return result
    # No buffering by proxies (nginx): tokens reach the client as they are written.
    headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
    return StreamingResponse(result, media_type="text/event-stream", headers=headers)


@router.get("/models", response_model=ModelList, responses={s: _ERRORS[s] for s in (401, 403)})
async def list_models(maker: SessionMakerDep, settings: SettingsDep) -> ModelList:
    """Every name a request may give as `model`: registered versions (`<model>@<version>`)
    and aliases (`<model>:<alias>`), the latest completed training runs (`run-<id>`),
    built-in models and checkpoints under MODEL_DIR."""
    async with session_scope(maker) as session:
        names = await listed(session, settings, LISTED_RUNS)
    return ModelList(
        data=[ModelCard(id=n.id, created=int(n.created), source=n.source) for n in names]
    )


@router.post(
    "/chat/completions",
    response_model=ChatCompletion,
    responses={**_ERRORS, 200: {"content": {"text/event-stream": {}}}},
)
async def chat_completions(
    request: Request,
    body: ChatCompletionRequest,
    maker: SessionMakerDep,
    settings: SettingsDep,
    pool: PoolDep,
) -> Any:
    """A chat answer with the model's chat template applied; a reasoning answer's steps
    in `message.reasoning_content`, its final answer in `message.content`. With `stream`:
    server-sent `chat.completion.chunk` events, then `data: [DONE]`."""
    target = await _target(maker, settings, body.model)
    return _streamed(await unless_gone(request, service.chat(pool, settings, target, body)))


@router.post(
    "/completions",
    response_model=Completion,
    responses={**_ERRORS, 200: {"content": {"text/event-stream": {}}}},
)
async def completions(
    request: Request,
    body: CompletionRequest,
    maker: SessionMakerDep,
    settings: SettingsDep,
    pool: PoolDep,
) -> Any:
    """Raw text completion (no template): `echo` and `logprobs` (the prompt's too, with
    echo) as lm-evaluation-harness's `local-completions` asks for them."""
    target = await _target(maker, settings, body.model)
    return _streamed(await unless_gone(request, service.completions(pool, settings, target, body)))


@status_router.get(
    "/status", response_model=ServingStatus, responses=responses(Unauthorized, Forbidden)
)
async def serving_status(settings: SettingsDep, pool: PoolDep) -> ServingStatus:
    """The loaded models (most recently used first): load time, queue depth, requests
    in flight, tokens generated and tokens per second."""
    return ServingStatus(
        available=tunix_available(),
        max_models=settings.serving_max_models,
        max_batch=settings.serving_max_batch,
        batch_window_ms=settings.serving_batch_window_ms,
        models=[LoadedModel.model_validate(m) for m in pool.status()],
    )
