"""Live run logs: a training process printing 5,000 lines/s for 10 s, stored and
streamed over SSE with no line lost, in order, p99 print-to-client latency <= 500 ms.

In a throw-away, migrated database (SQLite by default, or PostgreSQL on
127.0.0.1:5432, dropped at the end) it inserts one `running` TunixRun (attempt 1,
no worker: a synchronous run's owner) and starts `tunix-rt serve` on it with no
embedded worker (EMBEDDED_WORKER=false, what `--no-worker` sets), a subprocess on its
own port. An SSE client (httpx streaming, a thread of this process) opens
`GET /api/tunix/runs/{id}/logs` and must have had its first `status` event (so the
stream's first poll is done) before the producer starts.

The producer is a worker's own path, in this process: `JobOutput(maker, run_id)` (the
output a worker opens for each job) and `jobs.process.run_process(command,
on_line=TrainerEvents(output, run_id))`, as the train kind (`runs.execution`) wires
them, so every line is also parsed for a trainer event, on bench/_log_printer.py:
--rate lines a second for --seconds, paced (the lines due each millisecond), each
line `<seq> <time.time()> <stream> ...`, line buffered, every --stderr-every-th line
on stderr. When it exits the JobOutput is closed (its last flush) and then the run's
end is written with `jobs.repository.finish` (status completed, guarded by the
owner), the order the worker keeps; the SSE client reads on until `end`.

It reports:
  printed   lines the printer wrote (its own count), and how far it ever fell behind
            its schedule;
  stored    lines in the run's chunks in job_log_chunks, read back at the end;
  received  lines in the `log` events the SSE client got;
  lost      printed lines missing from the store / from the stream (target 0; a
            line seen twice also fails the check);
  order     per stream, the line seqs strictly increase, in the store (by chunk seq)
            and in the stream; the `log` events' seqs are 1, 2, 3 ... with no gap and
            every event's id is the last seq sent;
  latency   per line, the SSE client's time.time() when the event carrying it was
            complete minus the time printed in the line: p50, p95, p99, max (target
            p99 <= 500 ms); split, by the chunk's created_at (taken when
            JobOutput's flush takes its batch), into print -> flush and flush ->
            client;
  chunks    rows stored, and rows/s over the producer's run; JobOutput flushes
            (count, p50 and max ms: the INSERT and its COMMIT);
  load      the 1-minute load average before, at most during, and after; CPU
            seconds of the server, the printer and this process (producer and client).

Run from the repository root:

    .venv/bin/python bench/logs.py                          # SQLite
    .venv/bin/python bench/logs.py --backend postgresql     # PostgreSQL on 127.0.0.1:5432
    .venv/bin/python bench/logs.py --seconds 3              # a quick run

Figures are printed and written to bench/results/logs-<backend>.json (a run with
other than the default options writes logs-<backend>.json.tmp, ignored by git).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from contextlib import nullcontext
from pathlib import Path
from typing import Any

import httpx
import orjson
from _support import REPO_ROOT, percentile, pg_database, print_table, serve_process, write_results
from sqlalchemy import select
from tunix_rt_backend.db.engine import create_engine, create_sessionmaker, session_scope
from tunix_rt_backend.db.migrate import upgrade
from tunix_rt_backend.db.models import JobLogChunk, TunixRun
from tunix_rt_backend.jobs import output, process, repository
from tunix_rt_backend.jobs.output import JobOutput
from tunix_rt_backend.jobs.repository import Owner
from tunix_rt_backend.kit.time import utcnow
from tunix_rt_backend.runs.execution import TRAIN, TrainerEvents
from tunix_rt_backend.settings import Settings

PRINTER = REPO_ROOT / "bench" / "_log_printer.py"
DEFAULTS = {"rate": 5_000, "seconds": 10.0, "stderr_every": 100}
TARGET_P99_MS = 500.0
OWNER = Owner(worker_id=None, attempt=1)
CONNECT_TIMEOUT_S = 30.0
END_TIMEOUT_S = 120.0
READ_TIMEOUT_S = 60.0
LOAD_SAMPLE_S = 1.0


class SseClient(threading.Thread):
    """Reads the run's SSE stream until `end`, stamping each event with the wall-clock
    time it was complete; `connected` is set at the first `status` event (or on error)."""

    def __init__(self, url: str) -> None:
        super().__init__(daemon=True)
        self.url = url
        self.connected = threading.Event()
        self.logs: list[tuple[float, int, str, str]] = []  # received, seq, stream, text
        self.ids: list[int] = []  # every event's id, in order
        self.kinds: Counter[str] = Counter()
        self.end: dict[str, Any] | None = None
        self.end_at = 0.0
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            timeout = httpx.Timeout(CONNECT_TIMEOUT_S, read=READ_TIMEOUT_S)
            with httpx.stream("GET", self.url, timeout=timeout) as response:
                if response.status_code != 200:
                    raise RuntimeError(f"{response.status_code}: {response.read()[:500]!r}")
                fields: dict[str, str] = {}
                for line in response.iter_lines():
                    if line:
                        name, _, value = line.partition(":")
                        if name:  # a line starting with ":" is a comment (ping)
                            fields[name] = value.removeprefix(" ")
                    elif fields:
                        if self._dispatch(fields, time.time()):
                            return
                        fields = {}
        except BaseException as exc:
            self.error = exc
        finally:
            self.connected.set()

    def _dispatch(self, fields: dict[str, str], received: float) -> bool:
        kind = fields.get("event", "message")
        self.kinds[kind] += 1
        self.ids.append(int(fields["id"]))
        data = orjson.loads(fields["data"])
        if kind == "log":
            self.logs.append((received, data["seq"], data["stream"], data["text"]))
        elif kind == "status":
            self.connected.set()
        elif kind == "end":
            self.end, self.end_at = data, received
            return True
        return False


class TimedJobOutput(JobOutput):
    """The worker's JobOutput, each flush timed (its INSERT and COMMIT)."""

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.flush_s: list[float] = []

    async def flush(self) -> None:
        pending = bool(self._lines)
        start = time.perf_counter()
        await super().flush()
        if pending:
            self.flush_s.append(time.perf_counter() - start)


class LoadSampler(threading.Thread):
    """The highest 1-minute load average, read every LOAD_SAMPLE_S."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.stop = threading.Event()
        self.peak = os.getloadavg()[0]

    def run(self) -> None:
        while not self.stop.wait(LOAD_SAMPLE_S):
            self.peak = max(self.peak, os.getloadavg()[0])


def maker_for(db_url: str, workdir: Path) -> Any:
    engine = create_engine(Settings(database_url=db_url, data_dir=workdir))
    return engine, create_sessionmaker(engine)


async def insert_run(db_url: str, workdir: Path) -> uuid.UUID:
    """A run as a synchronous submit leaves it: running, attempt 1, no worker."""
    engine, maker = maker_for(db_url, workdir)
    run_id, now = uuid.uuid4(), utcnow()
    try:
        async with session_scope(maker) as session:
            session.add(
                TunixRun(
                    run_id=run_id,
                    dataset_key="bench-logs",
                    model_id="tunix-rt/tiny-gemma3",
                    mode="local",
                    status="running",
                    started_at=now,
                    created_at=now,
                    attempt=OWNER.attempt,
                    worker_id=OWNER.worker_id,
                    config={"output_dir": f"runs/{run_id}"},
                )
            )
    finally:
        await engine.dispose()
    return run_id


async def produce(
    db_url: str, workdir: Path, run_id: uuid.UUID, args: argparse.Namespace
) -> dict[str, Any]:
    """The printer run through a worker's JobOutput + run_process (TrainerEvents on
    each line, as the train kind reads its trainer), then the run's end."""
    engine, maker = maker_for(db_url, workdir)
    report = workdir / "printer.json"
    command = [sys.executable, str(PRINTER), "--rate", str(args.rate)]
    command += ["--seconds", str(args.seconds), "--stderr-every", str(args.stderr_every)]
    command += ["--report", str(report)]
    try:
        run_log = TimedJobOutput(maker, run_id)
        start = time.perf_counter()
        async with run_log:
            outcome = await process.run_process(
                command,
                timeout_s=args.seconds + 120,
                env={},
                on_line=TrainerEvents(run_log, run_id),
            )
            exited_s = time.perf_counter() - start
        values = {
            "status": "completed" if outcome.exit_code == 0 else "failed",
            "exit_code": outcome.exit_code,
            "stdout": outcome.stdout,
            "stderr": outcome.stderr,
            "completed_at": utcnow(),
            "duration_seconds": round(time.perf_counter() - start, 3),
        }
        async with session_scope(maker) as session:
            written = await repository.finish(session, TRAIN, run_id, OWNER, values)
        ended_at = time.time()
    finally:
        await engine.dispose()
    if outcome.exit_code != 0 or not written:
        raise RuntimeError(f"printer {outcome.exit_code}, end written {written}: {outcome.stderr}")
    return {
        "printer": orjson.loads(report.read_bytes()),
        "read_lines": run_log.lines,
        "flush_s": run_log.flush_s,
        "exited_s": exited_s,
        "ended_at": ended_at,
    }


async def stored_chunks(db_url: str, workdir: Path, run_id: uuid.UUID) -> list[Any]:
    engine, maker = maker_for(db_url, workdir)
    try:
        async with session_scope(maker) as session:
            query = (
                select(JobLogChunk.seq, JobLogChunk.stream, JobLogChunk.chunk)
                .add_columns(JobLogChunk.created_at)
                .where(JobLogChunk.job_id == run_id)
                .order_by(JobLogChunk.seq)
            )
            return list((await session.execute(query)).all())
    finally:
        await engine.dispose()


def parse_lines(seq: int, stream: str, text: str) -> list[tuple[int, float, str]]:
    """(line seq, printed at, stream) of each line of a chunk; checks the stream tag."""
    out = []
    for line in text.splitlines():
        n, printed, tag = line.split(" ", 3)[:3]
        if tag != stream:
            raise AssertionError(f"chunk {seq} ({stream}) holds a {tag} line: {line!r}")
        out.append((int(n), float(printed), stream))
    return out


def check_lines(lines: list[tuple[int, float, str]], printed: int) -> dict[str, Any]:
    """Missing, duplicated and per-stream order of line seqs, in the order given."""
    seen = Counter(n for n, _, _ in lines)
    last: dict[str, int] = {}
    order_kept = True
    for n, _, stream in lines:
        order_kept &= n > last.get(stream, -1)
        last[stream] = n
    return {
        "lines": len(lines),
        "lost": sum(1 for n in range(printed) if n not in seen),
        "duplicated": sum(c - 1 for c in seen.values()),
        "unexpected": sum(1 for n in seen if not 0 <= n < printed),
        "order_kept": order_kept,
    }


def ms_stats(seconds: list[float]) -> dict[str, float]:
    if not seconds:
        return {}
    pcts = {"p50": 50, "p95": 95, "p99": 99, "max": 100}
    return {k: round(percentile(seconds, p) * 1000, 1) for k, p in pcts.items()}


def analyse(
    client: SseClient, chunks: list[Any], produced: dict[str, Any], args: argparse.Namespace
) -> dict[str, Any]:
    printed = sum(produced["printer"]["lines"].values())
    stored_lines = [ln for c in chunks for ln in parse_lines(c.seq, c.stream, c.chunk)]
    flushed_at = {c.seq: c.created_at.timestamp() for c in chunks}
    received_lines = []
    latency, to_flush, flush_to_client = [], [], []
    for received, seq, stream, text in client.logs:
        for n, at, s in parse_lines(seq, stream, text):
            received_lines.append((n, at, s))
            latency.append(received - at)
            to_flush.append(flushed_at[seq] - at)
            flush_to_client.append(received - flushed_at[seq])
    event_seqs = [seq for _, seq, _, _ in client.logs]
    ids_follow = all(b >= a for a, b in zip(client.ids, client.ids[1:], strict=False))
    return {
        "printed": printed,
        "printed_per_stream": produced["printer"]["lines"],
        "printer_seconds": round(produced["printer"]["seconds"], 3),
        "printer_worst_lag_ms": round(produced["printer"]["worst_lag_s"] * 1000, 1),
        "read_by_runner": produced["read_lines"],
        "stored": check_lines(stored_lines, printed),
        "received": check_lines(received_lines, printed),
        "chunks_stored": len(chunks),
        "chunk_seqs_gapless": [c.seq for c in chunks] == list(range(1, len(chunks) + 1)),
        "sse_log_events": len(client.logs),
        "sse_seqs_gapless": event_seqs == list(range(1, len(chunks) + 1)),
        "sse_ids_nondecreasing": ids_follow,
        "sse_events": dict(client.kinds),
        "end": client.end,
        "rows_per_s": round(len(chunks) / produced["exited_s"], 1),
        "lines_per_chunk": round(len(stored_lines) / max(1, len(chunks)), 1),
        "flushes": len(produced["flush_s"]),
        "flush_ms": ms_stats(produced["flush_s"]),
        "latency_ms": ms_stats(latency),
        "print_to_flush_ms": ms_stats(to_flush),
        "flush_to_client_ms": ms_stats(flush_to_client),
        "end_after_finish_ms": round((client.end_at - produced["ended_at"]) * 1000, 1),
    }


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def measure(db_url: str, workdir: Path, args: argparse.Namespace) -> dict[str, Any]:
    run_id = asyncio.run(insert_run(db_url, workdir))
    with serve_process(db_url, workdir, {"EMBEDDED_WORKER": "false"}) as (base_url, server):
        client = SseClient(f"{base_url}/api/tunix/runs/{run_id}/logs")
        client.start()
        if not client.connected.wait(CONNECT_TIMEOUT_S) or client.error is not None:
            raise RuntimeError(f"SSE client not connected: {client.error!r}")
        load_before, sampler = os.getloadavg()[0], LoadSampler()
        server_cpu, own = cpu_seconds(server.pid), resource.getrusage(resource.RUSAGE_SELF)
        sampler.start()
        print(f"printing {args.rate:,} lines/s for {args.seconds:g} s ...", flush=True)
        produced = asyncio.run(produce(db_url, workdir, run_id, args))
        client.join(END_TIMEOUT_S)
        sampler.stop.set()
        server_cpu = cpu_seconds(server.pid) - server_cpu
        after = resource.getrusage(resource.RUSAGE_SELF)
        children = resource.getrusage(resource.RUSAGE_CHILDREN)  # the printer only, reaped
    if client.is_alive() or client.error is not None or client.end is None:
        raise RuntimeError(f"SSE client did not end: {client.error!r}")
    chunks = asyncio.run(stored_chunks(db_url, workdir, run_id))
    results = analyse(client, chunks, produced, args)
    results["load_avg_1m"] = {
        "before": round(load_before, 2),
        "peak_during": round(sampler.peak, 2),
        "after": round(os.getloadavg()[0], 2),
    }
    results["cpu_s"] = {
        "server": round(server_cpu, 2),
        "printer": round(children.ru_utime + children.ru_stime, 2),
        "bench_producer_and_client": round(
            after.ru_utime + after.ru_stime - own.ru_utime - own.ru_stime, 2
        ),
    }
    return results


def complete(r: dict[str, Any]) -> bool:
    """Every printed line stored and streamed once, in order; chunk and event seqs gapless."""
    each = all(
        r[k]["lines"] == r["printed"]
        and r[k]["lost"] == r[k]["duplicated"] == r[k]["unexpected"] == 0
        and r[k]["order_kept"]
        for k in ("stored", "received")
    )
    ordered = r["chunk_seqs_gapless"] and r["sse_seqs_gapless"] and r["sse_ids_nondecreasing"]
    return bool(each and ordered)


def target_met(r: dict[str, Any]) -> bool:
    return complete(r) and r["latency_ms"]["p99"] <= TARGET_P99_MS


def report(r: dict[str, Any], backend: str, args: argparse.Namespace) -> None:
    print(
        f"\nLive run logs on {backend}: {args.rate:,} lines/s for {args.seconds:g} s "
        f"(1 in {args.stderr_every} on stderr) through JobOutput + run_process "
        f"(TrainerEvents), streamed by GET /api/tunix/runs/{{id}}/logs (FLUSH_INTERVAL_S "
        f"{output.FLUSH_INTERVAL_S:g}, POLL_INTERVAL_S {output.POLL_INTERVAL_S:g}, "
        f"PAGE {output.PAGE})\n"
    )
    yes = {True: "yes", False: "NO"}
    rows = [["printed", f"{r['printed']:,}", "", "", ""]]
    for name, key in (("stored (DB chunks)", "stored"), ("received (SSE)", "received")):
        c = r[key]
        rows.append([name, f"{c['lines']:,}", c["lost"], c["duplicated"], yes[c["order_kept"]]])
    print_table(["lines", "count", "lost", "duplicated", "order kept per stream"], rows)
    print()
    lat = r["latency_ms"]
    rows = [
        ["print -> SSE client", *lat.values()],
        ["  print -> JobOutput flush", *r["print_to_flush_ms"].values()],
        ["  flush -> SSE client", *r["flush_to_client_ms"].values()],
        ["JobOutput flush (INSERT + COMMIT)", *r["flush_ms"].values()],
    ]
    print_table(["ms", "p50", "p95", "p99", "max"], rows)
    met = lat["p99"] <= TARGET_P99_MS
    load, cpu = r["load_avg_1m"], r["cpu_s"]
    print(
        f"\np99 {lat['p99']:g} ms (<= {TARGET_P99_MS:g} ms: {'met' if met else 'MISSED'}); "
        f"all lines stored and streamed, in order: "
        f"{yes[complete(r)]}"
        f"\nchunks stored {r['chunks_stored']:,} ({r['rows_per_s']:g} rows/s, "
        f"{r['lines_per_chunk']:g} lines each) in {r['flushes']} flushes; chunk seqs gapless: "
        f"{yes[r['chunk_seqs_gapless']]}; SSE log events {r['sse_log_events']:,}, seqs 1.. "
        f"gapless: {yes[r['sse_seqs_gapless']]}, ids non-decreasing: "
        f"{yes[r['sse_ids_nondecreasing']]}; events {r['sse_events']}"
        f"\n`end` {r['end_after_finish_ms']:g} ms after the run's end was committed; the printer "
        f"took {r['printer_seconds']:g} s, at worst {r['printer_worst_lag_ms']:g} ms behind "
        f"schedule; the runner read {r['read_by_runner']:,} lines"
        f"\nload average (1 min) before {load['before']}, peak {load['peak_during']}, after "
        f"{load['after']} on {os.cpu_count()} CPUs; CPU s: server {cpu['server']}, printer "
        f"{cpu['printer']}, producer + SSE client {cpu['bench_producer_and_client']}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--backend", choices=("sqlite", "postgresql"), default="sqlite", help="database"
    )
    parser.add_argument("--rate", type=int, default=DEFAULTS["rate"], help="lines a second")
    parser.add_argument("--seconds", type=float, default=DEFAULTS["seconds"])
    parser.add_argument("--stderr-every", type=int, default=DEFAULTS["stderr_every"])
    args = parser.parse_args()
    options = {k: getattr(args, k) for k in DEFAULTS}

    with tempfile.TemporaryDirectory(prefix="bench-logs-") as tmp:
        workdir = Path(tmp)
        pg = pg_database("logs") if args.backend == "postgresql" else nullcontext(None)
        with pg as pg_url:
            db_url = pg_url or f"sqlite+aiosqlite:///{workdir / 'bench.db'}"
            if pg_url is None:
                upgrade(db_url)
            results = measure(db_url, workdir, args)

    report(results, args.backend, args)
    document = {
        "backend": args.backend,
        **options,
        "flush_interval_s": output.FLUSH_INTERVAL_S,
        "poll_interval_s": output.POLL_INTERVAL_S,
        "page": output.PAGE,
        "target_p99_ms": TARGET_P99_MS,
        "target_met": target_met(results),
        **results,
    }
    path = write_results(f"logs-{args.backend}", document, scratch=options != DEFAULTS)
    print(f"\nwritten to {path}")


if __name__ == "__main__":
    main()
