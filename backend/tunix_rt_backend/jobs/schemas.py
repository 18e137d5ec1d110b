from __future__ import annotations

from typing import Literal

JobState = Literal["pending", "running", "completed", "failed", "timeout", "cancelled"]
JOB_STATES: tuple[JobState, ...] = (
    "pending",
    "running",
    "completed",
    "failed",
    "timeout",
    "cancelled",
)
TERMINAL_STATES: tuple[JobState, ...] = ("completed", "failed", "timeout", "cancelled")
