"""The trainer's event protocol: what `emit` writes, `parse` reads back, and what a
line that is not an event (or is a broken one) reads as."""

from __future__ import annotations

import pytest

from tunix_rt_backend.training import events
from tunix_rt_backend.training.events import Checkpoint, Done, Generation, Log, Metric

EVERY_KIND: list[events.Event] = [
    Log("model tiny; 40 train / 8 eval examples"),
    Metric(10, "train/loss", 1.25),
    Metric(None, "train/steps_per_sec", 5.5),
    Checkpoint(60, "/data/runs/r/checkpoints/60"),
    Generation(3, 60, "<start_of_turn>user\nWhat is 2+2?", "4", "Answer: 4", True),
    Generation(4, None, "p", None, "", None),
    Done("completed", {"steps": 60, "exact_match": 0.75}),
]


@pytest.mark.parametrize("event", EVERY_KIND, ids=lambda e: e.kind)
def test_every_event_reads_back_as_it_was_written(event: events.Event) -> None:
    line = events.encode(event)
    assert line.startswith(b'{"event":"' + event.kind.encode() + b'","time":')
    assert events.parse(line) == event
    assert events.parse(line.decode() + "\r\n") == event  # as a pipe may hand it on


def test_emit_writes_one_line_to_stdout(capsys: pytest.CaptureFixture[str]) -> None:
    events.emit(Metric(1, "eval/loss", 2.0))
    events.log("hello")
    lines = capsys.readouterr().out.splitlines()
    assert [events.parse(line) for line in lines] == [Metric(1, "eval/loss", 2.0), Log("hello")]


@pytest.mark.parametrize(
    "line",
    [
        "",
        "a plain print",
        "Traceback (most recent call last):",
        "[1, 2]",
        '{"no": "event"}',
        '{"event": "unknown", "x": 1}',
        '{"event": "metric", "step": 1, "name": "loss"}',  # no value
        '{"event": "metric", "step": "1", "name": "loss", "value": 1}',  # step a string
        '{"event": "metric", "step": true, "name": "loss", "value": 1}',
        '{"event": "checkpoint", "step": 1.5, "path": "p"}',
        '{"event": "generation", "index": 0, "prompt": "p", "output": 7}',
        '{"event": "done", "status": "completed", "summary": [1]}',
        '{"event": "log", "message": "cut sh',
    ],
)
def test_anything_else_is_no_event(line: str) -> None:
    assert events.parse(line) is None


def test_describe_lines_gives_each_line_its_event_or_none() -> None:
    text = (
        events.encode(Metric(5, "train/loss", 0.5)).decode()
        + "\nplain\n"
        + events.encode(Done("failed", {"error": "boom"})).decode()
        + "\n"
    )
    assert events.describe_lines(text) == [
        {"kind": "metric", "step": 5, "name": "train/loss", "value": 0.5},
        None,
        {"kind": "done", "status": "failed", "summary": {"error": "boom"}},
    ]
    assert events.describe_lines("") == []
    assert events.describe_lines("no newline at the end") == [None]
