"""A run's output: stored log chunks streamed over SSE (resumable), metrics, cancel,
and artifacts with their path rules, on both databases."""

from __future__ import annotations

import asyncio
import hashlib
import io
import os
import tarfile
import threading
import time
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

import anyio
import httpx
import orjson
import pytest
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.factories import sums_dataset
from tunix_rt_backend.db.engine import session_scope
from tunix_rt_backend.db.models import TunixRun
from tunix_rt_backend.jobs import output
from tunix_rt_backend.jobs.output import JobOutput
from tunix_rt_backend.jobs.watch import JobWatch
from tunix_rt_backend.jobs.worker import QueueWorker
from tunix_rt_backend.kit.time import utcnow
from tunix_rt_backend.runs import artifacts
from tunix_rt_backend.runs.execution import TRAIN, TrainerEvents
from tunix_rt_backend.settings import Settings

Maker = async_sessionmaker[AsyncSession]


async def _run_row(maker: Maker, status: str = "running", **config: Any) -> uuid.UUID:
    """A run row as a worker leaves it (tunix_runs.dataset_key is a plain reference,
    as in the seed's table: no dataset is needed)."""
    run_id = uuid.uuid4()
    now = utcnow()
    async with session_scope(maker) as session:
        session.add(
            TunixRun(
                run_id=run_id,
                dataset_key="sums-v1",
                model_id="tunix-rt/tiny-gemma3",
                mode="local",
                status=status,
                started_at=now,
                created_at=now,
                attempt=1,
                config={"output_dir": f"runs/{run_id}", **config},
            )
        )
    return run_id


async def _finish(maker: Maker, run_id: uuid.UUID, status: str = "completed") -> None:
    async with session_scope(maker) as session:
        row = await session.get(TunixRun, run_id)
        assert row is not None
        row.status, row.completed_at = status, utcnow()


def _metric(step: int, name: str, value: float) -> bytes:
    return orjson.dumps({"event": "metric", "step": step, "name": name, "value": value}) + b"\n"


async def _write_lines(
    maker: Maker, run_id: uuid.UUID, batches: list[list[tuple[str, bytes]]]
) -> None:
    """Lines as a worker stores a trainer's: each flushed batch one write."""
    async with JobOutput(maker, run_id) as out:
        trainer = TrainerEvents(out, run_id)
        for batch in batches:
            for stream, line in batch:
                trainer(stream, line)
            await out.flush()


async def _sse(
    client: httpx.AsyncClient, path: str, *, stop_after: int | None = None, **headers: str
) -> list[dict[str, Any]]:
    """Events of an SSE response: {event, id, data}; stops after `stop_after` events."""
    events: list[dict[str, Any]] = []
    async with client.stream("GET", path, headers=headers) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        current: dict[str, Any] = {}
        async for line in response.aiter_lines():
            if not line:
                if "event" in current:
                    current["data"] = orjson.loads(current["data"])
                    events.append(current)
                    if current["event"] == "end" or len(events) == stop_after:
                        break
                current = {}
                continue
            if line.startswith(":"):
                continue
            field, _, value = line.partition(":")
            current[field] = value.lstrip(" ")
    return events


# --- logs ------------------------------------------------------------------------------


async def test_a_finished_run_replays_its_log_then_ends(
    client: httpx.AsyncClient, sessionmaker: Maker
) -> None:
    run_id = await _run_row(sessionmaker)
    await _write_lines(
        sessionmaker,
        run_id,
        [
            [("stdout", b"one\n"), ("stdout", b"two\n"), ("stderr", b"warn\n")],
            [("stdout", b"three\n")],
        ],
    )
    await _finish(sessionmaker, run_id)
    events = await _sse(client, f"/api/tunix/runs/{run_id}/logs")
    assert [e["event"] for e in events] == ["status", "log", "log", "log", "end"]
    assert [e["data"]["text"] for e in events[1:4]] == ["one\ntwo\n", "warn\n", "three\n"]
    assert [e["data"]["stream"] for e in events[1:4]] == ["stdout", "stderr", "stdout"]
    assert [e["id"] for e in events] == ["0", "1", "2", "3", "3"]
    assert events[0]["data"] == {"status": "completed", "attempt": 1}


async def test_log_events_carry_the_trainers_events_line_by_line(
    client: httpx.AsyncClient, sessionmaker: Maker
) -> None:
    run_id = await _run_row(sessionmaker)
    generation = {
        "event": "generation",
        "index": 0,
        "step": 20,
        "prompt": "p",
        "expected": "4",
        "output": "Answer: 4",
        "correct": True,
    }
    stdout = [_metric(1, "train/loss", 3.0), b"a plain print\n", orjson.dumps(generation) + b"\n"]
    stderr = [b'{"event": "metric", "step": 1, "name": "x", "value": 1}\n']
    await _write_lines(
        sessionmaker, run_id, [[("stdout", line) for line in stdout], [("stderr", stderr[0])]]
    )
    await _finish(sessionmaker, run_id)
    events = await _sse(client, f"/api/tunix/runs/{run_id}/logs")
    out, err = [e["data"] for e in events if e["event"] == "log"]
    assert out["events"] == [
        {"kind": "metric", "step": 1, "name": "train/loss", "value": 3.0},
        None,
        {"kind": "generation", **{k: v for k, v in generation.items() if k != "event"}},
    ]
    assert err["events"] == [None]  # stderr is text, whatever it looks like


async def test_resume_after_a_disconnect_yields_every_seq_once(
    client: httpx.AsyncClient, sessionmaker: Maker
) -> None:
    run_id = await _run_row(sessionmaker)
    streams = ("stdout", "stderr")
    await _write_lines(
        sessionmaker,
        run_id,
        [[(streams[n % 2], f"line {n}\n".encode())] for n in range(40)],
    )
    await _finish(sessionmaker, run_id)
    path = f"/api/tunix/runs/{run_id}/logs"
    first = await _sse(client, path, stop_after=15)
    resumed = await _sse(client, path, **{"Last-Event-ID": first[-1]["id"]})
    by_query = await _sse(client, f"{path}?since_seq={first[-1]['id']}")
    seqs = [e["data"]["seq"] for e in first + resumed if e["event"] == "log"]
    assert seqs == list(range(1, 41))
    resumed_from = int(first[-1]["id"])
    assert resumed_from == 14  # the status event, then seqs 1..14
    assert [e["data"]["seq"] for e in by_query if e["event"] == "log"] == list(
        range(resumed_from + 1, 41)
    )


def _sent(events: list[dict[str, Any]]) -> tuple[list[int], list[tuple[str, int, float]]]:
    logs = [e["data"]["seq"] for e in events if e["event"] == "log"]
    points = [
        (e["data"]["name"], e["data"]["step"], e["data"]["value"])
        for e in events
        if e["event"] == "metric"
    ]
    return logs, points


async def test_resume_resends_no_line_and_no_metric_point(
    client: httpx.AsyncClient, sessionmaker: Maker
) -> None:
    run_id = await _run_row(sessionmaker)
    batches = [
        [
            ("stdout", _metric(n, "train/loss", 10.0 - n)),
            ("stdout", _metric(n, "train/learning_rate", 0.1)),
            ("stderr", f"warning {n}\n".encode()),
        ]
        for n in range(6)
    ]
    await _write_lines(sessionmaker, run_id, batches)
    await _finish(sessionmaker, run_id)
    path = f"/api/tunix/runs/{run_id}/logs"
    whole = await _sse(client, path)
    all_logs, all_points = _sent(whole)
    assert len(all_logs) == 12 and len(all_points) == 12 == len(set(all_points))
    # Cut the stream after every event in turn, then resume from the id it had.
    for cut in range(1, len(whole) - 1):
        first = whole[:cut]
        resumed = await _sse(client, path, **{"Last-Event-ID": first[-1]["id"]})
        logs, points = _sent(first + resumed)
        assert logs == all_logs, cut
        assert sorted(points) == sorted(all_points), cut


async def test_a_step_reported_again_is_sent_again_with_its_new_value(
    client: httpx.AsyncClient, sessionmaker: Maker
) -> None:
    run_id = await _run_row(sessionmaker)
    await _write_lines(sessionmaker, run_id, [[("stdout", _metric(5, "train/loss", 2.0))]])
    # Ended first: a stream of a live run only ends with it (the test client would wait).
    await _finish(sessionmaker, run_id)
    path = f"/api/tunix/runs/{run_id}/logs"
    first = await _sse(client, path, stop_after=3)  # status, the line, the point
    assert [e["event"] for e in first] == ["status", "log", "metric"]
    # Then a resumed attempt reports step 5 again, and a new step.
    lines = [("stdout", _metric(5, "train/loss", 1.5)), ("stdout", _metric(6, "train/loss", 1.0))]
    await _write_lines(sessionmaker, run_id, [lines])
    resumed = await _sse(client, path, **{"Last-Event-ID": first[-1]["id"]})
    _, points = _sent(resumed)
    assert sorted(points) == [("train/loss", 5, 1.5), ("train/loss", 6, 1.0)]


async def test_a_live_run_streams_as_lines_arrive_then_ends(
    client: httpx.AsyncClient, sessionmaker: Maker, monkeypatch: pytest.MonkeyPatch
) -> None:
    run_id = await _run_row(sessionmaker)

    async def produce() -> None:
        async with JobOutput(sessionmaker, run_id) as out:
            trainer = TrainerEvents(out, run_id)
            for n in range(5):
                trainer("stdout", _metric(n, "train/loss", 5.0 - n))
                trainer("stdout", f"step {n}\n".encode())
                await asyncio.sleep(0.05)
        await _finish(sessionmaker, run_id)

    producer = asyncio.create_task(produce())
    events = await asyncio.wait_for(_sse(client, f"/api/tunix/runs/{run_id}/logs"), 30)
    await producer
    kinds = [e["event"] for e in events]
    assert kinds[0] == "status" and kinds[-1] == "end"
    text = "".join(e["data"]["text"] for e in events if e["event"] == "log")
    assert [line for line in text.splitlines() if line.startswith("step")] == [
        f"step {n}" for n in range(5)
    ]
    points = [(e["data"]["step"], e["data"]["value"]) for e in events if e["event"] == "metric"]
    assert sorted(points) == [(n, 5.0 - n) for n in range(5)]
    assert events[-1]["data"] == {"status": "completed"}


async def test_an_idle_stream_sends_heartbeats(sessionmaker: Maker) -> None:
    run_id = await _run_row(sessionmaker)
    stream = output.events(sessionmaker, TRAIN, run_id, 0, poll_s=0.01, heartbeat_s=0.05)
    kinds = [(await anext(stream))["event"] for _ in range(3)]
    await stream.aclose()
    assert kinds == ["status", "heartbeat", "heartbeat"]


async def test_a_stream_cancelled_mid_read_returns_its_connection(
    sessionmaker: Maker, caplog: pytest.LogCaptureFixture
) -> None:
    """A client that goes away cancels its stream (sse-starlette, through an anyio cancel
    scope, which cancels every await after it too). Cancelled as a read ends, while the
    pool resets the connection, the read still finishes and returns its connection:
    no "Exception during reset" from the pool, nothing left checked out."""
    run_id = await _run_row(sessionmaker)
    engine = sessionmaker.kw["bind"]
    with anyio.CancelScope() as scope:

        def cancel_now(*_: Any) -> None:
            scope.cancel()  # the client disconnects now

        event.listen(engine.sync_engine.pool, "reset", cancel_now, once=True)
        async for _ in output.events(sessionmaker, TRAIN, run_id, 0, poll_s=0.01):
            pass
    assert scope.cancelled_caught
    assert engine.pool.checkedout() == 0
    assert not [r for r in caplog.records if r.name.startswith("sqlalchemy")]


@pytest.mark.parametrize(
    ("path", "headers", "code"),
    [
        (f"/api/tunix/runs/{uuid.UUID(int=7)}/logs", {}, 404),
        ("/api/tunix/runs/nope/logs", {}, 422),
        ("/api/tunix/runs/{run}/logs?since_seq=-1", {}, 422),
        ("/api/tunix/runs/{run}/logs", {"Last-Event-ID": "x"}, 422),
    ],
)
async def test_bad_log_requests(
    client: httpx.AsyncClient,
    sessionmaker: Maker,
    path: str,
    headers: dict[str, str],
    code: int,
) -> None:
    run_id = await _run_row(sessionmaker)
    response = await client.get(path.replace("{run}", str(run_id)), headers=headers)
    assert response.status_code == code
    assert set(response.json()) == {"error", "detail"}


# --- metrics ---------------------------------------------------------------------------


async def test_metrics_by_series_downsampled_keeping_the_last_point(
    client: httpx.AsyncClient, sessionmaker: Maker
) -> None:
    run_id = await _run_row(sessionmaker)
    lines = [("stdout", _metric(s, "train/loss", 10.0 / s)) for s in range(1, 102)]
    lines += [("stdout", _metric(s, "eval/loss", 1.0 / s)) for s in (50, 100)]
    lines += [("stdout", b'{"event":"metric","step":null,"name":"x","value":1}\n')]
    await _write_lines(sessionmaker, run_id, [lines])
    # A resumed attempt logs step 101 again: the newer value wins.
    await _write_lines(sessionmaker, run_id, [[("stdout", _metric(101, "train/loss", 0.05))]])

    body = (await client.get(f"/api/tunix/runs/{run_id}/metrics?max_points=10")).json()
    series = {s["name"]: s for s in body["series"]}
    assert set(series) == {"eval/loss", "train/loss"}
    train = series["train/loss"]
    assert train["total"] == 101 and len(train["points"]) <= 10
    assert train["points"][0] == [1, 10.0] and train["points"][-1] == [101, 0.05]
    only = (await client.get(f"/api/tunix/runs/{run_id}/metrics?name=eval/loss")).json()
    assert only["series"] == [
        {"name": "eval/loss", "points": [[50, 0.02], [100, 0.01]], "total": 2}
    ]
    assert (await client.get(f"/api/tunix/runs/{uuid.uuid4()}/metrics")).status_code == 404
    assert (await client.get(f"/api/tunix/runs/{run_id}/metrics?max_points=1")).status_code == 422


async def test_the_list_shows_each_running_runs_progress_from_one_query(
    client: httpx.AsyncClient, sessionmaker: Maker, app_and_client: tuple[Any, httpx.AsyncClient]
) -> None:
    training = await _run_row(sessionmaker, max_steps=300)
    starting = await _run_row(sessionmaker)  # claimed, no step trained yet
    ended = await _run_row(sessionmaker)
    queued = await _run_row(sessionmaker, status="pending")
    lines = [("stdout", _metric(s, "train/loss", 5.0 / s)) for s in range(1, 41)]
    lines += [("stdout", _metric(20, "eval/loss", 1.0))]
    lines += [("stdout", _metric(s, "train/tokens_per_second", 100.0 * s)) for s in (38, 39, 40)]
    lines += [("stdout", _metric(s, "train/steps_per_second", s / 10)) for s in (38, 39, 40)]
    await _write_lines(sessionmaker, training, [lines])
    await _write_lines(sessionmaker, ended, [[("stdout", _metric(7, "train/loss", 1.0))]])
    await _finish(sessionmaker, ended)
    async with session_scope(sessionmaker) as session:
        row = await session.get(TunixRun, training)
        assert row is not None
        row.started_at = utcnow() - timedelta(seconds=30)

    statements: list[str] = []
    engine = app_and_client[0].state.engine.sync_engine
    record = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(engine, "before_cursor_execute", record)
    try:
        page = await client.get("/api/tunix/runs")
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert page.status_code == 200, page.text
    runs = {r["run_id"]: r for r in page.json()["data"]}
    progress = runs[str(training)]["progress"]
    assert (progress["step"], progress["points"]) == (40, 40)
    assert 30 <= progress["elapsed_seconds"] < 90
    # The pace at the latest step, as the trainer measured it.
    assert (progress["steps_per_second"], progress["tokens_per_second"]) == (4.0, 4000.0)
    assert runs[str(training)]["max_steps"] == 300
    assert runs[str(starting)]["progress"] | {"elapsed_seconds": 0} == {
        "step": None,
        "points": 0,
        "elapsed_seconds": 0,
        "steps_per_second": None,
        "tokens_per_second": None,
    }
    assert runs[str(ended)]["progress"] is None
    assert runs[str(queued)]["progress"] is None
    # Both running runs' steps come from one query, their paces from another: not one
    # per row.
    assert len([s for s in statements if "job_metrics" in s]) == 2


# --- cancel ----------------------------------------------------------------------------


def _body(**overrides: Any) -> dict[str, Any]:
    return {
        "dataset_key": "sums-v1",
        "model_id": "tunix-rt/tiny-gemma3",
        "max_seq_length": 160,
        **overrides,
    }


async def test_cancel_a_pending_run_then_it_is_409(
    client: httpx.AsyncClient, sessionmaker: Maker
) -> None:
    await sums_dataset(client)
    queued = (await client.post("/api/tunix/run?mode=async", json=_body())).json()
    response = await client.post(f"/api/tunix/runs/{queued['run_id']}/cancel")
    assert response.status_code == 202
    assert response.json()["status"] == "cancelled"
    detail = (await client.get(f"/api/tunix/runs/{queued['run_id']}")).json()
    assert (detail["status"], detail["error"]) == ("cancelled", "cancelled before it started")
    again = await client.post(f"/api/tunix/runs/{queued['run_id']}/cancel")
    assert (again.status_code, again.json()["error"]) == (409, "RunNotCancellable")
    assert "is cancelled" in again.json()["detail"]

    done = (await client.post("/api/tunix/run", json=_body())).json()
    finished = await client.post(f"/api/tunix/runs/{done['run_id']}/cancel")
    assert finished.status_code == 409
    assert (await client.get(f"/api/tunix/runs/{done['run_id']}")).json()["status"] == "completed"
    assert (await client.post(f"/api/tunix/runs/{uuid.uuid4()}/cancel")).status_code == 404
    assert (await client.post("/api/tunix/runs/x/cancel")).status_code == 422


def _processes_using(directory: Path) -> list[int]:
    pids = []
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                if str(directory).encode() in (proc / "cmdline").read_bytes():
                    pids.append(int(proc.name))
            except OSError:
                continue
    return pids


@pytest.mark.training
async def test_cancel_a_running_run_stops_it_with_a_checkpoint_and_no_orphans(
    client: httpx.AsyncClient, sessionmaker: Maker, settings: Settings, worker: QueueWorker
) -> None:
    await sums_dataset(client)
    body = _body(dry_run=False, max_steps=100_000, checkpoint_every_n_steps=10_000)
    running = asyncio.create_task(client.post("/api/tunix/run", json=body, timeout=300))
    async with asyncio.timeout(180):
        while True:  # until the first training step's metric is stored
            page = (await client.get("/api/tunix/runs?status=running")).json()["data"]
            if page:
                metrics = await client.get(f"/api/tunix/runs/{page[0]['run_id']}/metrics")
                if metrics.json()["series"]:
                    break
            await asyncio.sleep(0.5)
    run_id = page[0]["run_id"]
    response = await client.post(f"/api/tunix/runs/{run_id}/cancel")
    assert response.status_code == 202
    assert response.json()["status"] == "running" and response.json()["cancel_requested_at"]

    result = (await asyncio.wait_for(running, 120)).json()
    assert result["status"] == "cancelled", result["stderr"][-2000:]
    assert result["message"].startswith("Cancelled: the trainer stopped at step ")
    out = settings.artifacts_root / "runs" / run_id
    assert list((out / "checkpoints").iterdir())  # the final checkpoint
    assert _processes_using(out) == []
    detail = (await client.get(f"/api/tunix/runs/{run_id}")).json()
    assert detail["status"] == "cancelled" and detail["error"] == result["message"]
    events = await _sse(client, f"/api/tunix/runs/{run_id}/logs")
    text = "".join(e["data"]["text"] for e in events if e["event"] == "log")
    assert '"event":"done"' in text and '"status":"cancelled"' in text


# --- artifacts -------------------------------------------------------------------------


@pytest.fixture
async def run_files(sessionmaker: Maker, settings: Settings) -> tuple[uuid.UUID, Path]:
    run_id = await _run_row(sessionmaker, status="completed")
    root = settings.artifacts_root / "runs" / str(run_id)
    (root / "checkpoints" / "20" / "model").mkdir(parents=True)
    (root / "checkpoints" / "20" / "model" / "params.bin").write_bytes(b"\x01" * 5000)
    (root / "checkpoints" / "20" / "commit_success.txt").write_text("ok")
    (root / "manifest.yaml").write_text("version: '1.0'\n")
    (root / "dataset.jsonl").write_text('{"prompt": "p"}\n')
    (root / "metrics").mkdir()
    (root / "metrics" / "events.log").write_text("x")
    secret = settings.artifacts_root / "secret.txt"
    secret.write_text("TOP SECRET")
    sibling = settings.artifacts_root / "runs" / f"{run_id}-other"
    sibling.mkdir()
    (sibling / "leak.txt").write_text("TOP SECRET")
    os.symlink(secret, root / "link.txt")
    os.symlink(settings.artifacts_root, root / "up")
    return run_id, root


async def test_artifacts_list_names_sizes_hashes_and_kinds(
    client: httpx.AsyncClient, run_files: tuple[uuid.UUID, Path]
) -> None:
    run_id, _ = run_files
    listed = (await client.get(f"/api/tunix/runs/{run_id}/artifacts")).json()
    by_name = {a["name"]: a for a in listed}
    assert set(by_name) == {
        "checkpoints/20/commit_success.txt",
        "checkpoints/20/model/params.bin",
        "dataset.jsonl",
        "manifest.yaml",
        "metrics/events.log",
    }  # symlinks are not artifacts
    params = by_name["checkpoints/20/model/params.bin"]
    assert params["size"] == 5000 and params["kind"] == "checkpoint"
    assert params["sha256"] == hashlib.sha256(b"\x01" * 5000).hexdigest()
    assert by_name["manifest.yaml"]["kind"] == "config"
    assert by_name["metrics/events.log"]["kind"] == "log"
    assert by_name["dataset.jsonl"]["kind"] == "other"
    assert (await client.get(f"/api/tunix/runs/{uuid.uuid4()}/artifacts")).status_code == 404


async def test_download_a_file_and_a_checkpoint_as_tar(
    client: httpx.AsyncClient, run_files: tuple[uuid.UUID, Path]
) -> None:
    run_id, _ = run_files
    base = f"/api/tunix/runs/{run_id}/artifacts"
    manifest = await client.get(f"{base}/manifest.yaml/download")
    assert manifest.status_code == 200 and manifest.text == "version: '1.0'\n"
    name = f"run-{run_id.hex[:8]}-manifest.yaml"
    disposition = f"attachment; filename=\"{name}\"; filename*=UTF-8''{name}"
    assert manifest.headers["content-disposition"] == disposition
    nested = await client.get(f"{base}/checkpoints/20/model/params.bin/download")
    assert nested.content == b"\x01" * 5000
    tar = await client.get(f"{base}/checkpoints/20/download")
    assert tar.headers["content-type"] == "application/x-tar"
    name = f"run-{run_id.hex[:8]}-checkpoints-20.tar"
    disposition = f"attachment; filename=\"{name}\"; filename*=UTF-8''{name}"
    assert tar.headers["content-disposition"] == disposition
    with tarfile.open(fileobj=io.BytesIO(tar.content)) as archive:
        names = sorted(archive.getnames())
        member = archive.extractfile("20/model/params.bin")
        assert member is not None and member.read() == b"\x01" * 5000
    assert names == ["20/commit_success.txt", "20/model/params.bin"]


async def test_a_file_named_beyond_latin_1_downloads_under_its_utf8_name(
    client: httpx.AsyncClient, run_files: tuple[uuid.UUID, Path]
) -> None:
    run_id, root = run_files
    (root / "résumé ✓.txt").write_text("hi")
    response = await client.get(
        f"/api/tunix/runs/{run_id}/artifacts/{quote('résumé ✓.txt')}/download"
    )
    assert response.status_code == 200 and response.text == "hi"
    prefix = f"run-{run_id.hex[:8]}-"
    assert response.headers["content-disposition"] == (
        f'attachment; filename="{prefix}r_sum_ _.txt"; '
        f"filename*=UTF-8''{prefix}r%C3%A9sum%C3%A9%20%E2%9C%93.txt"
    )


async def test_names_too_long_or_looping_are_refused_without_a_server_path(
    client: httpx.AsyncClient, run_files: tuple[uuid.UUID, Path], settings: Settings
) -> None:
    run_id, root = run_files
    os.symlink("loop", root / "loop")
    base = f"/api/tunix/runs/{run_id}/artifacts"
    # A part past NAME_MAX, a path past PATH_MAX, a symlink that points at itself.
    for name in ("x" * 300, "/".join(["a" * 250] * 20), "loop/file.txt"):
        response = await client.get(f"{base}/{name}/download")
        assert response.status_code == 400, (name, response.text)
        assert response.json()["error"] == "InvalidArtifactPath"
        assert str(settings.artifacts_root) not in response.text


async def test_a_large_file_is_hashed_in_the_background(
    client: httpx.AsyncClient, run_files: tuple[uuid.UUID, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    run_id, _ = run_files
    monkeypatch.setattr(artifacts, "HASH_INLINE_MAX_BYTES", 1000)
    path = f"/api/tunix/runs/{run_id}/artifacts"
    big = "checkpoints/20/model/params.bin"
    first = {a["name"]: a for a in (await client.get(path)).json()}
    assert first[big]["sha256"] is None and first[big]["size"] == 5000
    assert first["manifest.yaml"]["sha256"] is not None  # small files are hashed at once
    deadline = time.monotonic() + 30
    while (
        digest := {a["name"]: a for a in (await client.get(path)).json()}[big]["sha256"]
    ) is None:
        assert time.monotonic() < deadline
        await asyncio.sleep(0.05)
    assert digest == hashlib.sha256(b"\x01" * 5000).hexdigest()


async def test_listing_artifacts_never_blocks_other_requests(
    client: httpx.AsyncClient, run_files: tuple[uuid.UUID, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    run_id, _ = run_files
    listing = artifacts.list_artifacts
    walking = threading.Event()
    started: list[float] = []

    def slow(directory: Path) -> list[artifacts.Artifact]:
        started.append(time.monotonic())
        walking.set()
        time.sleep(1.5)  # a walk and hashes that take a while, as a big checkpoint's do
        return listing(directory)

    monkeypatch.setattr(artifacts, "list_artifacts", slow)

    async def health_while_walking() -> float:
        await asyncio.to_thread(walking.wait, 60)
        assert (await client.get("/api/health")).status_code == 200
        return time.monotonic()

    listed, answered = await asyncio.gather(
        client.get(f"/api/tunix/runs/{run_id}/artifacts"), health_while_walking()
    )
    assert listed.status_code == 200
    assert answered - started[0] < 1.0  # answered during the listing, not after it


async def test_idle_streams_share_one_poll_and_wake_when_their_job_moves(
    sessionmaker: Maker, app_and_client: tuple[Any, httpx.AsyncClient]
) -> None:
    run_id = await _run_row(sessionmaker)
    watch = JobWatch(sessionmaker, poll_s=0.05)
    streams = [output.events(sessionmaker, TRAIN, run_id, 0, watch=watch) for _ in range(40)]
    for stream in streams:
        assert (await anext(stream))["event"] == "status"
    waiting = [asyncio.create_task(anext(stream)) for stream in streams]
    await asyncio.sleep(1.0)  # every stream has read, been woken by the first poll, read again
    statements: list[str] = []
    engine = app_and_client[0].state.engine.sync_engine
    record = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(engine, "before_cursor_execute", record)
    try:
        await asyncio.sleep(1.0)  # 20 polls
        idle = len(statements)
        # One poll reads every job streamed (the job, its log and metric seqs), about 60
        # statements a second; 40 streams reading for themselves every 0.2 s sent 1,000.
        assert idle < 200, idle
        async with JobOutput(sessionmaker, run_id) as out:
            out.line("stdout", b"hello\n")
        moved = await asyncio.wait_for(asyncio.gather(*waiting), 10)
    finally:
        event.remove(engine, "before_cursor_execute", record)
        for task in waiting:
            task.cancel()
        await asyncio.gather(*waiting, return_exceptions=True)
        for stream in streams:
            await stream.aclose()
    assert [e["event"] for e in moved] == ["log"] * 40


@pytest.mark.parametrize(
    "name",
    [
        "..%2F..%2Fsecret.txt",
        "%2e%2e%2f%2e%2e%2fsecret.txt",
        "%252e%252e%252fsecret.txt",
        "%2Fetc%2Fpasswd",
        "..%5C..%5Csecret.txt",
        "link.txt",
        "up/secret.txt",
        "..%2F{run}-other%2Fleak.txt",
        "nothing-here.txt",
        "checkpoints%2F..%2F..%2F{run}-other%2Fleak.txt",
    ],
)
async def test_traversal_is_refused_and_leaks_nothing(
    client: httpx.AsyncClient, run_files: tuple[uuid.UUID, Path], name: str
) -> None:
    run_id, _ = run_files
    url = f"/api/tunix/runs/{run_id}/artifacts/{name.replace('{run}', str(run_id))}/download"
    response = await client.get(url)
    assert 400 <= response.status_code < 500, response.status_code
    assert "TOP SECRET" not in response.text
    assert response.json()["error"] in ("InvalidArtifactPath", "ArtifactNotFound", "NotFound")
