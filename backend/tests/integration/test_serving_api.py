"""The /v1 API on both databases, up to the model process: which names are listed and
resolved, and every request refused before a model is loaded (unknown model, bad
parameters, a run that cannot be served, a template mismatch, auth), each in OpenAI's
error shape and with nothing loaded. Answers themselves: test_serving.py."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.factories import record_promotable_run, record_run
from tunix_rt_backend.auth import service as auth
from tunix_rt_backend.auth.schemas import Scope
from tunix_rt_backend.db.models import ModelVersion
from tunix_rt_backend.settings import Settings

Maker = async_sessionmaker[AsyncSession]
CHAT = "/v1/chat/completions"
HELLO = [{"role": "user", "content": "hello"}]


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"auth_cache_seconds": 0}


def _error(response: httpx.Response, status: int, code: str, param: str | None = None) -> str:
    """OpenAI's error body, with the status, code and param expected; its message."""
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert set(error) == {"message", "type", "param", "code"}
    assert (error["code"], error["param"]) == (code, param), error
    message: str = error["message"]
    return message


async def _registered(client: httpx.AsyncClient, maker: Maker, settings: Settings) -> str:
    """A model `hcd` with version v1 (a recorded run's checkpoint) at alias `staging`."""
    run_id = await record_promotable_run(maker, settings, None, b"weights")
    created = await client.post("/api/models", json={"name": "hcd"})
    model_id = created.json()["id"]
    promoted = await client.post(
        f"/api/models/{model_id}/versions/promote", json={"source_run_id": str(run_id)}
    )
    assert promoted.status_code == 201, promoted.text
    version_id: str = promoted.json()["id"]
    moved = await client.put(
        f"/api/models/{model_id}/aliases/staging", json={"version_id": version_id}
    )
    assert moved.status_code == 200, moved.text
    return version_id


async def _loaded(client: httpx.AsyncClient) -> list[Any]:
    status = await client.get("/api/serving/status")
    assert status.status_code == 200
    models: list[Any] = status.json()["models"]
    return models


async def test_models_lists_every_name_a_request_may_give(
    client: httpx.AsyncClient, sessionmaker: Maker, settings: Settings
) -> None:
    await _registered(client, sessionmaker, settings)
    completed = await record_run(sessionmaker)
    await record_run(sessionmaker, mode="dry-run")
    await record_run(sessionmaker, status="failed")
    checkpoint = settings.models_root / "acme--reasoner-1b"
    checkpoint.mkdir(parents=True)
    (checkpoint / "config.json").write_text("{}")

    listed = (await client.get("/v1/models")).json()
    assert listed["object"] == "list"
    by_id = {m["id"]: m for m in listed["data"]}
    runs = [m for m in by_id if m.startswith("run-")]
    # The registered run and the completed one; neither the dry run nor the failed one.
    assert len(runs) == 2 and f"run-{completed}" in runs
    assert {"hcd@v1", "hcd:staging", "tunix-rt/tiny-gemma3", "acme/reasoner-1b"} <= set(by_id)
    assert by_id["hcd:staging"]["source"] == "registry"
    assert by_id["acme/reasoner-1b"]["source"] == "checkpoint"
    assert all(m["object"] == "model" and m["owned_by"] == "tunix-rt" for m in listed["data"])


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("gpt-4o", "GET /v1/models lists them"),
        ("hcd:prod", "no alias 'prod'"),
        ("hcd@v9", "no version 'v9'"),
        ("other:prod", "no registered model 'other'"),
        (f"run-{uuid.UUID(int=7)}", "no such run"),
        ("run-abc", "not a run id"),
        ("/etc/passwd", "GET /v1/models"),
        # A checkpoint outside MODEL_DIR is no model's name, however it is spelled.
        ("~/outside", "GET /v1/models"),
        ("acme--reasoner-1b/../../outside", "GET /v1/models"),
        ("../outside", "GET /v1/models"),
    ],
)
async def test_an_unknown_model_is_404(
    client: httpx.AsyncClient, sessionmaker: Maker, settings: Settings, name: str, message: str
) -> None:
    await _registered(client, sessionmaker, settings)
    outside = settings.data_dir / "outside"  # a checkpoint beside MODEL_DIR, not in it
    outside.mkdir(parents=True)
    (outside / "config.json").write_text("{}")
    response = await client.post(CHAT, json={"model": name, "messages": HELLO})
    message_text = _error(response, 404, "model_not_found", "model")
    assert message in message_text and str(settings.data_dir) not in message_text
    assert response.json()["error"]["type"] == "invalid_request_error"
    completions = await client.post("/v1/completions", json={"model": name, "prompt": "x"})
    _error(completions, 404, "model_not_found", "model")
    assert await _loaded(client) == []


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ({"messages": []}, "messages"),
        ({"messages": [{"role": "robot", "content": "x"}]}, "messages.0.role"),
        ({"messages": HELLO, "temperature": 2.5}, "temperature"),
        ({"messages": HELLO, "top_p": 0}, "top_p"),
        ({"messages": HELLO, "max_tokens": 0}, "max_tokens"),
        ({"messages": HELLO, "n": 2}, "n"),
        ({"messages": HELLO, "stop": ["a", "b", "c", "d", "e"]}, "stop"),
        ({"messages": HELLO, "tools": [{"type": "function"}]}, "tools"),
        ({"messages": HELLO, "logprobs": True}, "logprobs"),
        ({"messages": HELLO, "seed": -1}, "seed"),
    ],
)
async def test_bad_chat_parameters_are_400_naming_the_field(
    client: httpx.AsyncClient, body: dict[str, Any], param: str
) -> None:
    response = await client.post(CHAT, json={"model": "tunix-rt/tiny-gemma3", **body})
    message = _error(response, 400, "invalid_value", param)
    assert message.startswith(param)
    assert await _loaded(client) == []


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ({"prompt": []}, "prompt"),
        ({"prompt": "x", "logprobs": 6}, "logprobs"),
        ({"prompt": "x", "max_tokens": -1}, "max_tokens"),
        ({"prompt": "x", "suffix": "y"}, "suffix"),
        ({"prompt": "x", "max_tokens": 0}, "max_tokens"),  # nothing to write, nothing echoed
        ({"prompt": "x", "max_tokens": 10**6}, "max_tokens"),  # over SERVING_MAX_TOKENS
        ({"prompt": ["x", "y"], "stream": True}, "prompt"),
    ],
)
async def test_bad_completion_parameters_are_400_naming_the_field(
    client: httpx.AsyncClient, body: dict[str, Any], param: str
) -> None:
    response = await client.post("/v1/completions", json={"model": "tunix-rt/tiny-gemma3", **body})
    assert response.status_code == 400, response.text
    assert response.json()["error"]["param"] == param
    assert await _loaded(client) == []


async def test_null_is_a_parameter_s_default_as_openai_takes_it(client: httpx.AsyncClient) -> None:
    nulls = {"temperature": None, "top_p": None, "n": None, "stream": None, "stop": None}
    chat = await client.post(CHAT, json={"model": "missing:x", "messages": HELLO, **nulls})
    _error(chat, 404, "model_not_found", "model")  # past validation: the model is unknown
    completion = {"model": "missing:x", "prompt": "x", "max_tokens": None, "echo": None, **nulls}
    _error(await client.post("/v1/completions", json=completion), 404, "model_not_found", "model")


async def test_a_run_without_a_final_checkpoint_is_not_served(
    client: httpx.AsyncClient, sessionmaker: Maker
) -> None:
    for fields, said in (
        ({"mode": "dry-run"}, "dry-run run, completed"),
        ({"status": "failed"}, "local run, failed"),
        ({}, "no readable manifest.yaml"),  # completed, but its directory is gone
    ):
        run_id = await record_run(sessionmaker, **fields)
        response = await client.post(CHAT, json={"model": f"run-{run_id}", "messages": HELLO})
        assert said in _error(response, 400, "model_not_servable", "model")
    assert await _loaded(client) == []


async def test_a_model_trained_on_another_template_is_refused(
    client: httpx.AsyncClient, sessionmaker: Maker, settings: Settings
) -> None:
    version_id = await _registered(client, sessionmaker, settings)
    async with sessionmaker() as session, session.begin():
        row = await session.get(ModelVersion, uuid.UUID(version_id))
        assert row is not None
        provenance = {**row.provenance_json, "template_sha256": "f" * 64}
        await session.execute(
            update(ModelVersion).where(ModelVersion.id == row.id).values(provenance_json=provenance)
        )
    response = await client.post(CHAT, json={"model": "hcd:staging", "messages": HELLO})
    message = _error(response, 400, "template_mismatch", "model")
    assert "ffffffffffff" in message and "gemma-reasoning-v1" in message
    assert await _loaded(client) == []


async def test_with_tokens_inference_needs_one_and_read_may_infer(
    client: httpx.AsyncClient, sessionmaker: Maker
) -> None:
    async with sessionmaker() as session:
        token = (await auth.create_token(session, "reader", Scope.read)).token
        await session.commit()
    body = {"model": "missing", "messages": HELLO}
    anonymous = await client.post(CHAT, json=body)
    _error(anonymous, 401, "unauthorized")
    assert anonymous.json()["error"]["type"] == "authentication_error"
    assert anonymous.headers["WWW-Authenticate"] == "Bearer"
    assert (await client.get("/v1/models")).status_code == 401
    wrong = await client.post(CHAT, json=body, headers={"Authorization": "Bearer nope"})
    _error(wrong, 401, "unauthorized")
    # A read token gets past the door: the 404 is about the model.
    reader = {"Authorization": f"Bearer {token}"}
    _error(await client.post(CHAT, json=body, headers=reader), 404, "model_not_found", "model")
    assert (await client.get("/v1/models", headers=reader)).status_code == 200


async def test_unknown_v1_paths_and_methods_answer_in_openai_shape(
    client: httpx.AsyncClient,
) -> None:
    _error(await client.get("/v1/embeddings"), 404, "not_found")
    method = await client.delete(CHAT)
    _error(method, 405, "method_not_allowed")
    assert method.headers["Allow"] == "POST"
    malformed = await client.post(CHAT, content=b"{", headers={"Content-Type": "application/json"})
    assert malformed.status_code == 400 and malformed.json()["error"]["code"] == "invalid_value"


async def test_status_says_what_is_loaded(client: httpx.AsyncClient, settings: Settings) -> None:
    status = (await client.get("/api/serving/status")).json()
    assert status == {
        "available": True,
        "max_models": settings.serving_max_models,
        "max_batch": settings.serving_max_batch,
        "batch_window_ms": settings.serving_batch_window_ms,
        "models": [],
    }
