"""Schemathesis against the OpenAPI of a real `tunix-rt serve`, on SQLite and PostgreSQL,
with auth on: every generated request (valid and invalid, in its examples, coverage,
fuzzing and stateful phases) gets an answer that is no 5xx, has a documented status
code, and matches the documented schema. Its seed is fixed, so a failure reproduces.

The server runs without a worker: a fuzzed request may queue runs and evaluations, and
none of them may start real training. So a synchronous run or evaluation is refused
with the documented 503 `NoWorker` (tested in test_tunix_run.py), which is allowed on
those two operations alone. Revoking a token is left out: the fuzzer would revoke its
own and test the rest as anonymous (revocation is tested in test_auth.py)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import create_pg_database, drop_pg_database
from tests.processes import CLI, ServerProcess, cli_env, untraced

SCHEMATHESIS = str(Path(sys.executable).with_name("schemathesis"))
CHECKS = "not_a_server_error,status_code_conformance,response_schema_conformance"
SEED = "20261206"
MAX_EXAMPLES = "20"  # per operation and phase: about a minute per database
SUMMARY = re.compile(r"(\d+) generated, (\d+) passed")


@pytest.fixture(params=["sqlite", "postgresql"])
def fuzz_env(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[dict[str, str]]:
    # The server runs without pytest-cov's tracing, which made it 3x slower: the fuzz
    # run is about behaviour, and would only inflate the coverage figure.
    env = untraced(cli_env(DATA_DIR=str(tmp_path / "data"), EVAL_AUTO="false"))
    url = create_pg_database() if request.param == "postgresql" else None
    if url:
        env["DATABASE_URL"] = url
    try:
        subprocess.run([*CLI, "db", "upgrade"], env=env, check=True, timeout=60)
        yield env
    finally:
        if url:
            drop_pg_database(url)


def _created(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code in (200, 201, 202), response.text
    body: dict[str, Any] = response.json()
    return body


def _seed(client: httpx.Client, artifacts: Path) -> dict[str, list[str]]:
    """Real traces, a dataset, runs in every end state, an evaluation, an artifact and a
    model, so that a share of the fuzzed ids name things that exist."""
    traces = _created(
        client.post(
            "/api/generators/arithmetic/generate", json={"count": 24, "params": {"difficulty": 1}}
        )
    )["trace_ids"]
    built = client.post("/api/datasets/build", json={"name": "sums", "eval_ratio": 0.25})
    key = _created(built)["dataset_key"]
    run = {"dataset_key": key, "model_id": "tunix-rt/tiny-gemma3", "dry_run": True}
    completed = _created(client.post("/api/tunix/run", json=run))
    failed = _created(client.post("/api/tunix/run", json={**run, "model_id": "missing"}))
    queued = _created(client.post("/api/tunix/run?mode=async", json=run))
    cancelled = _created(client.post(f"/api/tunix/runs/{queued['run_id']}/cancel"))
    assert (completed["status"], failed["status"], cancelled["status"]) == (
        "completed",
        "failed",
        "cancelled",
    )
    evaluation = _created(
        client.post(
            "/api/evaluations?mode=async",
            json={"model_id": "tunix-rt/tiny-gemma3", "dataset_key": key},
        )
    )
    model = _created(client.post("/api/models", json={"name": "fuzzed"}))
    # As a trainer would leave it: one file among the run's artifacts.
    run_dir = artifacts / "runs" / completed["run_id"]
    run_dir.mkdir(parents=True, exist_ok=True)
    (run_dir / "notes.txt").write_text("fuzz\n")
    return {
        "trace_id": traces[:5],
        "dataset_key": [key],
        "run_id": [completed["run_id"], failed["run_id"], cancelled["run_id"]],
        "evaluation_id": [evaluation["id"]],
        "filename": ["notes.txt"],
        "model_id": [model["id"]],
        "alias": ["prod", "staging"],
    }


def _config(known: dict[str, list[str]]) -> str:
    """Half of each path parameter drawn from what exists, half fuzzed. A log stream is
    read up to its first event (a pending run's stream stays open until the request
    timeout otherwise; streams have tests of their own). No cache: each run is its
    seed's alone (and writes nothing into the checkout)."""
    lines = ["max-stream-events = 1", "", "[cache]", "enabled = false", ""]
    for name, values in known.items():
        quoted = ", ".join(f'"{value}"' for value in values)
        lines += [f"[dictionaries.{name}]", f"values = [{quoted}]", ""]
    lines.append("[parameters]")
    for name in known:
        lines.append(f'"path.{name}" = {{ dictionary = "{name}", probability = 0.5 }}')
    lines += [
        "",
        "[[operations]]",
        'include-name = ["POST /api/evaluations", "POST /api/tunix/run"]',
        'checks.not_a_server_error.expected-statuses = ["2xx", "3xx", "4xx", "503"]',
    ]
    return "\n".join(lines) + "\n"


def test_fuzzed_requests_get_documented_answers_and_never_a_server_error(
    fuzz_env: dict[str, str], tmp_path: Path
) -> None:
    created = subprocess.run(
        [*CLI, "token", "create", "--name", "fuzz", "--scope", "admin"],
        env=fuzz_env,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    auth = f"Bearer {created.stdout.strip()}"
    server = ServerProcess(fuzz_env, tmp_path / "serve.log", "--no-worker")
    try:
        with server.client(headers={"Authorization": auth}) as client:
            known = _seed(client, Path(fuzz_env["DATA_DIR"]) / "artifacts")
        config = tmp_path / "schemathesis.toml"
        config.write_text(_config(known))
        fuzzed = subprocess.run(
            [
                SCHEMATHESIS,
                "--config-file",
                str(config),
                "run",
                f"{server.base}/openapi.json",
                "--checks",
                CHECKS,
                "--seed",
                SEED,
                "--max-examples",
                MAX_EXAMPLES,
                "--workers",
                "1",
                "--request-timeout",
                "30",
                "--header",
                f"Authorization: {auth}",
                "--exclude-path",
                "/api/auth/tokens/{token_id}/revoke",
                "--no-color",
            ],
            capture_output=True,
            text=True,
            timeout=900,
            check=False,
            env=untraced(dict(os.environ)),  # the fuzzer's own Python, traced, ran ~30% slower
        )
    finally:
        server.stop()
    report = fuzzed.stdout + fuzzed.stderr
    assert fuzzed.returncode == 0, report[-12_000:]
    summary = SUMMARY.search(report)
    assert summary, report[-3000:]
    database = "postgresql" if "DATABASE_URL" in fuzz_env else "sqlite"
    print(database, summary[0])  # docs/operations.md quotes it
    generated, passed = int(summary[1]), int(summary[2])
    assert generated == passed and generated > 2000, summary[0]
    assert "Dictionaries:     7 dictionaries" in report  # the seeded ids were used
    # Nothing went wrong out of sight either (an error after the response is sent).
    assert "Traceback" not in server.log.read_text()
