"""The model process (training/serve_model.py) driven as the server drives it: JSON
lines in, events out, with a built-in model (random weights, so answers are
deterministic bytes): batched answers equal answers alone, stop strings, cancel,
prompts too long, logprobs, and a clean exit when its input closes."""

from __future__ import annotations

import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from queue import Empty, Queue
from typing import Any

import orjson
import pytest

from tunix_rt_backend.templates.gemma_reasoning import render_prompt
from tunix_rt_backend.training.tokenizer import ByteTokenizer

pytestmark = pytest.mark.training

PROMPTS = [render_prompt(q) for q in ("What is 2+2?", "Name a colour.", "hi", "Sum 17 and 25.")]


class ModelProcess:
    def __init__(self, spec: Path) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tunix_rt_backend.training.serve_model", "--spec", str(spec)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        self.events: Queue[dict[str, Any]] = Queue()
        self.seen: list[dict[str, Any]] = []
        threading.Thread(target=self._read, daemon=True).start()
        ready = self.next(timeout=120)
        assert ready["event"] == "ready", ready
        self.context_length = ready["context_length"]

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.events.put(orjson.loads(line))

    def send(self, **message: Any) -> None:
        self.send_all([message])

    def send_all(self, messages: list[dict[str, Any]]) -> None:
        """In one write: they arrive together, as concurrent clients' requests do."""
        assert self.proc.stdin is not None
        self.proc.stdin.write(b"".join(orjson.dumps(m) + b"\n" for m in messages))
        self.proc.stdin.flush()

    def next(self, timeout: float = 60) -> dict[str, Any]:
        try:
            event = self.events.get(timeout=timeout)
        except Empty:
            raise AssertionError(f"no event in {timeout} s; seen {self.seen[-5:]}") from None
        self.seen.append(event)
        return event

    def answers(self, ids: set[str]) -> dict[str, dict[str, Any]]:
        """Events until every request in `ids` is done: {id: done event + its text}."""
        texts: dict[str, list[str]] = {i: [] for i in ids}
        done: dict[str, dict[str, Any]] = {}
        while set(done) != ids:
            event = self.next()
            if event.get("id") in ids:
                if event["event"] == "text":
                    texts[event["id"]].append(event["text"])
                elif event["event"] in ("done", "error"):
                    done[event["id"]] = {**event, "text": "".join(texts[event["id"]])}
        return done

    def ask(self, request_id: str, **message: Any) -> dict[str, Any]:
        self.send(op="generate", id=request_id, **message)
        return self.answers({request_id})[request_id]


@pytest.fixture(scope="module")
def model(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ModelProcess]:
    spec = tmp_path_factory.mktemp("serve") / "spec.json"
    # A window long enough to batch; at most 4 tokens a chunk, so a stream has several.
    spec.write_text(
        '{"model_id": "tunix-rt/tiny-gemma3", "batch_window_ms": 200, "max_chunk_steps": 4}'
    )
    process = ModelProcess(spec)
    yield process
    if process.proc.poll() is None:
        process.proc.kill()
        process.proc.wait()
    for pipe in (process.proc.stdin, process.proc.stdout):
        if pipe is not None and not pipe.closed:
            pipe.close()


def test_requests_decoded_together_get_the_answers_each_gets_alone(model: ModelProcess) -> None:
    alone = {
        f"solo{i}": model.ask(f"solo{i}", prompt=p, max_tokens=24 + 8 * i)
        for i, p in enumerate(PROMPTS)
    }
    model.send_all(
        [
            {"op": "generate", "id": f"b{i}", "prompt": p, "max_tokens": 24 + 8 * i}
            for i, p in enumerate(PROMPTS)
        ]
    )
    together = model.answers({f"b{i}" for i in range(len(PROMPTS))})
    batch = model.next()  # written once the batch's requests are done
    assert (batch["event"], batch["size"], batch["rows"]) == ("batch", len(PROMPTS), 4)
    for i in range(len(PROMPTS)):
        solo, batched = alone[f"solo{i}"], together[f"b{i}"]
        assert batched["text"] == solo["text"] and batched["text"]
        assert batched["completion_tokens"] == solo["completion_tokens"]
        assert batched["prompt_tokens"] == solo["prompt_tokens"]
    # The longest was streamed: text came while it was still being decoded (random
    # weights write bytes that are not UTF-8; a character cut between tokens waits).
    pieces = [e for e in model.seen if e["event"] == "text" and e["id"] == "b3"]
    assert len(pieces) > 1 and pieces[0]["completion_tokens"] < together["b3"]["completion_tokens"]


def test_a_stop_string_ends_the_answer_before_it(model: ModelProcess) -> None:
    full = model.ask("full", prompt=PROMPTS[0], max_tokens=40)
    assert model.next()["event"] == "batch"
    stop = full["text"][10:13]
    cut = model.ask("cut", prompt=PROMPTS[0], max_tokens=40, stop=[stop, "never-written"])
    assert cut["finish_reason"] == "stop"
    assert cut["text"] == full["text"][: full["text"].index(stop)]
    # Counted: the tokens of the text kept, not those decoded past the stop string.
    assert cut["completion_tokens"] < 20
    assert full["finish_reason"] == "length" and full["completion_tokens"] == 40


def test_greedy_and_sampled_requests_share_a_batch_and_a_seed_repeats(model: ModelProcess) -> None:
    greedy = model.ask("g-solo", prompt=PROMPTS[0], max_tokens=16)
    common = {"op": "generate", "prompt": PROMPTS[0], "max_tokens": 16, "top_p": 0.95}
    model.send_all(
        [
            {**common, "id": "g", "temperature": 0},
            {**common, "id": "s1", "temperature": 0.9, "seed": 7},
            {**common, "id": "s2", "temperature": 1.3, "seed": 8},
        ]
    )
    together = model.answers({"g", "s1", "s2"})
    batch = model.next()
    assert (batch["event"], batch["size"]) == ("batch", 3)
    assert together["g"]["text"] == greedy["text"]  # sampled neighbours change nothing
    again = model.ask(
        "s1-again", prompt=PROMPTS[0], max_tokens=16, temperature=0.9, top_p=0.95, seed=7
    )
    assert again["text"] == together["s1"]["text"]  # the same seed, the same sample
    assert together["s1"]["text"] != together["s2"]["text"]


def test_a_prompt_of_token_ids_is_answered_and_ids_past_the_vocabulary_refused(
    model: ModelProcess,
) -> None:
    by_text = model.ask("text", prompt="hi", max_tokens=4)
    tok = ByteTokenizer()
    ids = [tok.bos_id(), *tok.encode("hi")]
    by_ids = model.ask("ids", prompt_ids=ids, max_tokens=4)
    assert by_ids["event"] == "done" and by_ids["text"] == by_text["text"]
    refused = model.ask("bad-ids", prompt_ids=[2, 10**6], max_tokens=4)
    assert (refused["event"], refused["code"]) == ("error", "invalid_prompt")


def test_a_cancelled_request_stops_being_decoded(model: ModelProcess) -> None:
    model.send(op="generate", id="long", prompt=PROMPTS[1], max_tokens=4000)
    while model.next()["event"] != "text":
        pass
    model.send(op="cancel", id="long")
    done = model.answers({"long"})["long"]
    assert done["finish_reason"] == "cancelled"
    assert done["completion_tokens"] < 400
    # And the next request is answered at once.
    assert model.ask("after", prompt=PROMPTS[2], max_tokens=4)["finish_reason"] == "length"


def test_a_prompt_too_long_is_refused_and_the_model_goes_on(model: ModelProcess) -> None:
    too_long = model.ask("big", prompt="x" * model.context_length, max_tokens=8)
    assert too_long["event"] == "error" and too_long["code"] == "context_length_exceeded"
    assert f"maximum context length is {model.context_length} tokens" in too_long["message"]
    # max_tokens left to the server: as many as fit.
    fitted = model.ask(
        "fit", prompt="x" * (model.context_length - 20), max_tokens=2048, max_tokens_fit=True
    )
    assert fitted["completion_tokens"] + fitted["prompt_tokens"] <= model.context_length
    assert fitted["event"] == "done"


def test_logprobs_of_the_prompt_and_of_a_greedy_answer(model: ModelProcess) -> None:
    echo = model.ask("echo", prompt="hello there", max_tokens=0, echo=True, logprobs=2)
    logprobs = echo["logprobs"]
    assert echo["completion_tokens"] == 0 and echo["finish_reason"] == "length"
    assert "".join(logprobs["tokens"]) == "hello there"  # <bos> shows as ""
    assert len(logprobs["tokens"]) == echo["prompt_tokens"] == 12
    assert logprobs["token_logprobs"][0] is None and logprobs["top_logprobs"][0] is None
    assert all(lp <= 0 for lp in logprobs["token_logprobs"][1:])
    assert all(len(top) <= 2 for top in logprobs["top_logprobs"][1:])
    assert logprobs["text_offset"][:3] == [0, 0, 1]

    greedy = model.ask("greedy", prompt="hello there", max_tokens=6, logprobs=1)
    lp = greedy["logprobs"]
    assert "".join(lp["tokens"]) == greedy["text"] and len(lp["tokens"]) == 6
    for token, value, top in zip(
        lp["tokens"], lp["token_logprobs"], lp["top_logprobs"], strict=True
    ):
        # Greedy: each token is the most likely one at its place.
        assert list(top) == [token] and top[token] == pytest.approx(value, abs=1e-4)


def test_closing_its_input_ends_the_process(model: ModelProcess) -> None:
    assert model.proc.stdin is not None
    model.proc.stdin.close()
    assert model.proc.wait(timeout=30) == 0
