"""The exported `tunix_sft` dataset as token arrays: the loss mask covers the
completion only (the model learns to answer, not to repeat the question)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import orjson


class Tokenizer(Protocol):
    def encode(self, text: str) -> list[int]: ...
    def bos_id(self) -> int: ...
    def eos_id(self) -> int: ...
    def pad_id(self) -> int: ...


@dataclass
class Examples:
    records: list[dict[str, Any]]
    tokens: np.ndarray  # [N, L] int32, right-padded
    loss_mask: np.ndarray  # [N, L] int32, 1 on completion tokens
    truncated: int  # examples cut at max_seq_length

    def __len__(self) -> int:
        return len(self.records)


def read_export(path: Path) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(train, eval) records; lines without a split (a trace_ids export) train."""
    train: list[dict[str, Any]] = []
    evals: list[dict[str, Any]] = []
    with path.open("rb") as lines:
        for line in lines:
            if line.strip():
                record = orjson.loads(line)
                (evals if record.get("split") == "eval" else train).append(record)
    return train, evals


def tokenize(records: list[dict[str, Any]], tok: Tokenizer, max_len: int) -> Examples:
    pad = tok.pad_id()
    tokens = np.full((len(records), max_len), pad, np.int32)
    mask = np.zeros((len(records), max_len), np.int32)
    truncated = 0
    for row, record in enumerate(records):
        prompt = [tok.bos_id(), *tok.encode(record["prompt"])]
        ids = prompt + tok.encode(record["completion"]) + [tok.eos_id()]
        truncated += len(ids) > max_len
        ids = ids[:max_len]
        tokens[row, : len(ids)] = ids
        mask[row, len(prompt) : len(ids)] = 1
    return Examples(records, tokens, mask, truncated)


def steps_per_epoch(count: int, batch_size: int) -> int:
    # Matches batch_indices: full batches only (a partial last batch is dropped).
    return max(1, count // batch_size)


def batch_indices(count: int, batch_size: int, seed: int) -> Iterator[np.ndarray]:
    """Endless batches of row indices, reshuffled each epoch with the seed: the same
    order on every run, which a resumed run relies on (it fast-forwards)."""
    rng = np.random.default_rng(seed)
    while True:
        order = rng.permutation(count)
        if count < batch_size:  # a tiny dataset still fills a batch
            order = np.resize(order, batch_size)
        for start in range(0, len(order) - batch_size + 1, batch_size):
            yield order[start : start + batch_size]
