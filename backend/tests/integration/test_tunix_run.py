"""POST /api/tunix/run (dry runs and a real synchronous run) and GET /api/tunix/status."""

from __future__ import annotations

import asyncio
import re
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.factories import count_rows, sums_dataset
from tunix_rt_backend.db.models import TunixRun
from tunix_rt_backend.jobs.worker import QueueWorker
from tunix_rt_backend.runs import checks
from tunix_rt_backend.runs import service as runs_service
from tunix_rt_backend.settings import Settings


def _run_body(**overrides: Any) -> dict[str, Any]:
    return {
        "dataset_key": "sums-v1",
        "model_id": "tunix-rt/tiny-gemma3",
        "max_seq_length": 160,
        **overrides,
    }


async def _rows(maker: async_sessionmaker[AsyncSession]) -> list[TunixRun]:
    async with maker() as session:
        return list(await session.scalars(select(TunixRun)))


async def test_tunix_status_reports_the_installed_runtime(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/tunix/status")
    assert response.status_code == 200
    status = response.json()
    assert status["available"] is True
    assert status["runtime_required"] is True
    assert status["version"] == "0.1.7"
    assert status["jax_version"] == "0.10.2"
    assert status["devices"]
    assert "tunix-rt/tiny-gemma3" in status["builtin_models"]


async def test_status_lists_the_checkpoints_under_model_dir(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    import numpy as np
    from safetensors.numpy import save_file

    checkpoint = settings.models_root / "acme--reasoner-1b"
    checkpoint.mkdir(parents=True)
    (checkpoint / "config.json").write_text('{"model_type": "qwen2"}')
    save_file(
        {"a": np.zeros((3, 4), np.float32), "b": np.zeros(5, np.float32)},
        str(checkpoint / "model.safetensors"),
    )
    # An import's staging directory is no checkpoint.
    staging = settings.models_root / ".importing" / "x"
    staging.mkdir(parents=True)
    (staging / "config.json").write_text('{"model_type": "qwen2"}')

    status = (await client.get("/api/tunix/status")).json()
    assert status["local_models"] == [
        {
            "model_id": "acme/reasoner-1b",
            "model_type": "qwen2",
            "parameters": 17,
            "size_bytes": (checkpoint / "model.safetensors").stat().st_size,
            "description": "qwen2 checkpoint",
            "note": None,
        }
    ]


async def test_a_run_on_a_pretrained_checkpoint_defaults_to_lora(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    await sums_dataset(client)
    checkpoint = settings.models_root / "acme--reasoner-1b"
    checkpoint.mkdir(parents=True)
    (checkpoint / "config.json").write_text('{"model_type": "qwen2"}')
    _word_tokenizer(checkpoint)

    async def config(**body: Any) -> dict[str, Any]:
        result = (await client.post("/api/tunix/run", json=_run_body(**body))).json()
        detail = (await client.get(f"/api/tunix/runs/{result['run_id']}")).json()
        return {k: detail["config"][k] for k in ("method", "learning_rate")}

    pretrained = "acme/reasoner-1b"
    assert await config(model_id=pretrained) == {"method": "lora", "learning_rate": 2e-4}
    assert await config(model_id=pretrained, method="full") == {
        "method": "full",
        "learning_rate": 2e-5,
    }
    assert await config(model_id=pretrained, learning_rate=1e-3) == {
        "method": "lora",
        "learning_rate": 1e-3,
    }
    assert await config() == {"method": "full", "learning_rate": 2e-5}  # built in


async def test_dry_run_reports_each_check_and_records_the_run(
    client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    await sums_dataset(client)
    response = await client.post("/api/tunix/run", json=_run_body())
    assert response.status_code == 202
    result = response.json()
    assert (result["status"], result["mode"], result["exit_code"]) == ("completed", "dry-run", 0)
    assert result["message"] == "Dry-run completed successfully. Configuration is valid."
    checks = {c["name"]: c for c in result["checks"]}
    assert set(checks) == {"dataset", "model", "tokens", "steps", "output_dir", "runtime"}
    assert all(c["ok"] for c in checks.values())
    assert "prompt+completion mean" in checks["tokens"]["detail"]
    assert checks["steps"]["detail"].startswith("15 steps of batch 8")  # 3 epochs x 43 // 8
    assert result["output_dir"] == f"runs/{result['run_id']}"
    (row,) = await _rows(sessionmaker)
    assert str(row.run_id) == result["run_id"]
    assert (row.status, row.mode, row.dataset_key) == ("completed", "dry-run", "sums-v1")
    assert "[ok] tokens" in row.stdout
    assert row.config is not None and row.config["max_seq_length"] == 160


@pytest.mark.parametrize(
    ("model_id", "expected"),
    [
        ("tunix-rt/huge-gemma9", "unknown built-in model"),
        ("google/gemma-2b-it", "no config.json in"),
    ],
)
async def test_dry_run_with_a_missing_model_fails_naming_where_it_looked(
    client: httpx.AsyncClient,
    sessionmaker: async_sessionmaker[AsyncSession],
    settings: Settings,
    model_id: str,
    expected: str,
) -> None:
    await sums_dataset(client)
    result = (await client.post("/api/tunix/run", json=_run_body(model_id=model_id))).json()
    assert result["status"] == "failed"
    assert result["message"] == "Dry-run failed its checks: model."
    model = next(c for c in result["checks"] if c["name"] == "model")
    assert expected in model["detail"]
    if "/" in model_id and not model_id.startswith("tunix-rt/"):
        assert f"MODEL_DIR/{model_id}" in model["detail"]
    assert str(settings.data_dir.resolve()) not in orjson.dumps(result).decode()
    assert [r.status for r in await _rows(sessionmaker)] == ["failed"]


async def test_sequences_mostly_over_max_seq_length_fail_the_token_check(
    client: httpx.AsyncClient,
) -> None:
    await sums_dataset(client)
    result = (await client.post("/api/tunix/run", json=_run_body(max_seq_length=64))).json()
    tokens = next(c for c in result["checks"] if c["name"] == "tokens")
    assert not tokens["ok"]
    assert "longer than max_seq_length 64" in tokens["detail"]


async def test_unknown_dataset_is_404_and_records_nothing(
    client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    response = await client.post("/api/tunix/run", json=_run_body(dataset_key="nope-v1"))
    assert response.status_code == 404
    assert response.json()["error"] == "DatasetNotFound"
    assert await count_rows(sessionmaker, TunixRun) == 0


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("output_dir", "/tmp/elsewhere"),
        ("output_dir", "../../etc"),
        ("output_dir", "a\\b"),
        ("method", "qlora"),
        ("batch_size", 0),
        ("dry_run", "maybe"),
        ("model_id", ""),
    ],
)
async def test_bad_run_request_is_422_and_records_nothing(
    client: httpx.AsyncClient,
    sessionmaker: async_sessionmaker[AsyncSession],
    field: str,
    value: Any,
) -> None:
    await sums_dataset(client)
    response = await client.post("/api/tunix/run", json=_run_body(**{field: value}))
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", field]
    assert await count_rows(sessionmaker, TunixRun) == 0


async def test_training_without_tunix_is_501_and_records_nothing(
    client: httpx.AsyncClient,
    sessionmaker: async_sessionmaker[AsyncSession],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    await sums_dataset(client)
    # As on a machine without the `tunix` extra (this one has it).
    monkeypatch.setattr(runs_service, "tunix_available", lambda: False)
    response = await client.post("/api/tunix/run", json=_run_body(dry_run=False))
    assert response.status_code == 501
    assert response.json()["error"] == "TunixNotAvailable"
    assert "dry_run=true" in response.json()["detail"]
    assert await count_rows(sessionmaker, TunixRun) == 0


@pytest.mark.training
async def test_local_run_trains_and_records_the_outcome(
    client: httpx.AsyncClient,
    sessionmaker: async_sessionmaker[AsyncSession],
    settings: Settings,
    worker: QueueWorker,
) -> None:
    await sums_dataset(client)
    body = _run_body(
        dry_run=False, max_steps=20, learning_rate=3e-3, num_generations=1, output_dir="demo"
    )
    response = await client.post("/api/tunix/run", json=body, timeout=300)
    assert response.status_code == 202
    result = response.json()
    assert (result["status"], result["mode"], result["exit_code"]) == ("completed", "local", 0)
    summary = result["summary"]
    assert summary["steps"] == 20
    assert summary["final_loss"] < summary["initial_loss"]
    assert result["message"].startswith("Training completed: 20 steps")
    assert '"event":"done"' in result["stdout"]
    assert len(result["stdout"].encode()) <= 10 * 1024
    out: Path = settings.artifacts_root / "demo"
    assert (out / "checkpoints" / "20" / "commit_success.txt").exists()
    assert (out / "manifest.yaml").exists()
    assert len((out / "dataset.jsonl").read_text().splitlines()) == 48
    (row,) = await _rows(sessionmaker)
    assert (row.status, row.exit_code, row.mode) == ("completed", 0, "local")
    assert row.completed_at is not None and row.duration_seconds is not None

    again = await client.post("/api/tunix/run", json=_run_body(output_dir="demo"))
    output = next(c for c in again.json()["checks"] if c["name"] == "output_dir")
    assert not output["ok"]
    assert "already holds checkpoints" in output["detail"]


def _word_tokenizer(path: Path) -> None:
    """A word-level tokenizer.json (words and punctuation, as Hugging Face's
    `tokenizers` saves it) with the turn markers and bos/eos/pad as special tokens."""
    from tokenizers import Tokenizer, models, pre_tokenizers  # type: ignore[import-untyped]

    specials = ["<pad>", "<bos>", "<eos>", "<unk>", "<start_of_turn>", "<end_of_turn>"]
    words = [*specials, *"0123456789+-=?.:,", "user", "model", "What", "is", "Answer"]
    tokenizer = Tokenizer(models.WordLevel({w: i for i, w in enumerate(words)}, unk_token="<unk>"))
    tokenizer.add_special_tokens(specials)
    tokenizer.pre_tokenizer = pre_tokenizers.Whitespace()
    tokenizer.save(str(path / "tokenizer.json"))
    names = {"bos_token": "<bos>", "eos_token": "<eos>", "pad_token": "<pad>"}
    (path / "tokenizer_config.json").write_text(orjson.dumps(names).decode())


@pytest.mark.parametrize(
    ("model_type", "tokenizer", "ok", "expected"),
    [
        ("qwen2", "words", True, "qwen2 checkpoint at"),
        ("qwen2", "broken", False, "cannot read"),
        ("mistral", "words", False, "has model_type 'mistral', which Tunix cannot load"),
        ("llama", None, False, "has no tokenizer file (tokenizer.json)"),
    ],
)
async def test_dry_run_checks_a_local_checkpoint(
    client: httpx.AsyncClient,
    settings: Settings,
    model_type: str,
    tokenizer: str | None,
    ok: bool,
    expected: str,
) -> None:
    await sums_dataset(client)
    checkpoint = settings.models_root / "acme--reasoner-1b"
    checkpoint.mkdir(parents=True)
    (checkpoint / "config.json").write_text(f'{{"model_type": "{model_type}"}}')
    if tokenizer == "words":
        _word_tokenizer(checkpoint)
    elif tokenizer == "broken":
        (checkpoint / "tokenizer.json").write_text("{}")
    result = (
        await client.post("/api/tunix/run", json=_run_body(model_id="acme/reasoner-1b"))
    ).json()
    model = next(c for c in result["checks"] if c["name"] == "model")
    assert model["ok"] is ok
    assert expected in model["detail"]
    assert result["status"] == ("completed" if ok else "failed")
    tokens = [c for c in result["checks"] if c["name"] == "tokens"]
    assert len(tokens) == (1 if ok else 0)


def _prompt_mean(result: dict[str, Any]) -> float:
    tokens = next(c for c in result["checks"] if c["name"] == "tokens")
    assert tokens["ok"] is True
    match = re.match(r"\d+ samples: prompt mean (\d+) / max \d+ tokens", tokens["detail"])
    assert match is not None, tokens["detail"]
    return float(match[1])


async def test_dry_run_counts_tokens_with_the_checkpoints_own_tokenizer(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    await sums_dataset(client)
    checkpoint = settings.models_root / "acme--reasoner-1b"
    checkpoint.mkdir(parents=True)
    (checkpoint / "config.json").write_text('{"model_type": "qwen2"}')
    _word_tokenizer(checkpoint)
    words = await client.post("/api/tunix/run", json=_run_body(model_id="acme/reasoner-1b"))
    builtin = await client.post("/api/tunix/run", json=_run_body())
    # A word per token against a byte per token: the same prompts, far fewer tokens
    # (12 against 30 for these sums).
    assert _prompt_mean(words.json()) * 2 < _prompt_mean(builtin.json())


async def test_a_dry_run_reads_the_model_off_the_event_loop(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    dataset = await sums_dataset(client)
    model_check = checks.model_check
    reading = threading.Event()
    started: list[float] = []

    def slow(*args: Any) -> Any:
        started.append(time.monotonic())
        reading.set()
        time.sleep(1.5)  # a large tokenizer.json being read
        return model_check(*args)

    monkeypatch.setattr(checks, "model_check", slow)

    async def health_while_reading() -> float:
        await asyncio.to_thread(reading.wait, 60)
        assert (await client.get("/api/health")).status_code == 200
        return time.monotonic()

    body = _run_body(dataset_key=dataset["dataset_key"])
    dry, answered = await asyncio.gather(
        client.post("/api/tunix/run", json=body), health_while_reading()
    )
    assert dry.status_code == 202, dry.text
    # Answered while the model was being read, not after.
    assert answered - started[0] < 1.0


@pytest.mark.parametrize(
    "model_id", ["/etc", "/tmp/ckpt", "~/models/x", "./x", "../x", "a/../../b", "a//b", "a\\b"]
)
async def test_a_model_id_that_is_a_server_path_is_refused(
    client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession], model_id: str
) -> None:
    await sums_dataset(client)
    response = await client.post("/api/tunix/run", json=_run_body(model_id=model_id))
    assert response.status_code == 422, response.text
    assert response.json()["detail"][0]["loc"] == ["body", "model_id"]
    assert await _rows(sessionmaker) == []
