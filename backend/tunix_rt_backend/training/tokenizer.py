"""The two tokenizers a run can use, both with the `encode/decode/bos_id/eos_id/pad_id`
methods that Tunix's TokenizerAdapter accepts (and data.tokenize uses):

- `ByteTokenizer`, for the built-in models: nothing to download, any text. Ids: 0 pad,
  1 bos, 2 eos, 3 `<start_of_turn>`, 4 `<end_of_turn>`, then the 256 UTF-8 byte values
  from 5.
- `CheckpointTokenizer`, a local checkpoint's own tokenizer.json (`tokenizers` library).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any, ClassVar

from tunix_rt_backend.templates.gemma_reasoning import END_TURN
from tunix_rt_backend.training.catalog import TOKENIZER_FILE, ModelNotAvailable

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


class CheckpointTokenizer:
    """A checkpoint's tokenizer.json with the special ids of its tokenizer_config.json
    (else of config.json). Text is encoded without special tokens: data.tokenize and
    Tunix's sampler add the BOS themselves.

    Without a pad token, EOS pads (as Hugging Face does); without a BOS token, pad
    stands in for it. Pad positions are masked out of attention and positions in
    training and sampling alike, so such a stand-in BOS is never seen by the model."""

    def __init__(self, tokenizer: Any, *, bos: int, eos: int, pad: int) -> None:
        self._tokenizer = tokenizer
        self._bos, self._eos, self._pad = bos, eos, pad
        self.vocab_size = int(tokenizer.get_vocab_size(with_added_tokens=True))

    @classmethod
    def from_dir(cls, path: Path) -> CheckpointTokenizer:
        from tokenizers import Tokenizer  # type: ignore[import-untyped]

        file = path / TOKENIZER_FILE
        if not file.is_file():
            raise ModelNotAvailable(
                f"checkpoint {path} has no {TOKENIZER_FILE}: a local checkpoint is used with "
                "its own tokenizer, in the Hugging Face tokenizers format"
            )
        try:
            tokenizer = Tokenizer.from_file(str(file))
        except Exception as exc:  # the Rust library raises plain Exception
            raise ModelNotAvailable(f"cannot read {file}: {exc}") from exc
        ids = _special_ids(path, tokenizer)
        eos = ids["eos"]
        if eos is None:
            raise ModelNotAvailable(
                f"checkpoint {path} names no end-of-sequence token (eos_token in "
                "tokenizer_config.json or eos_token_id in config.json)"
            )
        pad = eos if ids["pad"] is None else ids["pad"]
        bos = pad if ids["bos"] is None else ids["bos"]
        return cls(tokenizer, bos=bos, eos=eos, pad=pad)

    def encode(self, text: str, **_: object) -> list[int]:
        return list(self._tokenizer.encode(text, add_special_tokens=False).ids)

    def decode(self, ids: Iterable[int], **_: object) -> str:
        # Like ByteTokenizer: pad/bos/eos vanish, other special tokens (turn markers)
        # stay in the text, where the answer parser looks for them.
        hidden = {self._bos, self._eos, self._pad}
        kept = [int(i) for i in ids if int(i) not in hidden]
        return str(self._tokenizer.decode(kept, skip_special_tokens=False))

    def bos_id(self) -> int:
        return self._bos

    def eos_id(self) -> int:
        return self._eos

    def pad_id(self) -> int:
        return self._pad


def _special_ids(path: Path, tokenizer: Any) -> dict[str, int | None]:
    """bos/eos/pad ids: tokenizer_config.json's tokens first (a key set to null there
    means "none"), then config.json's *_token_id (the first of a list)."""
    tokens = _read_json(path / "tokenizer_config.json")
    config = _read_json(path / "config.json")
    text_config = config.get("text_config") or {}
    ids: dict[str, int | None] = {}
    for name in ("bos", "eos", "pad"):
        if f"{name}_token" in tokens:
            token = tokens[f"{name}_token"]
            content = token.get("content") if isinstance(token, dict) else token
            ids[name] = None if content is None else _token_id(tokenizer, str(content), path)
            continue
        value = config.get(f"{name}_token_id", text_config.get(f"{name}_token_id"))
        if isinstance(value, list):
            value = value[0] if value else None
        ids[name] = value if isinstance(value, int) else None
    return ids


def _token_id(tokenizer: Any, token: str, path: Path) -> int:
    found = tokenizer.token_to_id(token)
    if found is None:
        raise ModelNotAvailable(
            f"{path / 'tokenizer_config.json'} names {token!r}, not in its vocab"
        )
    return int(found)


def _read_json(file: Path) -> dict[str, Any]:
    if not file.is_file():
        return {}
    try:
        data = json.loads(file.read_text())
    except ValueError as exc:
        raise ModelNotAvailable(f"cannot read {file}: {exc}") from exc
    return data if isinstance(data, dict) else {}
