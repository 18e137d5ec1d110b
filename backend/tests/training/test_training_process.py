"""A real training run: the built-in tiny Gemma 3 on generated arithmetic, through the
training process exactly as a worker starts it (a subprocess, JSON-line events)."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
import yaml
from safetensors.numpy import load_file

from tunix_rt_backend.templates.gemma_reasoning import TEMPLATE_SHA256, render_prompt
from tunix_rt_backend.training.tokenizer import ByteTokenizer

pytestmark = pytest.mark.training
TRAIN = [sys.executable, "-m", "tunix_rt_backend.training"]


def _manifest(path: Path, **training: Any) -> Path:
    document = {
        "version": "1.0",
        "runner": "tunix",
        "task": "sft",
        "model": {"id": "tunix-rt/tiny-gemma3"},
        "dataset": {"key": "sums-v1", "format": "tunix_sft"},
        "template": {"name": "gemma-reasoning-v1", "sha256": TEMPLATE_SHA256},
        "training": {
            "learning_rate": 3e-3,
            "batch_size": 8,
            "max_seq_length": 160,
            "warmup_steps": 5,
            "eval_every_n_steps": 20,
            "checkpoint_every_n_steps": 20,
            "num_generations": 2,
            **training,
        },
        "output": {"dir": "run"},
    }
    path.write_text(yaml.safe_dump(document))
    return path


def _events(stdout: str) -> list[dict[str, Any]]:
    return [orjson.loads(line) for line in stdout.splitlines() if line.startswith("{")]


def _run_process(command: list[str], timeout: float) -> tuple[int | None, str, str]:
    """Runs a training process; one stuck past `timeout` prints every thread's stack
    (SIGUSR1, faulthandler) before it is killed, so its stderr shows where it stood."""
    proc = subprocess.Popen(
        command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    try:
        out, err = proc.communicate(timeout=timeout)
        return proc.returncode, out.decode(), err.decode()
    except subprocess.TimeoutExpired:
        proc.send_signal(signal.SIGUSR1)
        time.sleep(3)
        proc.kill()
        out, err = proc.communicate()
        return None, out.decode(), err.decode()


def _train(manifest: Path, dataset: Path, out: Path, *extra: str) -> list[dict[str, Any]]:
    args = ["--manifest", str(manifest), "--dataset", str(dataset), "--output-dir", str(out)]
    code, stdout, stderr = _run_process([*TRAIN, *args, *extra], timeout=240)
    if code is None:
        pytest.fail(f"training timed out; stdout:\n{stdout[-3000:]}\nstderr:\n{stderr[-6000:]}")
    assert code == 0, stderr[-3000:]
    return _events(stdout)


def _restore(manifest: Path, out: Path) -> dict[str, Any]:
    """Restore the latest checkpoint in a fresh process: {step, params_sha256}."""
    command = [sys.executable, "-m", "tunix_rt_backend.training.restore"]
    args = ["--manifest", str(manifest), "--output-dir", str(out)]
    restored = subprocess.run(
        [*command, *args], capture_output=True, text=True, timeout=120, check=True
    )
    result: dict[str, Any] = orjson.loads(restored.stdout.strip().splitlines()[-1])
    return result


def _done(events: list[dict[str, Any]]) -> dict[str, Any]:
    assert events[-1]["event"] == "done", events[-1]
    return events[-1]


@pytest.fixture(scope="module")
def first_run(
    dataset: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Path, Path, list[dict[str, Any]]]]:
    root = tmp_path_factory.mktemp("run")
    manifest = _manifest(root / "m.yaml", max_steps=60)
    yield manifest, root / "out", _train(manifest, dataset, root / "out")


def test_loss_falls_below_half_and_checkpoints_are_reported(
    first_run: tuple[Path, Path, list[dict[str, Any]]],
) -> None:
    _, out, events = first_run
    done = _done(events)
    assert done["status"] == "completed"
    summary = done["summary"]
    assert summary["steps"] == 60
    assert summary["final_loss"] < 0.5 * summary["initial_loss"]
    losses = [e for e in events if e["event"] == "metric" and e["name"] == "train/loss"]
    assert len(losses) == 60
    assert any(e["event"] == "metric" and e["name"] == "eval/loss" for e in events)
    # Throughput from the second loss point on, in the range of the trainer's own figure.
    from tunix_rt_backend.training.trainer import STEPS_PER_SECOND, TOKENS_PER_SECOND

    for name, overall in (
        (TOKENS_PER_SECOND, "tokens_per_second"),
        (STEPS_PER_SECOND, "steps_per_second"),
    ):
        rates = [e for e in events if e["event"] == "metric" and e["name"] == name]
        assert [e["step"] for e in rates] == [e["step"] for e in losses[1:]]
        assert all(e["value"] > 0 for e in rates)
        # The latest steps' pace, near the whole run's (which counts the compilation too).
        assert 0.2 < rates[-1]["value"] / summary[overall] < 5
    checkpoints = [e["step"] for e in events if e["event"] == "checkpoint"]
    assert {20, 40, 60} <= set(checkpoints)
    assert (out / "checkpoints" / "60" / "commit_success.txt").exists()
    generations = [e for e in events if e["event"] == "generation"]
    assert len(generations) == 2
    assert all(g["prompt"].startswith("<start_of_turn>user\n") for g in generations)


def test_throughput_is_measured_over_the_latest_steps(capsys: pytest.CaptureFixture[str]) -> None:
    from tunix_rt_backend.training.trainer import STEPS_PER_SECOND, TOKENS_PER_SECOND, EventBackend

    times = iter([0.0, 1.0, 2.0, *(2.0 + 0.5 * n for n in range(1, 20))])
    backend = EventBackend(tokens_per_step=100, clock=lambda: next(times))
    for step in range(1, 23):
        backend.log_scalar("/train/loss", 1.0, step=step)
    backend.log_scalar("/train/learning_rate", 0.1, step=23)  # no loss point: no rate
    emitted = _events(capsys.readouterr().out)
    rates = {e["step"]: e["value"] for e in emitted if e["name"] == TOKENS_PER_SECOND}
    paces = {e["step"]: e["value"] for e in emitted if e["name"] == STEPS_PER_SECOND}
    assert list(rates) == list(paces) == list(range(2, 23))
    assert rates[2] == rates[3] == 100.0  # a step a second
    assert paces[3] == 1.0 and paces[22] == 2.0
    # 0.5 s a step from step 3 on: over steps 1-8 at step 8; the window's 10 steps
    # leave the slow ones behind.
    assert rates[8] == pytest.approx(7 * 100 / 4.5, abs=0.1)
    assert rates[22] == 200.0


def test_checkpoint_restores_identical_weights_in_a_fresh_process(
    first_run: tuple[Path, Path, list[dict[str, Any]]],
) -> None:
    manifest, out, events = first_run
    result = _restore(manifest, out)
    assert result["step"] == 60
    assert result["params_sha256"] == _done(events)["summary"]["params_sha256"]


def test_resume_continues_from_the_checkpoint_step(
    first_run: tuple[Path, Path, list[dict[str, Any]]], dataset: Path, tmp_path: Path
) -> None:
    manifest, out, _ = first_run
    longer = _manifest(tmp_path / "m.yaml", max_steps=80)
    events = _train(longer, dataset, out, "--resume")
    summary = _done(events)["summary"]
    assert summary["start_step"] == 60
    assert summary["steps"] == 80
    steps = [e["step"] for e in events if e["event"] == "metric" and e["name"] == "train/loss"]
    assert min(steps) == 61 and max(steps) == 80
    assert manifest.exists()


def test_new_run_refuses_an_output_dir_with_checkpoints(
    first_run: tuple[Path, Path, list[dict[str, Any]]], dataset: Path
) -> None:
    manifest, out, _ = first_run
    done = subprocess.run(
        [*TRAIN, "--manifest", str(manifest), "--dataset", str(dataset), "--output-dir", str(out)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 1
    assert "already holds checkpoints" in _done(_events(done.stdout))["summary"]["error"]


def test_stop_request_ends_with_a_final_checkpoint(dataset: Path, tmp_path: Path) -> None:
    manifest = _manifest(tmp_path / "m.yaml", max_steps=5000, checkpoint_every_n_steps=1000)
    out = tmp_path / "out"
    args = ["--manifest", str(manifest), "--dataset", str(dataset), "--output-dir", str(out)]
    events: list[dict[str, Any]] = []
    with subprocess.Popen(
        [*TRAIN, *args], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
    ) as proc:
        assert proc.stdout is not None
        for line in proc.stdout:
            events.append(orjson.loads(line))
            if events[-1]["event"] == "metric" and events[-1]["step"] == 10:
                proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=120) == 0
    done = _done(events)
    assert done["status"] == "cancelled"
    stopped_at = done["summary"]["steps"]
    assert 10 <= stopped_at < 5000
    assert done["summary"]["latest_checkpoint"] == stopped_at
    assert (out / "checkpoints" / str(stopped_at) / "commit_success.txt").exists()


def test_generation_is_sized_from_the_longest_completion() -> None:
    from tunix_rt_backend.training.tokenizer import ByteTokenizer
    from tunix_rt_backend.training.trainer import GENERATION_MARGIN, generation_steps

    records = [{"completion": "x" * 300}, {"completion": "short"}]
    assert generation_steps(ByteTokenizer(), records, 1024) == 300 + GENERATION_MARGIN
    assert generation_steps(ByteTokenizer(), records, 256) == 256


def test_lora_run_trains_adapters_that_restore_onto_the_base(dataset: Path, tmp_path: Path) -> None:
    manifest = _manifest(
        tmp_path / "m.yaml", method="lora", lora_rank=4, max_steps=10, num_generations=0
    )
    out = tmp_path / "out"
    done = _done(_train(manifest, dataset, out))
    assert done["status"] == "completed"
    assert done["summary"]["steps"] == 10
    result = _restore(manifest, out)
    assert result == {"step": 10, "params_sha256": done["summary"]["params_sha256"]}

    # Exported, the adapters are merged into the weights: the plain Gemma 3 that the
    # exported directory loads as answers as the adapted model does.
    exported = _export_hf(manifest, out, tmp_path / "hf")
    assert exported["params_sha256"] == done["summary"]["params_sha256"]
    assert exported["max_logit_difference"] <= 1e-3
    names = load_file(str(tmp_path / "hf" / "model.safetensors")).keys()
    assert len(names) == 1 + 2 * 13 + 1 and not [n for n in names if "lora" in n]


def _export_hf(manifest: Path, out: Path, target: Path) -> dict[str, Any]:
    command = [sys.executable, "-m", "tunix_rt_backend.training.export_hf"]
    args = ["--manifest", str(manifest), "--output-dir", str(out), "--out", str(target)]
    done = subprocess.run([*command, *args], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    result: dict[str, Any] = orjson.loads(done.stdout.strip().splitlines()[-1])
    return result


def test_a_checkpoint_exports_to_a_hugging_face_directory_with_the_same_logits(
    first_run: tuple[Path, Path, list[dict[str, Any]]], tmp_path: Path
) -> None:
    from transformers import AutoConfig, AutoTokenizer

    manifest, out, _ = first_run
    target = tmp_path / "hf"
    result = _export_hf(manifest, out, target)
    # The latest checkpoint's weights (the resume test may have trained on meanwhile).
    restored = _restore(manifest, out)
    assert (result["step"], result["params_sha256"]) == (
        restored["step"],
        restored["params_sha256"],
    )
    assert result["max_logit_difference"] <= 1e-3
    assert result["files"] == [
        "config.json",
        "generation_config.json",
        "model.safetensors",
        "tokenizer.json",
        "tokenizer_config.json",
        "tunix_rt.json",
    ]
    config = AutoConfig.from_pretrained(str(target))
    assert (config.model_type, config.num_hidden_layers, config.vocab_size) == (
        "gemma3_text",
        2,
        261,
    )
    record = orjson.loads((target / "tunix_rt.json").read_bytes())
    assert record["template_sha256"] == TEMPLATE_SHA256
    # The chat template renders the prompt exactly as training did, and the tokenizer
    # gives the training tokenizer's ids (with Gemma's <bos> in front).
    tokenizer = AutoTokenizer.from_pretrained(str(target))
    question = "What is 17 + 25?"
    chat = [{"role": "user", "content": question}]
    text = tokenizer.apply_chat_template(chat, add_generation_prompt=True, tokenize=False)
    assert text == "<bos>" + render_prompt(question)
    ids = tokenizer(render_prompt(question))["input_ids"]
    assert ids == [ByteTokenizer.BOS, *ByteTokenizer().encode(render_prompt(question))]
    assert tokenizer.decode(ids, skip_special_tokens=True) == render_prompt(question).replace(
        "<start_of_turn>", ""
    ).replace("<end_of_turn>", "")
