"""The model registry on both databases: a really trained run promoted into a
content-addressed version, downloaded and restored to the run's very weights; the
protected `prod` alias gated by regression checks (refused moves kept in its history),
rolled back; path safety; every bad input (nothing written). Gate tests record runs
(with a checkpoint directory written here) and evaluations as a worker leaves them."""

from __future__ import annotations

import asyncio
import getpass
import hashlib
import io
import itertools
import os
import subprocess
import sys
import tarfile
import uuid
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tunix_rt_backend.auth import service as auth_service
from tunix_rt_backend.auth.schemas import Scope
from tunix_rt_backend.db.models import (
    ModelAlias,
    ModelAliasEvent,
    ModelArtifact,
    ModelVersion,
    RegressionCheck,
)
from tunix_rt_backend.jobs.worker import QueueWorker
from tunix_rt_backend.settings import Settings
from tunix_rt_backend.templates.gemma_reasoning import TEMPLATE_SHA256

from ..factories import (
    count_rows,
    record_evaluation,
    record_promotable_run,
    record_run,
    sums_dataset,
    write_checkpoint,
)

Maker = async_sessionmaker[AsyncSession]
N = 160
# The baseline's answers: 128 of 160 right. A candidate that keeps them passes; one that
# loses 40 fails.
BASELINE = [i < 128 for i in range(N)]
WORSE = [i < 88 for i in range(N)]
REGISTRY_TABLES = (ModelArtifact, ModelVersion, ModelAlias, ModelAliasEvent)


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    # Tokens are made straight in the database here: trust it on every request.
    return {"auth_cache_seconds": 0}


async def _model(client: httpx.AsyncClient, name: str = "hcd-reasoner", **kw: Any) -> str:
    response = await client.post("/api/models", json={"name": name, **kw})
    assert response.status_code == 201, response.text
    model_id: str = response.json()["id"]
    return model_id


async def _promote(
    client: httpx.AsyncClient, model_id: str, run_id: uuid.UUID | str, **body: Any
) -> httpx.Response:
    return await client.post(
        f"/api/models/{model_id}/versions/promote", json={"source_run_id": str(run_id), **body}
    )


async def _token(maker: Maker, name: str, scope: Scope) -> dict[str, str]:
    async with maker() as session:
        created = await auth_service.create_token(session, name, scope)
        await session.commit()
    return {"Authorization": f"Bearer {created.token}"}


def _restore(directory: Path) -> dict[str, Any]:
    """Restore an unpacked version in a fresh process: {step, params_sha256}."""
    command = [sys.executable, "-m", "tunix_rt_backend.training.restore"]
    args = ["--manifest", str(directory / "manifest.yaml"), "--output-dir", str(directory)]
    done = subprocess.run(
        [*command, *args], capture_output=True, text=True, timeout=180, check=True
    )
    result: dict[str, Any] = orjson.loads(done.stdout.strip().splitlines()[-1])
    return result


@pytest.mark.training
async def test_a_trained_run_is_promoted_downloaded_and_restored_to_its_weights(
    client: httpx.AsyncClient,
    worker: QueueWorker,
    settings: Settings,
    sessionmaker: Maker,
    tmp_path: Path,
) -> None:
    await sums_dataset(client)
    body = {
        "dataset_key": "sums-v1",
        "model_id": "tunix-rt/tiny-gemma3",
        "max_seq_length": 160,
        "dry_run": False,
        "max_steps": 20,
        "learning_rate": 3e-3,
        "num_generations": 0,
    }
    run = (await client.post("/api/tunix/run", json=body, timeout=300)).json()
    assert run["status"] == "completed", run["message"]
    model_id = await _model(client, description="sums", task_type="arithmetic")

    promoted = await _promote(client, model_id, run["run_id"], description="first")
    assert promoted.status_code == 201, promoted.text
    version = promoted.json()
    assert (version["version"], version["status"], version["description"]) == (
        "v1",
        "ready",
        "first",
    )
    assert version["source_run_id"] == run["run_id"] and version["aliases"] == []
    provenance = version["provenance"]
    assert provenance["params_sha256"] == run["summary"]["params_sha256"]
    assert provenance["checkpoint_step"] == 20 and provenance["method"] == "full"
    assert provenance["template_sha256"] == TEMPLATE_SHA256
    assert provenance["base_model"] == "tunix-rt/tiny-gemma3"
    assert provenance["dataset_key"] == "sums-v1" and len(provenance["dataset_sha256"]) == 64
    assert provenance["versions"]["google-tunix"] == "0.1.7" and provenance["versions"]["jax"]
    assert version["metrics"]["training"]["final_loss"] == run["summary"]["final_loss"]
    assert version["config"]["max_steps"] == 20

    # One blob, named by its content; the download is that file, byte for byte.
    blobs = list((settings.registry_root / "blobs").rglob("*.tar"))
    assert [b.name for b in blobs] == [f"{version['sha256']}.tar"]
    assert hashlib.sha256(blobs[0].read_bytes()).hexdigest() == version["sha256"]
    download = await client.get(f"/api/models/versions/{version['id']}/download")
    assert download.status_code == 200
    assert download.headers["x-content-sha256"] == version["sha256"]
    assert hashlib.sha256(download.content).hexdigest() == version["sha256"]
    assert len(download.content) == version["size_bytes"]
    assert 'filename="hcd-reasoner-v1.tar"' in download.headers["content-disposition"]

    # Unpacked anywhere, it restores the run's very weights in a fresh process.
    with tarfile.open(fileobj=io.BytesIO(download.content)) as tar:
        names = tar.getnames()
        assert "manifest.yaml" in names and all(
            n == "manifest.yaml" or n.startswith("checkpoints/20/") for n in names
        )
        tar.extractall(tmp_path / "restored", filter="data")
    result = await asyncio.to_thread(_restore, tmp_path / "restored")
    assert result == {"step": 20, "params_sha256": run["summary"]["params_sha256"]}

    # As a Hugging Face checkpoint, from the command line (checked by its exporter).
    env = {**os.environ, "DATABASE_URL": settings.db_url, "DATA_DIR": str(settings.data_dir)}
    command = [sys.executable, "-m", "tunix_rt_backend.cli", "model", "export"]
    args = ["hcd-reasoner", "v1", "--format", "hf", "--output", str(tmp_path / "hf")]
    hf = await asyncio.to_thread(
        subprocess.run, [*command, *args], env=env, capture_output=True, text=True, timeout=300
    )
    assert hf.returncode == 0, hf.stderr[-2000:]
    assert "model.safetensors" in hf.stdout and "checked: logits within" in hf.stdout
    exported = orjson.loads((tmp_path / "hf" / "tunix_rt.json").read_bytes())
    assert exported["source_params_sha256"] == run["summary"]["params_sha256"]

    # The same checkpoint again: the same version (200), nothing new stored.
    again = await _promote(client, model_id, run["run_id"])
    assert again.status_code == 200 and again.json()["id"] == version["id"]
    relabel = await _promote(client, model_id, run["run_id"], version_label="other")
    assert relabel.status_code == 409 and relabel.json()["error"] == "AlreadyPromoted"
    # In another model: a version of its own over the same blob.
    other = await _promote(client, await _model(client, "copy"), run["run_id"])
    assert other.status_code == 201 and other.json()["sha256"] == version["sha256"]
    assert len(list((settings.registry_root / "blobs").rglob("*.tar"))) == 1
    assert await count_rows(sessionmaker, ModelVersion) == 2

    listed = (await client.get("/api/models")).json()["data"]
    assert [(m["name"], m["version_count"]) for m in listed] == [("copy", 1), ("hcd-reasoner", 1)]
    assert listed[1]["latest_version"] == {"id": version["id"], "version": "v1"}


async def test_prod_moves_only_past_a_passing_check_and_rolls_back(
    client: httpx.AsyncClient, sessionmaker: Maker, settings: Settings
) -> None:
    baseline_run = await record_promotable_run(sessionmaker, settings, BASELINE, b"base")
    good_run = await record_promotable_run(sessionmaker, settings, BASELINE, b"good")
    worse_run = await record_promotable_run(sessionmaker, settings, WORSE, b"worse")
    pin = {"name": "main", "run_id": str(baseline_run)}
    assert (await client.post("/api/regression/baselines", json=pin)).status_code == 201
    releaser = await _token(sessionmaker, "release-bot", Scope.write)
    model_id = (await client.post("/api/models", json={"name": "hcd"}, headers=releaser)).json()[
        "id"
    ]
    versions = {}
    for name, run_id in (("base", baseline_run), ("good", good_run), ("worse", worse_run)):
        response = await client.post(
            f"/api/models/{model_id}/versions/promote",
            json={"source_run_id": str(run_id), "version_label": name},
            headers=releaser,
        )
        assert response.status_code == 201, response.text
        versions[name] = response.json()["id"]
    prod = f"/api/models/{model_id}/aliases/prod"

    async def move(version: str, **body: Any) -> httpx.Response:
        payload = {"version_id": versions[version], "baseline_name": "main", **body}
        return await client.put(prod, json=payload, headers=releaser)

    first = await move("good", reason="first release")
    assert first.status_code == 200, first.text
    moved = first.json()
    assert moved["alias"]["version"]["version"] == "good" and moved["alias"]["protected"]
    assert moved["check"]["verdict"] == "pass"
    assert moved["event"]["actor"] == "release-bot" and moved["event"]["action"] == "set"
    assert moved["event"]["check_id"] == moved["check"]["id"]

    refused = await move("worse", reason="try the worse one")
    assert refused.status_code == 409
    assert refused.json()["error"] == "GateRefused"
    assert refused.json()["check"]["verdict"] == "fail"
    assert "did not move" in refused.json()["detail"]
    model = (await client.get(f"/api/models/{model_id}", headers=releaser)).json()
    assert [(a["alias"], a["version"]["version"]) for a in model["aliases"]] == [("prod", "good")]
    assert model["protected_aliases"] == ["prod"]
    of_run = await client.get(
        "/api/models/versions", params={"source_run_id": str(worse_run)}, headers=releaser
    )
    assert [v["version"] for v in of_run.json()] == ["worse"]
    # Asked again, the stored check decides: no new check is run.
    checks = await count_rows(sessionmaker, RegressionCheck)
    assert (await move("worse")).status_code == 409
    assert await count_rows(sessionmaker, RegressionCheck) == checks

    # The baseline's own version passes; then back to `good`, which prod held: a
    # rollback, no check needed (not even a baseline).
    assert (await move("base")).status_code == 200
    back = await client.put(prod, json={"version_id": versions["good"]}, headers=releaser)
    assert back.status_code == 200, back.text
    assert back.json()["event"]["action"] == "rollback" and back.json()["check"] is None
    # Moves stack up and rollbacks undo them: back to `base` (held: no check), then
    # one step back to `good`, and nothing before `good` was ever set.
    assert (
        await client.put(prod, json={"version_id": versions["base"]}, headers=releaser)
    ).status_code == 200
    model = (await client.get(f"/api/models/{model_id}", headers=releaser)).json()
    assert model["aliases"][0]["rollback_to"]["version"] == "good"
    undo = await client.post(f"{prod}/rollback", json={"reason": "undo"}, headers=releaser)
    assert undo.status_code == 200, undo.text
    assert undo.json()["alias"]["version"]["version"] == "good"
    assert undo.json()["alias"]["rollback_to"] is None
    nothing = await client.post(f"{prod}/rollback", headers=releaser)
    assert nothing.status_code == 409 and nothing.json()["error"] == "NothingToRollBackTo"

    history = (await client.get(f"{prod}/history", headers=releaser)).json()["data"]
    steps = [
        (
            e["action"],
            e["from_version"] and e["from_version"]["version"],
            e["to_version"]["version"],
        )
        for e in reversed(history)
    ]
    assert steps == [
        ("set", None, "good"),
        ("refused", "good", "worse"),
        ("refused", "good", "worse"),
        ("set", "good", "base"),
        ("rollback", "base", "good"),
        ("rollback", "good", "base"),
        ("rollback", "base", "good"),
    ]
    assert all(e["actor"] == "release-bot" for e in history)
    assert history[-2]["reason"] == "try the worse one" and history[-2]["check_id"]
    assert history[0]["reason"] == "undo"

    # Unprotected aliases move freely; deleting one keeps its history.
    staging = f"/api/models/{model_id}/aliases/staging"
    put = await client.put(staging, json={"version_id": versions["worse"]}, headers=releaser)
    assert put.status_code == 200 and put.json()["check"] is None
    assert (await client.delete(staging, headers=releaser)).status_code == 204
    kept = (await client.get(f"{staging}/history", headers=releaser)).json()["data"]
    assert [e["action"] for e in kept] == ["delete", "set"]


async def test_a_protected_alias_needs_a_token_and_a_baseline(
    client: httpx.AsyncClient, sessionmaker: Maker, settings: Settings
) -> None:
    run_id = await record_promotable_run(sessionmaker, settings, BASELINE, b"w")
    model_id = await _model(client)
    version = (await _promote(client, model_id, run_id)).json()["id"]
    prod = f"/api/models/{model_id}/aliases/prod"
    # Auth off: nobody to name in the history.
    anonymous = await client.put(prod, json={"version_id": version, "baseline_name": "main"})
    assert anonymous.status_code == 403
    assert anonymous.json()["error"] == "ProtectedAliasNeedsToken"
    reader = await _token(sessionmaker, "reader", Scope.read)
    writer = await _token(sessionmaker, "writer", Scope.write)
    denied = await client.put(prod, json={"version_id": version}, headers=reader)
    assert denied.status_code == 403
    missing = await client.put(prod, json={"version_id": version}, headers=writer)
    assert missing.status_code == 422
    assert missing.json()["detail"][0]["loc"] == ["body", "baseline_name"]
    unknown = await client.put(
        prod, json={"version_id": version, "baseline_name": "nope"}, headers=writer
    )
    assert unknown.status_code == 404 and unknown.json()["error"] == "BaselineNotFound"
    assert await count_rows(sessionmaker, ModelAlias) == 0
    assert await count_rows(sessionmaker, ModelAliasEvent) == 0


async def test_promotion_reads_only_the_runs_own_checkpoint(
    client: httpx.AsyncClient, sessionmaker: Maker, settings: Settings
) -> None:
    """The checkpoint is found from the run's record; nothing outside its directory is
    packed, whatever the directory holds (a symlink out) or the record says."""
    secret = settings.data_dir / "secret.txt"
    secret.parent.mkdir(parents=True, exist_ok=True)
    secret.write_text("do not ship")
    run_id = await record_promotable_run(sessionmaker, settings, None, b"weights")
    step_dir = settings.artifacts_root / "runs" / str(run_id) / "checkpoints" / "5"
    (step_dir / "leak.txt").symlink_to(secret)
    model_id = await _model(client)
    promoted = await _promote(client, model_id, run_id)
    assert promoted.status_code == 201, promoted.text
    download = await client.get(f"/api/models/versions/{promoted.json()['id']}/download")
    with tarfile.open(fileobj=io.BytesIO(download.content)) as tar:
        names = sorted(tar.getnames())
        contents = b"".join(
            tar.extractfile(m).read()  # type: ignore[union-attr]
            for m in tar.getmembers()
            if m.isfile()
        )
    assert names == [
        "checkpoints/5/model/_METADATA",
        "checkpoints/5/model/params.bin",
        "manifest.yaml",
    ]
    assert b"do not ship" not in contents

    # A run whose record names a directory outside the artifact root, or a step that
    # leads out of its checkpoints: refused, nothing stored.
    outside = await record_run(
        sessionmaker, config={"output_dir": "../.."}, summary={"latest_checkpoint": 5}
    )
    escaping = await record_run(sessionmaker, summary={"latest_checkpoint": "../../x"})
    for run in (outside, escaping):
        response = await _promote(client, model_id, run)
        assert response.status_code == 409, response.text
        assert response.json()["error"] == "RunNotPromotable"
    assert await count_rows(sessionmaker, ModelVersion) == 1


async def test_bad_input_gets_a_clear_error_and_writes_nothing(
    client: httpx.AsyncClient, sessionmaker: Maker, settings: Settings
) -> None:
    run_id = await record_promotable_run(sessionmaker, settings, None, b"w")
    failed = await record_run(sessionmaker, status="failed")
    dry = await record_run(sessionmaker, summary={})
    gone = await record_run(sessionmaker, summary={"latest_checkpoint": 9})
    model_id = await _model(client)
    version = (await _promote(client, model_id, run_id, version_label="v1")).json()["id"]
    other_model = await _model(client, "other")
    before = [await count_rows(sessionmaker, t) for t in REGISTRY_TABLES]
    blobs = sorted((settings.registry_root / "blobs").rglob("*"))
    unknown = str(uuid.uuid4())
    models = "/api/models"
    promote = f"{models}/{model_id}/versions/promote"
    alias = f"{models}/{model_id}/aliases/staging"
    invalid = "ValidationError"
    cases: list[tuple[str, str, Any, int, str]] = [
        ("POST", models, {}, 422, invalid),
        ("POST", models, {"name": ""}, 422, invalid),
        ("POST", models, {"name": "a" * 129}, 422, invalid),
        ("POST", models, {"name": "a:b"}, 422, invalid),
        ("POST", models, {"name": "a@b"}, 422, invalid),
        ("POST", models, {"name": "../x"}, 422, invalid),
        ("POST", models, {"name": "ok", "extra": 1}, 422, invalid),
        ("POST", models, {"name": "ok", "task_type": ""}, 422, invalid),
        ("POST", models, {"name": "hcd-reasoner"}, 409, "ModelNameTaken"),
        ("GET", f"{models}/{unknown}", None, 404, "ModelNotFound"),
        ("GET", f"{models}/not-a-uuid", None, 422, invalid),
        ("GET", f"{models}?limit=0", None, 422, invalid),
        ("POST", promote, {}, 422, invalid),
        ("POST", promote, {"source_run_id": "x"}, 422, invalid),
        ("POST", promote, {"source_run_id": str(run_id), "version_label": "a b"}, 422, invalid),
        ("POST", promote, {"source_run_id": str(run_id), "version_label": "v" * 65}, 422, invalid),
        ("POST", promote, {"source_run_id": unknown}, 404, "RunNotFound"),
        ("POST", f"{models}/{unknown}/versions/promote", {"source_run_id": str(run_id)},
         404, "ModelNotFound"),
        ("POST", promote, {"source_run_id": str(failed)}, 409, "RunNotPromotable"),
        ("POST", promote, {"source_run_id": str(dry)}, 409, "RunNotPromotable"),
        ("POST", promote, {"source_run_id": str(gone)}, 409, "RunNotPromotable"),
        ("POST", promote, {"source_run_id": str(gone), "version_label": "v1"},
         409, "VersionLabelTaken"),
        ("GET", f"{models}/versions/{unknown}", None, 404, "VersionNotFound"),
        ("GET", f"{models}/versions/{unknown}/download", None, 404, "VersionNotFound"),
        ("GET", f"{models}/{unknown}/versions", None, 404, "ModelNotFound"),
        ("GET", f"{models}/versions", None, 422, invalid),
        ("GET", f"{models}/versions?source_run_id=x", None, 422, invalid),
        ("PUT", alias, {}, 422, invalid),
        ("PUT", alias, {"version_id": unknown}, 404, "VersionNotFound"),
        ("PUT", f"{models}/{other_model}/aliases/staging", {"version_id": version},
         404, "VersionNotFound"),
        ("PUT", f"{models}/{unknown}/aliases/staging", {"version_id": version},
         404, "ModelNotFound"),
        ("PUT", f"{models}/{model_id}/aliases/Prod", {"version_id": version}, 422, invalid),
        ("PUT", f"{models}/{model_id}/aliases/latest", {"version_id": version}, 422, invalid),
        ("PUT", f"{models}/{model_id}/aliases/{'a' * 65}", {"version_id": version}, 422, invalid),
        ("PUT", alias, {"version_id": version, "reason": "x" * 2001}, 422, invalid),
        ("DELETE", alias, None, 404, "AliasNotFound"),
        ("POST", f"{alias}/rollback", {}, 404, "AliasNotFound"),
        ("GET", f"{models}/{unknown}/aliases/staging/history", None, 404, "ModelNotFound"),
    ]  # fmt: skip
    for method, path, body, status, error in cases:
        response = await client.request(method, path, json=body)
        assert response.status_code == status, (method, path, body, response.text)
        assert response.json()["error"] == error, (method, path, body)
        assert response.json()["detail"]
    assert [await count_rows(sessionmaker, t) for t in REGISTRY_TABLES] == before
    assert sorted((settings.registry_root / "blobs").rglob("*")) == blobs

    # An alias set once has nothing to roll back to.
    assert (await client.put(alias, json={"version_id": version})).status_code == 200
    nothing = await client.post(f"{alias}/rollback")
    assert nothing.status_code == 409 and nothing.json()["error"] == "NothingToRollBackTo"


async def test_lineage_runs_from_traces_to_aliases_and_back(
    client: httpx.AsyncClient, sessionmaker: Maker, settings: Settings
) -> None:
    dataset = await sums_dataset(client)
    key, sha = dataset["dataset_key"], dataset["content_sha256"]
    summary = {"latest_checkpoint": 5, "params_sha256": "p" * 64}
    run_id = await record_run(sessionmaker, dataset_key=key, summary=summary, config={"x": 1})
    write_checkpoint(settings, run_id, 5, b"w", dataset=(key, sha))
    await record_run(sessionmaker, dataset_key=key, mode="dry-run")
    await record_evaluation(sessionmaker, run_id, BASELINE)
    pin = {"name": "main", "run_id": str(run_id)}
    assert (await client.post("/api/regression/baselines", json=pin)).status_code == 201
    gate = {"run_id": str(run_id), "baseline_name": "main"}
    check = (await client.post("/api/regression/check", json=gate)).json()
    model_id = await _model(client)
    version = (await _promote(client, model_id, run_id)).json()
    staging = f"/api/models/{model_id}/aliases/staging"
    assert (await client.put(staging, json={"version_id": version["id"]})).status_code == 200

    back = (await client.get(f"/api/models/versions/{version['id']}/lineage")).json()
    assert back["dataset"]["key"] == key
    assert back["dataset"]["sha256"] == back["dataset"]["sha256_now"] == sha
    traces = back["dataset"]["traces"]
    assert (traces["count"], traces["train"] + traces["eval"]) == (48, 48)
    export = await client.get(f"/api/datasets/{key}/export.jsonl", params={"format": "trace"})
    members = [orjson.loads(line)["id"] for line in export.text.splitlines()]
    assert traces["sample_ids"] == members[:10]
    assert back["run"]["run_id"] == str(run_id) and back["run"]["config"] == {"x": 1}
    assert [e["judge"] for e in back["evaluations"]] == ["exact_match"]
    assert [(c["id"], c["verdict"]) for c in back["checks"]] == [(check["id"], "pass")]
    assert back["version"]["aliases"] == ["staging"]
    assert back["version"]["model_name"] == "hcd-reasoner"

    forward = (await client.get(f"/api/datasets/{key}/lineage")).json()
    assert forward["sha256"] == sha and forward["traces"]["count"] == 48
    assert [r["run_id"] for r in forward["runs"]] == [str(run_id)]  # the dry run is not
    assert [v["id"] for v in forward["runs"][0]["versions"]] == [version["id"]]
    assert forward["runs_truncated"] is False

    for path in (f"/api/models/versions/{uuid.uuid4()}/lineage", "/api/datasets/nope/lineage"):
        missing = await client.get(path)
        assert missing.status_code == 404, missing.text


async def test_a_release_pipeline_on_the_command_line(
    client: httpx.AsyncClient, sessionmaker: Maker, settings: Settings, tmp_path: Path
) -> None:
    good = await record_promotable_run(sessionmaker, settings, BASELINE, b"good")
    worse = await record_promotable_run(sessionmaker, settings, WORSE, b"worse")
    pin = {"name": "main", "run_id": str(good)}
    assert (await client.post("/api/regression/baselines", json=pin)).status_code == 201

    def model(*args: str) -> subprocess.CompletedProcess[str]:
        env = {**os.environ, "DATABASE_URL": settings.db_url, "REDIAI_MODE": "mock"}
        env["DATA_DIR"] = str(settings.data_dir)
        command = [sys.executable, "-m", "tunix_rt_backend.cli", "model", *args]
        return subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)

    async def step(*args: str) -> subprocess.CompletedProcess[str]:
        return await asyncio.to_thread(model, *args)

    assert (await step("create", "hcd")).returncode == 0
    promoted = await step("promote", "hcd", "--run", str(good))
    assert promoted.returncode == 0, promoted.stderr
    assert promoted.stdout.startswith("promoted: hcd v1 (")
    assert (await step("promote", "hcd", "--run", str(worse), "--label", "bad")).returncode == 0
    passed = await step("alias", "hcd", "prod", "v1", "--baseline", "main", "--reason", "go")
    assert passed.returncode == 0, passed.stderr
    assert passed.stdout.startswith("PASS: run") and "prod: set to v1" in passed.stdout
    refused = await step("alias", "hcd", "prod", "bad", "--baseline", "main")
    assert refused.returncode == 1 and refused.stdout.startswith("FAIL: run")
    assert "prod did not move" in refused.stderr
    listed = await step("list")
    assert listed.stdout.split("\t")[:4] == ["hcd", "2 versions", "latest bad", "aliases prod=v1\n"]
    history = [
        line.split("\t") for line in (await step("history", "hcd", "prod")).stdout.splitlines()
    ]
    assert [(f[1], f[2]) for f in history] == [("refused", "v1 -> bad"), ("set", "- -> v1")]
    assert all(f[3].startswith(f"cli:{getpass.getuser()} check ") for f in history)
    assert history[1][3].endswith(" (go)")

    out = tmp_path / "exported"
    exported = await step("export", "hcd", "v1", "--output", str(out))
    assert exported.returncode == 0, exported.stderr
    assert (out / "checkpoints" / "5" / "model" / "params.bin").read_bytes() == b"good"
    again = await step("export", "hcd", "v1", "--output", str(out))
    assert again.returncode == 1 and "is not an empty directory" in again.stderr
    unknown = await step("alias", "hcd", "prod", "v9", "--baseline", "main")
    assert unknown.returncode == 1 and "hcd has no version 'v9'" in unknown.stderr


async def test_promotions_and_moves_at_once_apply_one_after_the_other(
    client: httpx.AsyncClient, sessionmaker: Maker, settings: Settings
) -> None:
    """Many requests on one model at the same moment (SQLite and PostgreSQL alike):
    labels numbered in turn, one version per content, and an alias history where each
    move starts where the one before ended."""
    runs = [await record_promotable_run(sessionmaker, settings, None, bytes([i])) for i in range(4)]
    model_id = await _model(client)
    promoted = await asyncio.gather(
        *(_promote(client, model_id, run) for run in runs),
        _promote(client, model_id, runs[0]),  # the same checkpoint twice at once
    )
    assert sorted(p.status_code for p in promoted) == [200, 201, 201, 201, 201], [
        p.text for p in promoted
    ]
    labels = sorted(p.json()["version"] for p in promoted if p.status_code == 201)
    assert labels == ["v1", "v2", "v3", "v4"]
    assert await count_rows(sessionmaker, ModelVersion) == 4
    ids = [p.json()["id"] for p in promoted[:4]]
    staging = f"/api/models/{model_id}/aliases/staging"
    moves = await asyncio.gather(
        *(client.put(staging, json={"version_id": ids[i % 4]}) for i in range(8))
    )
    assert all(m.status_code == 200 for m in moves), [m.text for m in moves]
    history = (await client.get(f"{staging}/history")).json()["data"][::-1]
    for before, after in itertools.pairwise(history):
        assert after["from_version"]["id"] == before["to_version"]["id"], history
