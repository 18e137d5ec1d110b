"""A progress bar for a command that waits (a run training, an evaluation answering):
status, done / total, a bar, the pace, the time so far and the time left, on stderr. On
a terminal only; in a log (not a terminal) nothing is drawn and the command's own lines
say what happened."""

from __future__ import annotations

from types import TracebackType

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)


class WaitBar:
    """`with WaitBar("steps", 60) as bar: bar.update("running", 12)`. The pace is the
    bar's own estimate over its recent updates (rich's), in `unit`s per second."""

    def __init__(self, unit: str, total: int | None, console: Console | None = None) -> None:
        self.unit = unit
        console = console or Console(stderr=True)
        self._progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[pace]}"),
            TimeElapsedColumn(),
            TextColumn("elapsed,"),
            TimeRemainingColumn(),
            TextColumn("left"),
            console=console,
            disable=not console.is_terminal,
        )
        self._task = self._progress.add_task("pending", total=total, pace="")

    def __enter__(self) -> WaitBar:
        self._progress.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._progress.stop()

    def update(self, status: str, done: int, total: int | None = None) -> None:
        """The latest status and count (a total learned late, too)."""
        self._progress.update(self._task, total=total, completed=done, description=status)
        speed = self._progress.tasks[0].speed  # from this update's sample on
        self._progress.update(self._task, pace=f"{speed:.1f} {self.unit}/s" if speed else "")
