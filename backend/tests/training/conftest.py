from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from tunix_rt_backend.datasets.formats import tunix_sft_line
from tunix_rt_backend.generators.arithmetic import generate


@pytest.fixture(scope="module")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """96 generated sums (difficulty 1) as a `tunix_sft` export; every 12th is held out
    (8 eval items)."""
    path = tmp_path_factory.mktemp("data") / "sums.jsonl"
    traces = generate(96, seed=0, difficulty=1)
    lines = [
        tunix_sft_line(uuid.UUID(int=n), "eval" if n % 12 == 0 else "train", dict(t))
        for n, t in enumerate(traces)
    ]
    path.write_bytes(b"".join(lines))
    return path
