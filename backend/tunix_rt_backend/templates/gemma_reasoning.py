"""The `tunix_sft` rendering: a trace as one Gemma chat turn pair.

    <start_of_turn>user
    {prompt}<end_of_turn>
    <start_of_turn>model
    Reasoning:
    1. {first step}
    2. {second step}
    Answer: {final answer}<end_of_turn>

The prompt part (up to and including `<start_of_turn>model\\n`) is what a model is
given; the completion is what it learns to write, so training masks the loss to the
completion. The final answer is always the text after the last line that starts with
`Answer: `, which `parse_final_answer` reads back from a model's output. `<bos>` is
not part of the text: the tokenizer adds it.

Training and serving must render the same way: `TEMPLATE_SHA256` hashes every
constant below, and manifests record it with a rendered sample.

A leaf: it imports nothing from the app. Datasets, training (a process that must
start without the web stack), judges and serving all import it, so one import of a
domain here would tie them together in a loop.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

TEMPLATE_NAME = "gemma-reasoning-v1"
START_USER = "<start_of_turn>user\n"
START_MODEL = "<start_of_turn>model\n"
END_TURN = "<end_of_turn>"
REASONING_HEADER = "Reasoning:\n"
STEP_LINE = "{n}. {content}\n"
ANSWER_PREFIX = "Answer: "
PROMPT_TEMPLATE = START_USER + "{prompt}" + END_TURN + "\n" + START_MODEL
# The one rendering rule that is code rather than text; it is hashed as well.
STEP_ORDER = "steps sorted by i, numbered from 1"

TEMPLATE_SHA256 = hashlib.sha256(
    "\x00".join(
        (
            TEMPLATE_NAME,
            PROMPT_TEMPLATE,
            REASONING_HEADER,
            STEP_LINE,
            STEP_ORDER,
            ANSWER_PREFIX,
            END_TURN,
        )
    ).encode()
).hexdigest()


class SftExample(NamedTuple):
    prompt: str
    completion: str


def render_prompt(prompt: str) -> str:
    return PROMPT_TEMPLATE.format(prompt=prompt)


def render_chat(messages: Sequence[tuple[str, str]]) -> str:
    """A conversation of (role, text) as Gemma's chat turns, ending where the model's
    answer begins. One user message renders exactly as `render_prompt` (what training
    saw). Gemma has no system turn: system (and developer) text goes before the first
    user turn's text, as Gemma's own chat template does; `assistant` turns are the
    model's."""
    preamble = "\n\n".join(text for role, text in messages if role in ("system", "developer"))
    turns = []
    for role, text in messages:
        if role in ("system", "developer"):
            continue
        if role == "user" and preamble:
            text, preamble = f"{preamble}\n\n{text}", ""
        speaker = "model" if role == "assistant" else "user"
        turns.append(f"<start_of_turn>{speaker}\n{text}{END_TURN}\n")
    if preamble:  # system text and no user turn
        turns.insert(0, f"{START_USER}{preamble}{END_TURN}\n")
    return "".join(turns) + START_MODEL


def render_response(steps: Sequence[Mapping[str, Any]], final_answer: str) -> str:
    """The reasoning and the answer, without chat markup (the `training_example`
    response and the body of the `tunix_sft` completion)."""
    ordered = sorted(steps, key=lambda step: step["i"])
    # The f-string is STEP_LINE (pinned by the golden-file tests), twice as fast as
    # str.format, which shows in 100,000-trace exports.
    lines = "".join([f"{n}. {step['content']}\n" for n, step in enumerate(ordered, 1)])
    return f"{REASONING_HEADER}{lines}{ANSWER_PREFIX}{final_answer}"


def render_trace(payload: Mapping[str, Any]) -> SftExample:
    return SftExample(
        prompt=render_prompt(payload["prompt"]),
        completion=render_response(payload["steps"], payload["final_answer"]) + END_TURN,
    )


def parse_final_answer(text: str) -> str | None:
    """The final answer in a model's completion, or None when it wrote none.

    Reads the text after the last line starting with `Answer: `, up to the end of the
    turn (anything a model generates after `<end_of_turn>` is ignored)."""
    text = text.split(END_TURN, 1)[0]
    marker = "\n" + ANSWER_PREFIX
    at = ("\n" + text).rfind(marker)
    if at < 0:
        return None
    return ("\n" + text)[at + len(marker) :].strip()


class Completion(NamedTuple):
    """What a model wrote, read with the template: its reasoning block (the text
    between `Reasoning:` and the answer line), how many numbered steps it holds, and
    its final answer. `format_ok`: both a `Reasoning:` block and an `Answer:` line."""

    reasoning: str | None
    steps: int
    answer: str | None
    format_ok: bool


def parse_completion(text: str) -> Completion:
    text = text.split(END_TURN, 1)[0]
    answer = parse_final_answer(text)
    body = ("\n" + text).rsplit("\n" + ANSWER_PREFIX, 1)[0] if answer is not None else text
    body = body.lstrip("\n")
    reasoning = body[len(REASONING_HEADER) :] if body.startswith(REASONING_HEADER) else None
    steps = 0
    if reasoning is not None:
        steps = sum(1 for line in reasoning.splitlines() if _is_step(line))
    return Completion(reasoning, steps, answer, reasoning is not None and answer is not None)


def _is_step(line: str) -> bool:
    number, dot, _ = line.partition(". ")
    return bool(dot) and number.isdigit()


def normalize_answer(answer: str) -> str:
    """Answers compare without case and surrounding or repeated whitespace."""
    return " ".join(answer.split()).casefold()


def answers_match(expected: str, completion: str) -> bool:
    """Exact match of a model's final answer against the trace's, as the judge grades."""
    got = parse_final_answer(completion)
    return got is not None and normalize_answer(got) == normalize_answer(expected)
