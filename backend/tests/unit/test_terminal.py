"""The progress bar of a command that waits (kit/terminal.py): drawn on a terminal,
silent in a log."""

from __future__ import annotations

import io
import re
import time

from rich.console import Console

from tunix_rt_backend.kit.terminal import WaitBar


def _console(terminal: bool) -> tuple[Console, io.StringIO]:
    out = io.StringIO()
    return Console(file=out, force_terminal=terminal, width=120, color_system=None), out


def test_a_terminal_sees_status_count_pace_and_a_total_learned_late() -> None:
    console, out = _console(terminal=True)
    with WaitBar("items", None, console=console) as bar:
        bar.update("evaluation pending", 0)
        for done in (5, 10):  # the pace needs two moves
            time.sleep(0.05)
            bar.update("evaluation running", done, total=40)
    # The final frame, as it stays on the screen (after the cursor codes).
    last = [line for line in out.getvalue().split("\r") if "evaluation" in line][-1]
    assert "evaluation running" in last
    assert "10/40" in last
    assert re.search(r"\d items/s 0:00:00 elapsed, 0:00:0\d left", last), last


def test_a_log_gets_nothing() -> None:
    console, out = _console(terminal=False)
    with WaitBar("steps", 60, console=console) as bar:
        bar.update("running", 12)
    assert out.getvalue() == ""
