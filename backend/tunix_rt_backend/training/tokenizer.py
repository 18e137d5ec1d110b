"""A byte-level tokenizer for the built-in models: nothing to download, any text.

Ids: 0 pad, 1 bos, 2 eos, 3 `<start_of_turn>`, 4 `<end_of_turn>`, then the 256 UTF-8
byte values from 5. It has the `encode/decode/bos_id/eos_id/pad_id` methods that
Tunix's TokenizerAdapter accepts.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import ClassVar

from tunix_rt_backend.sft.template import END_TURN

START_TURN = "<start_of_turn>"


class ByteTokenizer:
    PAD, BOS, EOS = 0, 1, 2
    SPECIAL: ClassVar[dict[str, int]] = {START_TURN: 3, END_TURN: 4}
    OFFSET = 5
    vocab_size = OFFSET + 256

    def encode(self, text: str, **_: object) -> list[int]:
        out: list[int] = []
        pos = 0
        while pos < len(text):
            at = text.find("<", pos)
            if at < 0:
                at = len(text)
            out.extend(b + self.OFFSET for b in text[pos:at].encode())
            if at == len(text):
                break
            for marker, token in self.SPECIAL.items():
                if text.startswith(marker, at):
                    out.append(token)
                    pos = at + len(marker)
                    break
            else:
                out.append(ord("<") + self.OFFSET)
                pos = at + 1
        return out

    def decode(self, ids: Iterable[int], **_: object) -> str:
        names = {token: marker for marker, token in self.SPECIAL.items()}
        parts: list[str] = []
        buf = bytearray()
        for raw in ids:
            token = int(raw)
            if token >= self.OFFSET:
                buf.append(token - self.OFFSET)
            elif token in names:
                parts.append(buf.decode("utf-8", "replace"))
                buf = bytearray()
                parts.append(names[token])
        parts.append(buf.decode("utf-8", "replace"))
        return "".join(parts)

    def bos_id(self) -> int:
        return self.BOS

    def eos_id(self) -> int:
        return self.EOS

    def pad_id(self) -> int:
        return self.PAD
