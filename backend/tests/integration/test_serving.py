"""Serving as a user meets it: a real `tunix-rt serve` trains a tiny model on the
High Card Duel task, evaluates it, registers it under an alias, and answers the
official `openai` client with it. The served greedy answers are the evaluation's, a
stream adds up to the whole answer, concurrent clients get their own answers, a
client that goes away frees its slot, a crashed model process fails its requests and
is replaced, at most SERVING_MAX_MODELS models stay loaded, and auth holds."""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Generator, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import openai
import orjson
import pytest
from openai.types.chat import ChatCompletionMessageParam

from tests.processes import ServerProcess, cli_env, untraced, wait_for
from tunix_rt_backend.templates.gemma_reasoning import parse_completion

pytestmark = pytest.mark.training

TINY = "tunix-rt/tiny-gemma3"
ALIAS = "hcd:staging"
# The demo's task and settings (README, "The demo"), shorter: enough to write the format.
TRAINING = {
    "model_id": TINY,
    "dry_run": False,
    "max_steps": 200,
    "batch_size": 8,
    "learning_rate": 5e-3,
    "warmup_steps": 40,
    "max_seq_length": 240,
    "eval_every_n_steps": 200,
    "checkpoint_every_n_steps": 200,
    "num_generations": 0,
}
ENDED = ("completed", "failed", "timeout", "cancelled")


@dataclass
class Served:
    server: ServerProcess
    http: httpx.Client
    run_id: str
    evaluation: dict[str, Any]
    items: list[dict[str, Any]]  # the evaluation's, each with its trace's question

    def client(self, api_key: str = "unused", **kw: Any) -> openai.OpenAI:
        return openai.OpenAI(
            base_url=f"{self.server.base}/v1", api_key=api_key, max_retries=0, **kw
        )

    def status(self) -> dict[str, Any]:
        status: dict[str, Any] = self.http.get("/api/serving/status").json()
        return status


def _ok(response: httpx.Response) -> Any:
    assert response.status_code in (200, 201, 202), response.text
    return response.json()


def _ended(http: httpx.Client, path: str) -> dict[str, Any]:
    def ended() -> dict[str, Any] | None:
        response = http.get(path)
        body = response.json() if response.status_code == 200 else None
        return body if body and body["status"] in ENDED else None

    result: dict[str, Any] = wait_for(ended, 900, f"{path} did not end")
    return result


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    tmp = tmp_path_factory.mktemp("serving")
    env = untraced(cli_env(DATA_DIR=str(tmp / "data"), SERVING_MAX_MODELS="2"))
    server = ServerProcess(env, tmp / "server.log")
    try:
        with server.client() as http:
            _ok(http.post("/api/ungar/high-card-duel/generate", json={"count": 1200, "seed": 0}))
            dataset = _ok(http.post("/api/datasets/build", json={"name": "hcd", "limit": 1200}))
            body = {"dataset_key": dataset["dataset_key"], **TRAINING}
            run_id = _ok(http.post("/api/tunix/run?mode=async", json=body))["run_id"]
            run = _ended(http, f"/api/tunix/runs/{run_id}")
            assert run["status"] == "completed", run["message"]
            evaluation = _ended(http, f"/api/tunix/runs/{run_id}/evaluation")
            assert evaluation["status"] == "completed", evaluation
            page = _ok(http.get(f"/api/evaluations/{evaluation['id']}/items?limit=8"))
            items = [
                {
                    **item,
                    "question": _ok(http.get(f"/api/traces/{item['trace_id']}"))["payload"][
                        "prompt"
                    ],
                }
                for item in page["data"]
            ]
            model_id = _ok(http.post("/api/models", json={"name": "hcd"}))["id"]
            version = _ok(
                http.post(
                    f"/api/models/{model_id}/versions/promote", json={"source_run_id": run_id}
                )
            )
            _ok(
                http.put(
                    f"/api/models/{model_id}/aliases/staging", json={"version_id": version["id"]}
                )
            )
            yield Served(server, http, run_id, evaluation, items)
    except BaseException:
        server.kill()
        print((tmp / "server.log").read_text()[-5000:])
        raise
    server.stop()


def test_the_alias_answers_held_out_prompts_as_its_evaluation_did(served: Served) -> None:
    client = served.client()
    listed = {m.id for m in client.models.list()}
    assert {ALIAS, "hcd@v1", f"run-{served.run_id}", TINY} <= listed
    max_tokens = served.evaluation["decoding"]["max_new_tokens"]
    for item in served.items:
        messages: list[ChatCompletionMessageParam] = [{"role": "user", "content": item["question"]}]
        answer = client.chat.completions.create(
            model=ALIAS,
            messages=messages,
            temperature=0,
            max_tokens=max_tokens,
        )
        choice = answer.choices[0]
        reasoning = getattr(choice.message, "reasoning_content", None)
        parsed = parse_completion(item["output"])
        # The evaluation's output, split: the steps apart from the final answer.
        assert choice.message.content == parsed.answer, (item["output"], choice.message)
        assert reasoning == parsed.reasoning.rstrip("\n") if parsed.reasoning else reasoning is None
        assert choice.finish_reason == "stop"
        assert answer.usage is not None
        assert answer.usage.completion_tokens == item["output_tokens"]
        assert answer.usage.total_tokens == answer.usage.prompt_tokens + item["output_tokens"]

        # Streamed, the pieces add up to the same message, then one final chunk.
        stream = client.chat.completions.create(
            model=ALIAS,
            messages=messages,
            temperature=0,
            max_tokens=max_tokens,
            stream=True,
            stream_options={"include_usage": True},
        )
        chunks = list(stream)
        deltas = [c.choices[0].delta for c in chunks if c.choices]
        streamed_content = "".join(d.content or "" for d in deltas)
        streamed_reasoning = "".join(getattr(d, "reasoning_content", None) or "" for d in deltas)
        assert (streamed_content, streamed_reasoning or None) == (choice.message.content, reasoning)
        assert deltas[0].role == "assistant"
        finals = [c.choices[0].finish_reason for c in chunks if c.choices]
        assert finals[-1] == "stop" and not any(finals[:-1])
        assert chunks[-1].choices == [] and chunks[-1].usage == answer.usage

        # The raw prompt through /v1/completions: the evaluation's output itself.
        raw = client.completions.create(
            model=ALIAS, prompt=item["prompt"], temperature=0, max_tokens=max_tokens
        )
        assert raw.choices[0].text == item["output"]


def test_completions_echo_the_prompt_with_its_logprobs(served: Served) -> None:
    client = served.client()
    prompt = served.items[0]["prompt"]
    scored = client.completions.create(
        model=ALIAS, prompt=prompt, max_tokens=0, echo=True, logprobs=1, temperature=0
    )
    choice = scored.choices[0]
    assert choice.text == prompt
    assert choice.logprobs is not None and scored.usage is not None
    tokens = choice.logprobs.tokens or []
    assert "".join(tokens) == prompt and len(tokens) == scored.usage.prompt_tokens
    values = choice.logprobs.token_logprobs or []
    assert values[0] is None and all(v <= 0 for v in values[1:])
    assert scored.usage.completion_tokens == 0

    # Greedy: every written token is the most likely one where it stands.
    greedy = client.completions.create(
        model=ALIAS, prompt=prompt, max_tokens=12, logprobs=2, temperature=0, stop=["Answer"]
    )
    written = greedy.choices[0]
    assert written.logprobs is not None
    assert "".join(written.logprobs.tokens or []) == written.text
    for token, top in zip(
        written.logprobs.tokens or [], written.logprobs.top_logprobs or [], strict=True
    ):
        assert max(top, key=top.get) == token

    # Scoring a whole answer, lm-evaluation-harness's way (the answer is the prompt's
    # end; one token more is asked for): the turn's end comes next, and is scored too.
    whole = client.completions.create(
        model=ALIAS, prompt=prompt + served.items[0]["output"], max_tokens=1, echo=True,
        logprobs=1, temperature=0,
    )  # fmt: skip
    ended = whole.choices[0]
    assert ended.finish_reason == "stop" and ended.logprobs is not None
    assert whole.usage is not None and whole.usage.completion_tokens == 0
    assert (ended.logprobs.tokens or [])[-1] == ""  # the end of turn, shown as nothing
    assert len(ended.logprobs.tokens or []) == whole.usage.prompt_tokens + 1
    assert -1.0 < (ended.logprobs.token_logprobs or [])[-1] <= 0  # trained: it is sure

    # A batch of prompts, lm-evaluation-harness's way: one choice each, in order.
    batch = client.completions.create(
        model=ALIAS, prompt=[i["prompt"] for i in served.items[:3]], max_tokens=4, temperature=0
    )
    assert [c.index for c in batch.choices] == [0, 1, 2]
    assert [c.text for c in batch.choices] == [
        i["output"][: len(c.text)] for i, c in zip(served.items, batch.choices, strict=False)
    ]


def test_concurrent_clients_get_their_own_answers(served: Served) -> None:
    client = served.client()
    max_tokens = served.evaluation["decoding"]["max_new_tokens"]
    answers: dict[int, str] = {}

    def ask(k: int) -> None:
        answer = client.completions.create(
            model=ALIAS, prompt=served.items[k]["prompt"], temperature=0, max_tokens=max_tokens
        )
        answers[k] = answer.choices[0].text

    threads = [threading.Thread(target=ask, args=(k,)) for k in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert answers == {k: served.items[k]["output"] for k in range(6)}
    (loaded,) = [
        m
        for m in served.status()["models"]
        if m["model_id"] == TINY and m["key"].startswith("version:")
    ]
    assert loaded["mean_batch_size"] > 1  # some of them shared a batch


def _stream_lines(http: httpx.Client, body: dict[str, Any]) -> Generator[dict[str, Any]]:
    with http.stream("POST", "/v1/completions", json={**body, "stream": True}) as response:
        assert response.status_code == 200, response.read()
        for line in response.iter_lines():
            if line.startswith("data: {"):
                yield orjson.loads(line[6:])


def test_a_client_that_goes_away_frees_its_slot(served: Served) -> None:
    body = {"model": TINY, "prompt": "hello", "max_tokens": 2000, "temperature": 0}
    with httpx.Client(base_url=served.server.base, timeout=120) as http:
        lines = _stream_lines(http, body)
        first = next(lines)
        assert first["object"] == "text_completion"
        lines.close()  # the client hangs up mid-answer

    def idle() -> dict[str, Any] | None:
        (tiny,) = [m for m in served.status()["models"] if m["key"] == f"base:{TINY}"]
        return tiny if tiny["in_flight"] == 0 and tiny["queue_depth"] == 0 else None

    tiny = wait_for(idle, 30, "the request was still decoded after its client left")
    assert tiny["completion_tokens"] < 1000  # stopped long before its max_tokens
    again = served.client().completions.create(model=TINY, prompt="hi", max_tokens=3, temperature=0)
    assert again.usage is not None and again.usage.completion_tokens == 3


def test_at_most_max_models_stay_loaded_the_least_recently_used_goes(served: Served) -> None:
    client = served.client()
    client.completions.create(model=ALIAS, prompt="a", max_tokens=1)  # used last but one
    client.completions.create(model=TINY, prompt="a", max_tokens=1)  # used last
    item = served.items[0]
    max_tokens = served.evaluation["decoding"]["max_new_tokens"]
    answers: list[str] = []

    def ask() -> None:
        run = client.completions.create(
            model=f"run-{served.run_id}",
            prompt=item["prompt"],
            temperature=0,
            max_tokens=max_tokens,
        )
        answers.append(run.choices[0].text)

    # The run's checkpoint by its own name: a third model, so the alias's is unloaded.
    # Two first requests at once share one load.
    threads = [threading.Thread(target=ask) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert answers == [item["output"]] * 2
    models = served.status()["models"]
    assert [m["key"] for m in models] == [f"run:{served.run_id}", f"base:{TINY}"]
    assert models[0]["requests"] == 2 and models[0]["names"] == [f"run-{served.run_id}"]


def test_a_crashed_model_process_fails_its_requests_and_is_replaced(served: Served) -> None:
    body = {"model": TINY, "prompt": "crash", "max_tokens": 2000, "temperature": 0}
    with httpx.Client(base_url=served.server.base, timeout=120) as http:
        lines = _stream_lines(http, body)
        next(lines)
        (tiny,) = [m for m in served.status()["models"] if m["key"] == f"base:{TINY}"]
        os.kill(tiny["pid"], signal.SIGKILL)
        rest = list(lines)  # ends: no hang
    assert rest and rest[-1]["error"]["code"] == "model_process_exited"
    answer = served.client().completions.create(model=TINY, prompt="hi", max_tokens=3)
    assert answer.choices[0].finish_reason == "length"
    (replaced,) = [m for m in served.status()["models"] if m["key"] == f"base:{TINY}"]
    assert replaced["pid"] != tiny["pid"] and replaced["alive"]


def test_errors_reach_the_client_as_openai_errors(served: Served) -> None:
    client = served.client()
    hello: list[ChatCompletionMessageParam] = [{"role": "user", "content": "hello"}]
    with pytest.raises(openai.NotFoundError) as missing:
        client.chat.completions.create(model="gpt-4o", messages=hello)
    assert missing.value.code == "model_not_found"
    with pytest.raises(openai.BadRequestError) as bad:
        client.chat.completions.create(model=ALIAS, messages=hello, temperature=3)
    assert bad.value.param == "temperature"
    with pytest.raises(openai.BadRequestError) as long:
        client.completions.create(model=ALIAS, prompt="x " * 5000, max_tokens=8)
    assert long.value.code == "context_length_exceeded"


def test_with_a_token_the_client_needs_it(served: Served) -> None:
    token = _ok(served.http.post("/api/auth/tokens", json={"name": "reader", "scope": "read"}))
    with pytest.raises(openai.AuthenticationError):
        served.client(api_key="wrong").models.list()
    client = served.client(api_key=token["token"])
    answer = client.completions.create(model=TINY, prompt="hi", max_tokens=2)
    assert answer.usage is not None and answer.usage.completion_tokens == 2
