"""Answers `/v1` requests with a model process: the chat template applied, the answer
split into reasoning and content, streamed as OpenAI's chunks (a final chunk with
`finish_reason`, the usage chunk when asked, then `data: [DONE]`)."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncGenerator, AsyncIterator
from contextlib import aclosing
from typing import Any, Literal

import orjson

from tunix_rt_backend.errors import AppError, BadRequest, NotAvailable
from tunix_rt_backend.serving.chat import Reasoner
from tunix_rt_backend.serving.pool import ModelPool, ModelProcess, ModelUnavailable
from tunix_rt_backend.serving.resolve import Target
from tunix_rt_backend.serving.schemas import (
    AssistantMessage,
    ChatChoice,
    ChatCompletion,
    ChatCompletionRequest,
    Completion,
    CompletionChoice,
    CompletionRequest,
    Logprobs,
    Sampling,
    Usage,
)
from tunix_rt_backend.settings import Settings
from tunix_rt_backend.templates.gemma_reasoning import END_TURN, render_chat

DONE = b"data: [DONE]\n\n"
Events = AsyncGenerator[dict[str, Any], None]


class ServingNotAvailable(NotAvailable):
    """Serving needs the Tunix runtime (the `tunix` extra)."""

    code = "serving_not_available"


class GenerationFailed(AppError):
    """The model failed while answering (its process serves on)."""

    status_code = 500
    code = "generation_failed"


class GenerationRefused(BadRequest):
    """The model process refused the request (a prompt too long, say)."""

    def __init__(self, detail: str, code: str, param: str | None) -> None:
        super().__init__(detail)
        self.code = code
        self.param = param


def sse(payload: dict[str, Any]) -> bytes:
    return b"data: " + orjson.dumps(payload) + b"\n\n"


def _stream_error(event: dict[str, Any]) -> bytes:
    """The model process stopped mid-answer: said in the stream, in OpenAI's shape."""
    error = {"message": event.get("message"), "type": "server_error", "param": None}
    return sse({"error": {**error, "code": event.get("code")}})


def _stream_end(base: dict[str, Any], done: dict[str, Any], include_usage: bool) -> list[bytes]:
    """After the last chunk: the usage chunk when asked, then `[DONE]`."""
    usage = [sse({**base, "choices": [], "usage": _usage(done).model_dump()})]
    return [*(usage if include_usage else []), DONE]


def _message(body: Sampling, settings: Settings, max_tokens: int | None) -> dict[str, Any]:
    if max_tokens is not None and max_tokens > settings.serving_max_tokens:
        raise GenerationRefused(
            f"max_tokens is {max_tokens}; this server writes at most "
            f"{settings.serving_max_tokens} (SERVING_MAX_TOKENS)",
            "invalid_value",
            "max_tokens",
        )
    greedy = body.temperature == 0
    return {
        "max_tokens": settings.serving_max_tokens if max_tokens is None else max_tokens,
        "max_tokens_fit": max_tokens is None,
        "temperature": body.temperature,
        "top_p": None if greedy else body.top_p,
        "seed": None if greedy else body.seed,
        "stop": body.stops,
    }


async def _started(
    process: ModelProcess, message: dict[str, Any], prompt_param: str
) -> tuple[Events, dict[str, Any]]:
    """The request's events, once the model has taken it (its first event), so that
    what it refuses becomes the response's status, before any streaming."""
    events = process.generate(message)
    first = await anext(events)
    if first["event"] == "error":
        await events.aclose()
        _raise(first, prompt_param)
    return events, first


def _raise(event: dict[str, Any], prompt_param: str = "prompt") -> None:
    status = event.get("status")
    if status == 503:
        raise ModelUnavailable(str(event.get("message")))
    if status == 500:
        raise GenerationFailed(str(event.get("message")))
    code = str(event.get("code") or "invalid_request")
    param = prompt_param if code == "context_length_exceeded" else None
    raise GenerationRefused(str(event.get("message")), code, param)


async def _collect(events: Events) -> tuple[str, dict[str, Any]]:
    text = []
    async with aclosing(events):
        async for event in events:
            if event["event"] == "text":
                text.append(event["text"])
            elif event["event"] == "error":
                _raise(event)
            elif event["event"] == "done":
                return "".join(text), event
    raise ModelUnavailable("the model process ended the request without an answer")


def _usage(done: dict[str, Any]) -> Usage:
    prompt, completion = int(done["prompt_tokens"]), int(done["completion_tokens"])
    return Usage(
        prompt_tokens=prompt, completion_tokens=completion, total_tokens=prompt + completion
    )


def _finish(done: dict[str, Any]) -> Literal["stop", "length"]:
    return "length" if done["finish_reason"] == "length" else "stop"


async def chat(
    pool: ModelPool, settings: Settings, target: Target, body: ChatCompletionRequest
) -> ChatCompletion | AsyncIterator[bytes]:
    prompt = render_chat([(m.role, m.text()) for m in body.messages])
    # A tokenizer without a token of its own for the turn's end writes it as text.
    stops = [*body.stops, END_TURN]
    message = {
        **_message(body, settings, body.max_completion_tokens or body.max_tokens),
        "prompt": prompt,
        "stop": stops,
    }
    process = await pool.get(target, body.model)
    events, _ = await _started(process, message, "messages")
    ident = f"chatcmpl-{uuid.uuid4().hex}"
    created = int(time.time())
    if body.stream:
        usage = bool(body.stream_options and body.stream_options.include_usage)
        return _chat_stream(events, ident, created, body.model, usage)
    text, done = await _collect(events)
    reasoner = Reasoner()
    first, last = reasoner.feed(text), reasoner.finish()
    reasoning = first.reasoning + last.reasoning
    return ChatCompletion(
        id=ident,
        created=created,
        model=body.model,
        choices=[
            ChatChoice(
                index=0,
                message=AssistantMessage(
                    content=first.content + last.content, reasoning_content=reasoning or None
                ),
                finish_reason=_finish(done),
            )
        ],
        usage=_usage(done),
    )


async def _chat_stream(
    events: Events, ident: str, created: int, model: str, include_usage: bool
) -> AsyncIterator[bytes]:
    base = {"id": ident, "object": "chat.completion.chunk", "created": created, "model": model}
    extra = {"usage": None} if include_usage else {}

    def chunk(delta: dict[str, Any], finish: str | None = None) -> bytes:
        choice = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}
        return sse({**base, "choices": [choice], **extra})

    reasoner = Reasoner()
    async with aclosing(events):
        yield chunk({"role": "assistant", "content": ""})
        async for event in events:
            if event["event"] == "text":
                piece = reasoner.feed(event["text"])
            elif event["event"] == "done":
                piece = reasoner.finish()
            else:
                yield _stream_error(event)
                return
            delta = {}
            if piece.reasoning:
                delta["reasoning_content"] = piece.reasoning
            if piece.content:
                delta["content"] = piece.content
            if delta:
                yield chunk(delta)
            if event["event"] == "done":
                yield chunk({}, _finish(event))
                for line in _stream_end(base, event, include_usage):
                    yield line
                return


async def completions(
    pool: ModelPool, settings: Settings, target: Target, body: CompletionRequest
) -> Completion | AsyncIterator[bytes]:
    prompts = body.prompts()
    if body.stream and len(prompts) > 1:
        raise GenerationRefused("stream takes one prompt", "invalid_value", "prompt")
    if body.max_tokens == 0 and not body.echo:
        raise GenerationRefused(
            "max_tokens is 0: nothing would be written (with echo, the prompt's logprobs are)",
            "invalid_value",
            "max_tokens",
        )
    common = {**_message(body, settings, body.max_tokens), "max_tokens_fit": False}
    common |= {"logprobs": body.logprobs, "echo": body.echo}
    process = await pool.get(target, body.model)
    messages = [{**common, ("prompt" if isinstance(p, str) else "prompt_ids"): p} for p in prompts]
    ident = f"cmpl-{uuid.uuid4().hex}"
    created = int(time.time())
    if body.stream:
        events, started = await _started(process, messages[0], "prompt")
        echo = _echo(prompts[0], started) if body.echo else ""
        usage = bool(body.stream_options and body.stream_options.include_usage)
        return _completion_stream(events, ident, created, body.model, echo, usage)
    # Sent together, so the model process batches them; one refused, the others stop.
    tasks = [asyncio.create_task(_answer(process, m)) for m in messages]
    try:
        answers = await asyncio.gather(*tasks)
    except BaseException:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise
    choices, prompt_tokens, completion_tokens = [], 0, 0
    for index, (prompt, (started, text, done)) in enumerate(zip(prompts, answers, strict=True)):
        logprobs = done.get("logprobs")
        choices.append(
            CompletionChoice(
                index=index,
                text=(_echo(prompt, started) if body.echo else "") + text,
                logprobs=Logprobs.model_validate(logprobs) if logprobs else None,
                finish_reason=_finish(done),
            )
        )
        prompt_tokens += int(done["prompt_tokens"])
        completion_tokens += int(done["completion_tokens"])
    return Completion(
        id=ident,
        created=created,
        model=body.model,
        choices=choices,
        usage=Usage(
            prompt_tokens=prompt_tokens,
            completion_tokens=completion_tokens,
            total_tokens=prompt_tokens + completion_tokens,
        ),
    )


def _echo(prompt: str | list[int], started: dict[str, Any]) -> str:
    return prompt if isinstance(prompt, str) else str(started.get("prompt_text", ""))


async def _answer(
    process: ModelProcess, message: dict[str, Any]
) -> tuple[dict[str, Any], str, dict[str, Any]]:
    events, started = await _started(process, message, "prompt")
    text, done = await _collect(events)
    return started, text, done


async def _completion_stream(
    events: Events, ident: str, created: int, model: str, echo: str, include_usage: bool
) -> AsyncIterator[bytes]:
    base = {"id": ident, "object": "text_completion", "created": created, "model": model}
    extra = {"usage": None} if include_usage else {}

    def chunk(text: str, finish: str | None = None, logprobs: Any = None) -> bytes:
        choice = {"index": 0, "text": text, "logprobs": logprobs, "finish_reason": finish}
        return sse({**base, "choices": [choice], **extra})

    async with aclosing(events):
        if echo:
            yield chunk(echo)
        async for event in events:
            if event["event"] == "text":
                yield chunk(event["text"])
            elif event["event"] == "done":
                yield chunk("", _finish(event), event.get("logprobs"))
                for line in _stream_end(base, event, include_usage):
                    yield line
                return
            else:
                yield _stream_error(event)
                return
