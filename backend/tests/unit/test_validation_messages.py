"""A 422 says what a field allows in words, never as a regular expression."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from tunix_rt_backend.errors import PATTERN_WORDS, clean_validation_errors
from tunix_rt_backend.runs.schemas import RunLabelsUpdate

OPENAPI = Path(__file__).resolve().parents[3] / "frontend" / "openapi.json"


def _patterns(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        if isinstance(node.get("pattern"), str):
            yield node["pattern"]
        for value in node.values():
            yield from _patterns(value)
    elif isinstance(node, list):
        for value in node:
            yield from _patterns(value)


def test_every_pattern_of_the_api_is_said_in_words() -> None:
    patterns = set(_patterns(json.loads(OPENAPI.read_text())))
    assert patterns, "the API has patterns"
    assert patterns <= set(PATTERN_WORDS), patterns - set(PATTERN_WORDS)


def test_a_tag_that_does_not_match_is_told_what_a_tag_may_hold() -> None:
    with pytest.raises(ValidationError) as failed:
        RunLabelsUpdate.model_validate({"tags": ["ok", "a/b"]})
    [error] = clean_validation_errors(failed.value.errors())
    assert error["loc"] == ["tags", 1]
    assert error["msg"] == (
        "Use only letters, digits, '.', '_', ':' and '-', starting with a letter or a digit"
    )
    assert "^" not in error["msg"]
