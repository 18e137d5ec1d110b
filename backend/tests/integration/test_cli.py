"""The `tunix-rt` command, run as a real process."""

from __future__ import annotations

import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import create_pg_database, drop_pg_database
from tests.factories import free_port
from tests.processes import CLI, ServerProcess, cli_env


def _run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CLI, *args], env=env, capture_output=True, text=True, timeout=60, check=False
    )


@pytest.fixture
def sqlite_env(tmp_path: Path) -> dict[str, str]:
    return cli_env(DATA_DIR=str(tmp_path / "data"))


@pytest.fixture
def pg_env() -> Iterator[dict[str, str]]:
    url = create_pg_database()
    try:
        yield cli_env(DATABASE_URL=url)
    finally:
        drop_pg_database(url)


def test_token_create_prints_token_once_and_list_never_shows_it(
    sqlite_env: dict[str, str],
) -> None:
    created = _run(sqlite_env, "token", "create", "--name", "ci", "--scope", "write")
    assert created.returncode == 0, created.stderr
    token = created.stdout.strip()
    assert token.startswith("trt_") and "\n" not in token
    assert "not shown again" in created.stderr

    listed = _run(sqlite_env, "token", "list")
    assert listed.returncode == 0
    assert token[:12] in listed.stdout and "write" in listed.stdout
    assert token not in listed.stdout


def test_token_revoke(sqlite_env: dict[str, str]) -> None:
    _run(sqlite_env, "token", "create", "--name", "ci")
    token_id = _run(sqlite_env, "token", "list").stdout.splitlines()[1].split()[0]
    revoked = _run(sqlite_env, "token", "revoke", token_id)
    assert revoked.returncode == 0 and token_id in revoked.stdout
    row = _run(sqlite_env, "token", "list").stdout.splitlines()[1]
    assert row.split()[4] != "-"  # REVOKED column holds a date


def test_revoke_unknown_token_fails(sqlite_env: dict[str, str]) -> None:
    result = _run(sqlite_env, "token", "revoke", "00000000-0000-4000-8000-000000000000")
    assert result.returncode == 1
    assert "not found" in result.stderr


def test_bad_scope_is_rejected(sqlite_env: dict[str, str]) -> None:
    result = _run(sqlite_env, "token", "create", "--name", "x", "--scope", "root")
    assert result.returncode == 2
    assert "invalid choice" in result.stderr


def test_invalid_setting_stops_start_up_naming_the_variable(sqlite_env: dict[str, str]) -> None:
    result = _run({**sqlite_env, "DB_POOL_SIZE": "500"}, "serve")
    assert result.returncode == 2
    assert "DB_POOL_SIZE" in result.stderr


def test_serve_refuses_non_loopback_without_tokens(sqlite_env: dict[str, str]) -> None:
    result = _run(sqlite_env, "serve", "--host", "0.0.0.0", "--port", str(free_port()))
    assert result.returncode == 1
    assert "refusing to listen on 0.0.0.0" in result.stderr


def test_serve_on_a_port_in_use_says_so_in_one_line(sqlite_env: dict[str, str]) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = _run(sqlite_env, "serve", "--port", str(port))
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        f"tunix-rt: port {port} on 127.0.0.1 is already in use: stop what listens there, "
        "or choose another port with --port or BACKEND_PORT"
    ]
    assert "serving on" not in result.stdout


def test_db_commands_on_postgres(pg_env: dict[str, str]) -> None:
    assert "base" in _run(pg_env, "db", "current").stdout
    refused = _run(pg_env, "serve", "--port", str(free_port()))
    assert refused.returncode == 1
    assert "tunix-rt db upgrade" in refused.stderr

    assert _run(pg_env, "db", "upgrade").returncode == 0
    assert "up to date" in _run(pg_env, "db", "current").stdout
    assert _run(pg_env, "db", "downgrade", "base").returncode == 0
    assert "base" in _run(pg_env, "db", "current").stdout


@pytest.fixture
def server(sqlite_env: dict[str, str], tmp_path: Path) -> Iterator[str]:
    server = ServerProcess(sqlite_env, tmp_path / "serve.log")
    try:
        yield server.base
    finally:
        server.stop()


def test_serve_migrates_sqlite_and_serves_the_api(server: str) -> None:
    created = httpx.post(
        f"{server}/api/traces",
        json={
            "trace_version": "1.0",
            "prompt": "What is 27 × 19?",
            "final_answer": "513",
            "steps": [{"i": 0, "type": "compute", "content": "27 × 19 = 513"}],
        },
    )
    assert created.status_code == 201
    listed = httpx.get(f"{server}/api/traces?limit=20&offset=0").json()
    assert listed["data"][0]["id"] == created.json()["id"]


def test_a_write_is_visible_as_soon_as_its_response_arrives(server: str) -> None:
    # The commit happens before the response is sent: read-your-writes over HTTP.
    body = {
        "trace_version": "1.0",
        "prompt": "p",
        "final_answer": "a",
        "steps": [{"i": 0, "type": "t", "content": "c"}],
    }
    with httpx.Client(base_url=server) as client:
        for _ in range(50):
            created = client.post("/api/traces", json=body)
            assert created.status_code == 201
            assert client.get(f"/api/traces/{created.json()['id']}").status_code == 200


@pytest.mark.training
def test_demo_generates_builds_trains_scores_and_releases(sqlite_env: dict[str, str]) -> None:
    """The whole demo, shortened to a few steps (its default length is timed by hand:
    README, "The demo")."""
    done = subprocess.run(
        [*CLI, "demo", "--steps", "4", "--seed", "3"],
        env=sqlite_env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    lines = done.stdout.splitlines()
    assert lines[0] == "built hcd_demo-v1: 1440 train, 160 eval"
    assert any(line.startswith("Training completed: 4 steps, loss ") for line in lines)
    [where] = [line for line in lines if " steps/s; artifacts in " in line]
    run_dir = Path(where.rsplit("artifacts in ", 1)[1])
    # The run's evaluation: every held-out game, with its interval and the baseline.
    [score] = [line for line in lines if line.startswith("held-out exact match: ")]
    assert " of 160 eval games (95% interval " in score, score
    assert "always answering the commonest winner" in score
    assert (run_dir / "manifest.yaml").is_file()
    manifest = (run_dir / "manifest.yaml").read_text()
    assert "learning_rate: 0.005" in manifest and "warmup_steps: 50" in manifest
    # Released: the first demo run is the baseline and a model version; 4 steps do not
    # beat always answering the commonest winner, so prod is not set.
    assert "the first demo run: pinned as baseline hcd-demo" in lines
    assert any(line.startswith("promoted: hcd-demo v1 (sha256 ") for line in lines)
    assert "prod not set: the run does not beat always giving the commonest answer" in lines
    assert any(line.startswith("the model: http://127.0.0.1:8000/models/") for line in lines)
    # Served: the version (not prod) loaded in a model process and asked a held-out game.
    [served] = [line for line in lines if line.startswith("served hcd-demo@v1, asked a held-out")]
    assert served.endswith("Who wins?"), served
    assert any(line.startswith("  answer: ") and line.endswith(" tokens)") for line in lines)
    assert "the playground: http://127.0.0.1:8000/playground?model=hcd-demo@v1" in lines
    [curl] = [line for line in lines if line.startswith("  curl ")]
    assert "http://127.0.0.1:8000/v1/chat/completions" in curl and '"hcd-demo@v1"' in curl
    assert lines[-1].startswith("done in ") and ", serving " in lines[-1], lines[-1]
