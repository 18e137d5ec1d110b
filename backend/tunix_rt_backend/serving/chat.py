"""A reasoning answer split as reasoning servers split it: the steps into
`reasoning_content`, the final answer into `content`.

The template (templates/gemma_reasoning.py) makes a model write

    Reasoning:
    1. ...
    2. ...
    Answer: 42<end_of_turn>

`Reasoner` reads that text as it streams: an output that begins with `Reasoning:` is
split at its first line that begins with `Answer: ` (the steps, without the header or
the line break before the answer, are the reasoning; what follows the prefix is the
content); any other output is all content. The same splitter reads a whole answer, so
a stream's pieces always add up to the non-streamed message.
"""

from __future__ import annotations

from typing import NamedTuple

from tunix_rt_backend.templates.gemma_reasoning import ANSWER_PREFIX, REASONING_HEADER


class Piece(NamedTuple):
    reasoning: str
    content: str


class Reasoner:
    def __init__(self) -> None:
        self._mode = "undecided"  # then "reasoning", "answer" or "plain"
        self._head = ""  # undecided: what came so far
        self._line = ""  # reasoning: the start of a line, held back (it may be the answer's)
        self._mid_line = False  # reasoning: part of the current line is shown already
        self._breaks = 0  # reasoning: line breaks not shown yet (shown before more text)

    def feed(self, text: str) -> Piece:
        """The reasoning and content that `text` (the next piece of the output) adds."""
        if self._mode == "undecided":
            self._head += text
            if REASONING_HEADER.startswith(self._head):
                return Piece("", "")  # may still become the header
            text, self._head = self._head, ""
            if text.startswith(REASONING_HEADER):
                self._mode = "reasoning"
                text = text[len(REASONING_HEADER) :]
            else:
                self._mode = "plain"
        if self._mode == "reasoning":
            return self._reason(text)
        return Piece("", text)

    def finish(self) -> Piece:
        """What is still held back, once the output is complete."""
        if self._mode == "undecided":
            head, self._head, self._mode = self._head, "", "plain"
            return Piece("", "" if head == REASONING_HEADER else head)
        line, self._line = self._line, ""
        return Piece(self._show(line), "")

    def _reason(self, text: str) -> Piece:
        shown, content = [], ""
        for part in text.splitlines(keepends=True):
            if self._mode == "answer":
                content += part
                continue
            line = part
            if not self._mid_line:
                line, self._line = self._line + part, ""
                if line.startswith(ANSWER_PREFIX):
                    self._mode = "answer"
                    self._breaks = 0  # the break before the answer line is not reasoning
                    content += line[len(ANSWER_PREFIX) :]
                    continue
                if not line.endswith("\n") and ANSWER_PREFIX.startswith(line):
                    self._line = line  # may still become the answer line
                    continue
            ended = line.endswith("\n")
            shown.append(self._show(line.removesuffix("\n")))
            self._mid_line = not ended
            self._breaks += ended
        return Piece("".join(shown), content)

    def _show(self, text: str) -> str:
        if not text:
            return ""  # breaks wait for the text they lead to
        out, self._breaks = "\n" * self._breaks + text, 0
        return out


def split(text: str) -> Piece:
    """A whole output, split."""
    reasoner = Reasoner()
    first, last = reasoner.feed(text), reasoner.finish()
    return Piece(first.reasoning + last.reasoning, first.content + last.content)
