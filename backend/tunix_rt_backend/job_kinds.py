"""The kinds of job this installation runs: what a worker claims (the API process and
`tunix-rt worker` alike). A new kind is one line here and a domain of its own."""

from __future__ import annotations

from tunix_rt_backend.jobs.kinds import JobKind


def job_kinds() -> list[JobKind]:
    from tunix_rt_backend.runs.execution import TRAIN

    return [TRAIN]
