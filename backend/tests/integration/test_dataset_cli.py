"""`tunix-rt generate` and `tunix-rt dataset ...`, run as real processes."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from tests.integration.test_cli import _run, pg_env, sqlite_env

__all__ = ["pg_env", "sqlite_env"]


def test_generate_build_list_export_delete(sqlite_env: dict[str, str], tmp_path: Path) -> None:
    generated = _run(sqlite_env, "generate", "high-card-duel", "--count", "30", "--seed", "3")
    assert generated.returncode == 0, generated.stderr
    assert "generated 30 high_card_duel traces" in generated.stdout
    assert _run(sqlite_env, "generate", "arithmetic", "--count", "5").returncode == 0

    built = _run(
        sqlite_env, "dataset", "build", "--name", "hcd", "--source", "ungar", "--eval-ratio", "0.2"
    )
    assert built.returncode == 0, built.stderr
    manifest = json.loads(built.stdout)
    assert (manifest["dataset_key"], manifest["trace_count"]) == ("hcd-v1", 30)
    assert manifest["split"] == {"train": 24, "eval": 6}

    listed = _run(sqlite_env, "dataset", "list")
    assert "hcd-v1" in listed.stdout
    shown = json.loads(_run(sqlite_env, "dataset", "show", "hcd-v1").stdout)
    assert shown["content_sha256"] == manifest["content_sha256"]

    out = tmp_path / "hcd.jsonl"
    exported = _run(sqlite_env, "dataset", "export", "hcd-v1", "--output", str(out))
    assert exported.returncode == 0, exported.stderr
    assert hashlib.sha256(out.read_bytes()).hexdigest() == manifest["content_sha256"]
    sft = _run(
        sqlite_env, "dataset", "export", "hcd-v1", "--format", "tunix_sft", "--split", "eval"
    )
    lines = [json.loads(line) for line in sft.stdout.splitlines()]
    assert len(lines) == 6
    assert lines[0]["prompt"].startswith("<start_of_turn>user\nHigh Card Duel")

    assert _run(sqlite_env, "dataset", "delete", "hcd-v1").returncode == 0
    gone = _run(sqlite_env, "dataset", "show", "hcd-v1")
    assert gone.returncode == 1
    assert "Dataset 'hcd-v1' not found." in gone.stderr


def test_bad_input_is_reported_and_writes_nothing(pg_env: dict[str, str]) -> None:
    bad_difficulty = _run(pg_env, "generate", "arithmetic", "--difficulty", "9")
    assert bad_difficulty.returncode == 1
    assert "params.difficulty" in bad_difficulty.stderr
    unknown = _run(pg_env, "generate", "poker")
    assert unknown.returncode == 1
    assert "Generator 'poker' not found" in unknown.stderr
    # PostgreSQL is not migrated by the CLI: do it first, as a user would.
    assert _run(pg_env, "db", "upgrade").returncode == 0
    empty = _run(pg_env, "dataset", "build", "--name", "x")
    assert empty.returncode == 1
    assert "filters: no trace matches the filters" in empty.stderr
    too_many = _run(pg_env, "dataset", "build", "--name", "x", "--limit", "100001")
    assert "DATASET_MAX_TRACES" in too_many.stderr
    assert len(_run(pg_env, "dataset", "list").stdout.splitlines()) == 1  # the header only
