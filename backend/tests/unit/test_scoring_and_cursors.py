from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from tunix_rt_backend.errors import ValidationFailed
from tunix_rt_backend.kit.pagination import decode_cursor, encode_cursor
from tunix_rt_backend.traces.scoring import baseline_score


def _payload(lengths: list[int]) -> dict[str, object]:
    return {
        "steps": [{"i": n, "type": "t", "content": "a" * size} for n, size in enumerate(lengths)]
    }


@pytest.mark.parametrize(
    ("lengths", "expected"),
    [
        ([100], 5.0 + 10.0),
        ([500] * 10, 100.0),
        ([1000] * 20, 100.0),  # both parts cap at 50
        ([100, 300], 10.0 + 20.0),
    ],
)
def test_baseline_formula(lengths: list[int], expected: float) -> None:
    score, breakdown = baseline_score(_payload(lengths))
    assert score == pytest.approx(expected)
    assert breakdown["step_count"] == len(lengths)
    assert breakdown["total_chars"] == sum(lengths)


def test_cursor_round_trips() -> None:
    stamp = datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=UTC)
    row_id = uuid.uuid4()
    assert decode_cursor(encode_cursor(stamp, row_id)) == (stamp, row_id)


@pytest.mark.parametrize("cursor", ["", "!!!", "WyJ4Il0", "WyIyMDI2LTAxLTAxVDAwOjAwOjAwIiwiYWIiXQ"])
def test_malformed_cursor_is_a_validation_error(cursor: str) -> None:
    with pytest.raises(ValidationFailed):
        decode_cursor(cursor)
