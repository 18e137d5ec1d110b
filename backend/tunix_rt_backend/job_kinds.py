"""The kinds of job this installation runs: what a worker claims (the API process and
`tunix-rt worker` alike). A new kind is one line here and a domain of its own."""

from __future__ import annotations

from tunix_rt_backend.jobs.kinds import JobKind


def job_kinds() -> list[JobKind]:
    from tunix_rt_backend.evaluation.execution import EVALUATE
    from tunix_rt_backend.evaluation.service import after_training
    from tunix_rt_backend.runs.execution import TRAIN
    from tunix_rt_backend.tuning.execution import TUNE

    # A completed training run queues its evaluation (EVAL_AUTO): runs/ knows nothing
    # of evaluations, which build on it.
    return [TRAIN.followed_by(after_training), EVALUATE, TUNE]
