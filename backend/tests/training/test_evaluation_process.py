"""The evaluation process (`python -m tunix_rt_backend.training.evaluate`) on a really
trained checkpoint: it restores what the run trained (full weights, or LoRA adapters
onto the base) and answers as the trainer itself answered at the end of the run."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import orjson
import pytest

from tunix_rt_backend.training.data import read_export
from tunix_rt_backend.training.evaluate import bucket, plan_batches
from tunix_rt_backend.training.manifest import EvaluationSpec, RunManifest
from tunix_rt_backend.training.tokenizer import ByteTokenizer
from tunix_rt_backend.training.trainer import generation_steps

from .test_training_process import _done, _events, _manifest, _run_process, _train

pytestmark = pytest.mark.training
EVALUATE = [sys.executable, "-m", "tunix_rt_backend.training.evaluate"]


def _evaluate(spec: EvaluationSpec, items: Path, tmp: Path) -> list[dict[str, Any]]:
    path = tmp / "spec.json"
    path.write_text(spec.model_dump_json())
    code, stdout, stderr = _run_process(
        [*EVALUATE, "--spec", str(path), "--dataset", str(items)], timeout=240
    )
    assert code == 0, stderr[-3000:]
    return _events(stdout)


def _texts(events: list[dict[str, Any]]) -> dict[int, str]:
    return {e["index"]: e["output"] for e in events if e["event"] == "answer"}


def _held_out(dataset: Path, tmp: Path) -> Path:
    lines = [line for line in dataset.read_bytes().splitlines() if b'"split":"eval"' in line]
    path = tmp / "items.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")
    return path


@pytest.mark.parametrize("method", ["full", "lora"])
def test_the_evaluation_answers_as_the_trainer_did(
    dataset: Path, tmp_path: Path, method: str
) -> None:
    extra = {"lora_rank": 4, "learning_rate": 1e-2} if method == "lora" else {}
    manifest = _manifest(
        tmp_path / "m.yaml", method=method, max_steps=40, num_generations=8, **extra
    )
    trained = _train(manifest, dataset, tmp_path / "out")
    assert _done(trained)["status"] == "completed"
    generations = {g["prompt"]: g["output"] for g in trained if g["event"] == "generation"}
    assert len(generations) == 8

    items = _held_out(dataset, tmp_path)
    records = [orjson.loads(line) for line in items.read_bytes().splitlines()]
    train, held_out = read_export(dataset)  # the trainer's answer length, from both splits
    spec = EvaluationSpec(
        model_id="tunix-rt/tiny-gemma3",
        training=RunManifest.load(manifest).training,
        checkpoint_root=str(tmp_path / "out" / "checkpoints"),
        batch_size=3,  # 8 items: two full batches and one padded
        max_new_tokens=generation_steps(ByteTokenizer(), [*train, *held_out], 160),
    )
    events = _evaluate(spec, items, tmp_path)
    done = _done(events)
    assert done["status"] == "completed", done
    assert done["summary"]["checkpoint_step"] == 40
    assert done["summary"]["answered"] == 8 and done["summary"]["batches"] == 3
    answers = {e["index"]: e for e in events if e["event"] == "answer"}
    assert sorted(answers) == list(range(8))
    # Greedy on the restored weights: the trainer's own answers, item for item.
    for index, record in enumerate(records):
        assert answers[index]["output"] == generations[record["prompt"]], index
        # Tokens before the answer line (all of them when it wrote none).
        assert answers[index]["output_tokens"] >= answers[index]["reasoning_tokens"] > 0
    progress = [e["value"] for e in events if e["event"] == "metric"]
    assert progress == [3.0, 6.0, 8.0]


def test_a_base_model_is_answered_as_it_is_and_a_missing_checkpoint_fails(
    dataset: Path, tmp_path: Path
) -> None:
    items = _held_out(dataset, tmp_path)
    base = EvaluationSpec(model_id="tunix-rt/tiny-gemma3", batch_size=8, max_new_tokens=4)
    greedy = _evaluate(base, items, tmp_path)
    done = _done(greedy)
    assert done["status"] == "completed" and done["summary"]["checkpoint_step"] is None
    assert done["summary"]["compiled_shapes"] == 1
    assert done["summary"]["decoding"]["temperature"] == 0.0

    # Sampled: seeded, so the same seed answers the same; not the greedy answers.
    sampled = base.model_copy(update={"temperature": 1.0, "seed": 7})
    first, again = (_evaluate(sampled, items, tmp_path) for _ in range(2))
    assert _texts(first) == _texts(again) != _texts(greedy)
    decoding = _done(first)["summary"]["decoding"]
    assert (decoding["temperature"], decoding["top_p"], decoding["seed"]) == (1.0, None, 7)

    missing = base.model_copy(
        update={
            "training": RunManifest.load(_manifest(tmp_path / "m.yaml")).training,
            "checkpoint_root": str(tmp_path / "nothing"),
        }
    )
    path = tmp_path / "spec.json"
    path.write_text(missing.model_dump_json())
    code, stdout, _ = _run_process(
        [*EVALUATE, "--spec", str(path), "--dataset", str(items)], timeout=120
    )
    assert code == 1
    assert "no checkpoints at" in _done(_events(stdout))["summary"]["error"]


def test_batches_never_span_two_length_buckets() -> None:
    assert [bucket(n) for n in (1, 16, 17, 100, 129)] == [16, 16, 32, 128, 256]
    lengths = [40, 10, 100, 12, 90, 35, 11]
    batches = plan_batches(lengths, batch_size=2)
    assert batches == [(16, [1, 6]), (16, [3]), (64, [5, 0]), (128, [4, 2])]
    assert sorted(i for _, b in batches for i in b) == list(range(7))
