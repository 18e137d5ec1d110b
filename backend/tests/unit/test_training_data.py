"""The training process's pure-Python parts: tokenizer, manifest, data."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest
import yaml
from pydantic import ValidationError

from tunix_rt_backend.generators.high_card_duel import game_trace
from tunix_rt_backend.templates.gemma_reasoning import TEMPLATE_SHA256, render_trace
from tunix_rt_backend.training import data
from tunix_rt_backend.training.manifest import RunManifest
from tunix_rt_backend.training.tokenizer import ByteTokenizer


def test_byte_tokenizer_round_trips_text_with_turn_markers() -> None:
    tok = ByteTokenizer()
    text = "<start_of_turn>user\n27 × 19 < 600?<end_of_turn>\n<start_of_turn>model\n"
    ids = tok.encode(text)
    assert ids[0] == 3
    assert 4 in ids
    assert tok.decode(ids) == text
    assert all(0 <= i < tok.vocab_size for i in ids)
    assert tok.decode([tok.BOS, *tok.encode("hi"), tok.EOS, tok.PAD]) == "hi"


def _record(split: str | None, n: int) -> dict[str, object]:
    example = render_trace(game_trace(n))
    return {"id": str(n), "split": split, **example._asdict(), "final_answer": "x"}


def test_read_export_splits_train_and_eval(tmp_path: Path) -> None:
    path = tmp_path / "d.jsonl"
    records = [_record("train", 0), _record("eval", 1), _record(None, 2)]
    path.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in records) + b"\n")
    train, evals = data.read_export(path)
    assert [r["id"] for r in train] == ["0", "2"]
    assert [r["id"] for r in evals] == ["1"]


def test_tokenize_masks_the_loss_to_the_completion() -> None:
    tok = ByteTokenizer()
    record = _record("train", 0)
    examples = data.tokenize([record], tok, max_len=512)
    prompt_len = 1 + len(tok.encode(str(record["prompt"])))
    completion_len = len(tok.encode(str(record["completion"]))) + 1
    row, mask = examples.tokens[0], examples.loss_mask[0]
    assert row[0] == tok.BOS
    assert mask[:prompt_len].sum() == 0
    assert mask.sum() == completion_len
    assert row[prompt_len + completion_len - 1] == tok.EOS
    assert (row[prompt_len + completion_len :] == tok.PAD).all()
    assert examples.truncated == 0


def test_tokenize_truncates_long_examples_and_counts_them() -> None:
    examples = data.tokenize([_record("train", 0)], ByteTokenizer(), max_len=64)
    assert examples.tokens.shape == (1, 64)
    assert examples.truncated == 1


def test_batches_are_seeded_and_cover_an_epoch() -> None:
    first = data.batch_indices(10, 4, seed=3)
    again = data.batch_indices(10, 4, seed=3)
    batches = [next(first) for _ in range(2)]
    assert all(
        (a == b).all() for a, b in zip(batches, [next(again) for _ in range(2)], strict=True)
    )
    assert len(set(int(i) for b in batches for i in b)) == 8
    assert data.steps_per_epoch(10, 4) == 2
    tiny = next(data.batch_indices(3, 8, seed=0))
    assert len(tiny) == 8


def _manifest(**training: object) -> dict[str, object]:
    return {
        "version": "1.0",
        "runner": "tunix",
        "task": "sft",
        "model": {"id": "tunix-rt/tiny-gemma3"},
        "dataset": {"key": "d-v1", "format": "tunix_sft", "content_sha256": "ab"},
        "template": {"name": "gemma-reasoning-v1", "sha256": TEMPLATE_SHA256},
        "training": {"learning_rate": 0.003, **training},
        "output": {"dir": "run"},
    }


def test_manifest_reads_the_yaml_with_defaults() -> None:
    manifest = RunManifest.from_yaml(yaml.safe_dump(_manifest(max_steps=10)))
    assert manifest.training.max_steps == 10
    assert manifest.training.method == "full"
    assert manifest.training.lr_schedule == "cosine"
    assert manifest.model.id == "tunix-rt/tiny-gemma3"


@pytest.mark.parametrize(
    "training", [{"method": "qlora"}, {"batch_size": 0}, {"max_steps": 0}, {"epochs": 2}]
)
def test_manifest_refuses_bad_training_settings(training: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        RunManifest.from_yaml(yaml.safe_dump(_manifest(**training)))
