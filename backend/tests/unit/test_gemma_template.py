"""The `tunix_sft` chat-template renderer (templates/gemma_reasoning.py).

Renderings are compared byte for byte with hand-written golden files in
tests/golden/, written from the format in the module docstring. A golden file is
`render_trace(payload).prompt + render_trace(payload).completion`, with no trailing
newline (the completion ends with `<end_of_turn>`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from tunix_rt_backend.generators import arithmetic, high_card_duel
from tunix_rt_backend.templates.gemma_reasoning import (
    ANSWER_PREFIX,
    END_TURN,
    REASONING_HEADER,
    START_MODEL,
    START_USER,
    STEP_LINE,
    TEMPLATE_NAME,
    TEMPLATE_SHA256,
    answers_match,
    normalize_answer,
    parse_final_answer,
    render_prompt,
    render_response,
    render_trace,
)
from tunix_rt_backend.traces.schemas import TRACE_ADAPTER, ReasoningTrace

GOLDEN = Path(__file__).parent.parent / "golden"

# The trace example of the API schema (traces/schemas.py).
EXAMPLE: ReasoningTrace = {
    "trace_version": "1.0",
    "prompt": "What is 27 × 19?",
    "final_answer": "513",
    "steps": [
        {"i": 0, "type": "parse", "content": "Parse the multiplication task"},
        {"i": 1, "type": "compute", "content": "27 × 19 = 27 × (20 - 1)"},
        {"i": 2, "type": "result", "content": "Final: 513"},
    ],
    "meta": {"source": "example"},
}
MULTILINE_STEP: ReasoningTrace = {
    "trace_version": "1.0",
    "prompt": "Solve step by step.\nWhat is 48 + 27?",
    "final_answer": "75",
    "steps": [
        {"i": 0, "type": "parse", "content": "Add the ones, then the tens."},
        {"i": 1, "type": "compute", "content": "Ones: 8 + 7 = 15\nwrite 5, carry 1"},
        {"i": 2, "type": "compute", "content": "Tens: 4 + 2 + 1 = 7"},
    ],
}
# Stored out of order and with gaps: rendered sorted by `i` and numbered from 1.
UNORDERED_STEPS: ReasoningTrace = {
    "trace_version": "1.0",
    "prompt": "Which is larger, 9 or 4?",
    "final_answer": "9",
    "steps": [
        {"i": 7, "type": "result", "content": "9 > 4, so 9 is larger."},
        {"i": 0, "type": "observe", "content": "The first number is 9."},
        {"i": 3, "type": "observe", "content": "The second number is 4."},
    ],
}
UNICODE: ReasoningTrace = {
    "trace_version": "1.0",
    "prompt": "Ünïcödé: what is ½ + ¼? 答えてください 🙂",
    "final_answer": "¾ (三/四)",
    "steps": [
        {"i": 0, "type": "compute", "content": "½ = 2/4 (α → β)"},
        {"i": 1, "type": "compute", "content": "2/4 + 1/4 = 3/4 ✓ — שלום"},
    ],
    "meta": None,
}
GOLDEN_CASES = {
    "tunix_sft_example.txt": EXAMPLE,
    "tunix_sft_multiline_step.txt": MULTILINE_STEP,
    "tunix_sft_unordered_steps.txt": UNORDERED_STEPS,
    "tunix_sft_unicode.txt": UNICODE,
}
golden_cases = pytest.mark.parametrize(
    ("golden_name", "payload"), list(GOLDEN_CASES.items()), ids=list(GOLDEN_CASES)
)


def steps_of(trace: ReasoningTrace) -> list[Mapping[str, Any]]:
    return list(trace["steps"])


def generated_traces() -> list[ReasoningTrace]:
    traces = high_card_duel.generate(200, seed=0)
    for difficulty in arithmetic.DIFFICULTIES:
        traces += arithmetic.generate(100, seed=0, difficulty=difficulty)
    return traces


def test_golden_payloads_are_valid_traces() -> None:
    for payload in GOLDEN_CASES.values():
        assert TRACE_ADAPTER.validate_python(payload) == payload


@golden_cases
def test_render_trace_matches_golden_file(golden_name: str, payload: ReasoningTrace) -> None:
    rendered = render_trace(payload)
    assert (rendered.prompt + rendered.completion).encode() == (GOLDEN / golden_name).read_bytes()


@golden_cases
def test_prompt_part_ends_with_the_model_turn_opener(
    golden_name: str, payload: ReasoningTrace
) -> None:
    golden = (GOLDEN / golden_name).read_bytes().decode()
    boundary = golden.index(START_MODEL) + len(START_MODEL)
    rendered = render_trace(payload)
    assert rendered.prompt == golden[:boundary]
    assert rendered.completion == golden[boundary:]


def test_render_prompt_wraps_the_prompt_in_a_user_turn() -> None:
    assert render_prompt("Hi?") == "<start_of_turn>user\nHi?<end_of_turn>\n<start_of_turn>model\n"


def test_render_response_has_no_chat_markup() -> None:
    response = render_response(steps_of(UNORDERED_STEPS), "9")
    assert response == (
        "Reasoning:\n"
        "1. The first number is 9.\n"
        "2. The second number is 4.\n"
        "3. 9 > 4, so 9 is larger.\n"
        "Answer: 9"
    )
    assert "<start_of_turn>" not in response
    assert END_TURN not in response


def test_completion_is_the_response_followed_by_end_of_turn() -> None:
    for payload in GOLDEN_CASES.values():
        response = render_response(steps_of(payload), payload["final_answer"])
        assert render_trace(payload).completion == response + END_TURN


def test_render_does_not_reorder_the_callers_steps() -> None:
    steps: list[Mapping[str, Any]] = [dict(step) for step in UNORDERED_STEPS["steps"]]
    render_response(steps, "9")
    assert [step["i"] for step in steps] == [7, 0, 3]


def test_template_sha256_hashes_the_constants_in_documented_order() -> None:
    """Training and serving must render alike, so manifests record TEMPLATE_SHA256.
    Changing any template constant must therefore change the hash: the literal below
    pins it, so an accidental change of the template fails here. After a deliberate
    change, bump TEMPLATE_NAME, update this literal and the golden files together."""
    recomputed = hashlib.sha256(
        "\x00".join(
            (
                TEMPLATE_NAME,
                START_USER + "{prompt}" + END_TURN + "\n" + START_MODEL,
                REASONING_HEADER,
                STEP_LINE,
                "steps sorted by i, numbered from 1",
                ANSWER_PREFIX,
                END_TURN,
            )
        ).encode()
    ).hexdigest()
    assert recomputed == TEMPLATE_SHA256
    assert TEMPLATE_SHA256 == "cd4499a0e40070a1d088f67a105fec233962326dc3cbf11f1528d1ab4502ca8a"


def test_template_constants_are_the_documented_ones() -> None:
    assert TEMPLATE_NAME == "gemma-reasoning-v1"
    assert (START_USER, START_MODEL, END_TURN) == (
        "<start_of_turn>user\n",
        "<start_of_turn>model\n",
        "<end_of_turn>",
    )
    assert (REASONING_HEADER, STEP_LINE, ANSWER_PREFIX) == (
        "Reasoning:\n",
        "{n}. {content}\n",
        "Answer: ",
    )


def test_parse_final_answer_takes_the_last_answer_line() -> None:
    assert parse_final_answer("Reasoning:\nAnswer: 12\n1. No, wait.\nAnswer: 13") == "13"


def test_parse_final_answer_ignores_text_after_end_of_turn() -> None:
    text = "Reasoning:\nAnswer: 7<end_of_turn>\n<start_of_turn>user\nAnswer: 8"
    assert parse_final_answer(text) == "7"


def test_parse_final_answer_ignores_an_answer_only_after_end_of_turn() -> None:
    assert parse_final_answer("Reasoning:\n1. Hmm.<end_of_turn>\nAnswer: 8") is None


@pytest.mark.parametrize(
    "text",
    ["", "Reasoning:\n1. Think.", "The Answer: 5", "Answer:5", "answer: 5", " Answer: 5"],
    ids=["empty", "no-answer-line", "mid-line", "no-space", "lower-case", "indented"],
)
def test_parse_final_answer_without_an_answer_line_is_none(text: str) -> None:
    assert parse_final_answer(text) is None


def test_parse_final_answer_reads_an_answer_on_the_first_line() -> None:
    assert parse_final_answer("Answer: 42") == "42"


def test_parse_final_answer_strips_surrounding_whitespace() -> None:
    assert parse_final_answer("Reasoning:\nAnswer:   Player 1 \t\n") == "Player 1"
    assert parse_final_answer("Reasoning:\r\nAnswer: 5\r\n<end_of_turn>") == "5"


def test_parse_final_answer_reads_to_the_end_of_the_turn() -> None:
    """As documented: the answer is everything after the last `Answer: ` up to the end
    of the turn, not only the rest of its line."""
    assert parse_final_answer("Answer: 5\nsince 2 + 3 = 5<end_of_turn>") == "5\nsince 2 + 3 = 5"


def test_normalize_answer_ignores_case_and_whitespace() -> None:
    assert normalize_answer("  Player\t\n 1 ") == "player 1"
    assert normalize_answer("STRASSE") == normalize_answer("straße")


def test_answers_match_ignores_case_and_whitespace() -> None:
    assert answers_match("Player 1", "Reasoning:\nAnswer:  PLAYER   1 \n<end_of_turn>")


def test_answers_match_rejects_a_wrong_answer() -> None:
    assert not answers_match("Player 1", "Reasoning:\nAnswer: Player 2<end_of_turn>")
    assert not answers_match("513", "Reasoning:\nAnswer: 5130<end_of_turn>")


def test_answers_match_rejects_a_missing_answer() -> None:
    assert not answers_match("513", "Reasoning:\n1. 27 × 19 = 513<end_of_turn>")
    assert not answers_match("513", "")


@golden_cases
def test_golden_completion_round_trips_its_final_answer(
    golden_name: str, payload: ReasoningTrace
) -> None:
    completion = render_trace(payload).completion
    assert parse_final_answer(completion) == payload["final_answer"]
    assert answers_match(payload["final_answer"], completion)


def test_generated_traces_round_trip_their_final_answer() -> None:
    for trace in generated_traces():
        completion = render_trace(trace).completion
        assert parse_final_answer(completion) == trace["final_answer"], trace
        assert answers_match(trace["final_answer"], completion)
