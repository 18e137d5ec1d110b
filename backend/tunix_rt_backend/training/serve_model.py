"""A model process: `python -m tunix_rt_backend.training.serve_model --spec S.json`.

Loads one model (a run's latest checkpoint restored as evaluation restores it, or a
base model as it is) and answers generation requests, read as JSON lines on stdin,
with events written as JSON lines on stdout. The server starts, feeds and supervises
it (serving/pool.py); JAX never runs in the server's own process.

Requests (one per line):

    {"op": "generate", "id": "r1", "prompt": "...", "max_tokens": 64,
     "temperature": 0.0, "top_p": null, "seed": null, "stop": ["\\n\\n"],
     "logprobs": null, "echo": false}
    ("prompt_ids": [2, 106, ...] instead of "prompt": a client's own token ids)
    {"op": "cancel", "id": "r1"}

Events (one per line):

    {"event": "ready", "context_length": 1024, "load_seconds": 4.2, "checkpoint_step": 60}
    {"event": "started", "id": "r1", "prompt_tokens": 40}
    {"event": "text", "id": "r1", "text": "Reason", "completion_tokens": 6}
    {"event": "done", "id": "r1", "finish_reason": "stop", "prompt_tokens": 40,
     "completion_tokens": 31, "logprobs": null}
    {"event": "error", "id": "r1", "code": "context_length_exceeded", "message": "..."}
    {"event": "batch", "size": 3, "rows": 4, "tokens": 95, "seconds": 0.41}
    {"event": "failed", "message": "..."}   (nothing could be loaded: exit status 1)

Batching: requests that arrive within `batch_window_ms` of each other are decoded
together (training/decoding.py: each row with its own temperature, top-p and seed):
prompts left-padded to a shared power-of-two length, the batch padded to a power of
two rows, so a few shapes are compiled once and reused. Tokens are decoded a chunk at
a time inside one compiled loop, and each request's new text is written after every
chunk: a stream. A chunk is as many
steps as take about `stream_interval_ms` (measured as it goes, at most
`max_chunk_steps`): a fast model is not slowed by a report per token, a slow one
still streams token by token. A cancelled
request (the client went away) stops being decoded at the next chunk; the batch ends
when none of its requests is left.

Stop strings are found in the decoded text, never across what was already written:
the last `len(stop) - 1` characters are held back until they cannot begin one.
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import os
import queue
import random
import sys
import threading
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import orjson
from pydantic import ValidationError

from tunix_rt_backend.training.manifest import ServingSpec

MIN_BUCKET = 16
MAX_LOGPROBS = 5
IDLE_WINDOW_S = 0.001
REPLACEMENT = "\ufffd"  # a multi-byte character cut between two tokens


def bucket(length: int, least: int = MIN_BUCKET) -> int:
    """The next power of two, at least `least`."""
    size = least
    while size < length:
        size *= 2
    return size


class Output:
    """Events to the protocol stream, one whole line at a time from any thread."""

    def __init__(self, stream: IO[bytes]) -> None:
        self._stream = stream
        self._lock = threading.Lock()

    def write(self, event: str, **fields: Any) -> None:
        line = orjson.dumps({"event": event, **fields}) + b"\n"
        with self._lock:
            self._stream.write(line)
            self._stream.flush()


@dataclass
class Request:
    id: str
    ids: list[int]
    max_tokens: int
    temperature: float
    top_p: float | None
    seed: int | None
    stop: list[str]
    logprobs: int | None
    echo: bool
    tokens: list[int] = field(default_factory=list)
    stop_token: int | None = None  # the end of turn (or sequence) that ended it
    text: str = ""
    answered: bool = False  # its `done` is written
    sent: int = 0
    finish: str | None = None


class BadRequest(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


class Engine:
    """The loaded model, its tokenizer and its decoder (training/decoding.py)."""

    def __init__(self, loaded: Any, spec: ServingSpec, context_length: int) -> None:
        from tunix.generate import tokenizer_adapter

        from tunix_rt_backend.training.decoding import Decoder
        from tunix_rt_backend.training.trainer import stop_tokens

        self.loaded = loaded
        self.spec = spec
        self.context_length = context_length
        self.tok = tokenizer_adapter.TokenizerAdapter(loaded.tokenizer)
        self.eos = frozenset(stop_tokens(loaded.tokenizer))
        size = loaded.tokenizer.vocab_size
        self.vocab_size = int(size() if callable(size) else size)
        self.decoder = Decoder(loaded.model, self.tok.pad_id(), sorted(self.eos), loaded)

    def tokenize(self, text: str) -> list[int]:
        """As Tunix's Sampler does: `<bos>` and the text's tokens."""
        return list(self.tok.dedup_bos_ids([self.tok.bos_id(), *self.tok.encode(text)]))

    def decode(self, ids: list[int]) -> str:
        return str(self.tok.decode(ids))

    def run(self, batch: list[Request], cancelled: Cancelled, out: Output) -> None:
        import jax
        import jax.numpy as jnp
        import numpy as np

        from tunix_rt_backend.training.decoding import Sampling

        started = time.perf_counter()
        rows = bucket(len(batch), 1)
        prompt_len = bucket(max(len(r.ids) for r in batch))
        cache_size = prompt_len + bucket(max(r.max_tokens for r in batch))
        decoder = self.decoder
        pad = self.tok.pad_id()
        prompts = [r.ids for r in batch] + [batch[-1].ids] * (rows - len(batch))
        ids = np.array([[pad] * (prompt_len - len(p)) + p for p in prompts], dtype=np.int32)
        padding = [0.0] * (rows - len(batch))
        seeds = [r.seed if r.seed is not None else random.randrange(2**31) for r in batch]
        sampling = Sampling(
            temperature=jnp.array([r.temperature for r in batch] + padding, dtype=jnp.float32),
            top_p=jnp.array([r.top_p or 1.0 for r in batch] + [1.0] * len(padding), jnp.float32),
            keys=jnp.stack([jax.random.PRNGKey(s) for s in seeds + [0] * len(padding)]),
        )
        params = decoder.params
        state = decoder.prefill(
            params, jnp.asarray(ids), jnp.arange(rows) < len(batch), sampling, cache_size=cache_size
        )
        read = prompt_len  # the next index of the token buffer to read, for every row
        live = dict(enumerate(batch))
        produced = 0
        chunk = 1
        interval = self.spec.stream_interval_ms / 1000
        while live:
            step = int(state.step)  # tokens up to here are written
            buffer = np.asarray(jax.device_get(state.tokens))
            ended: list[int] = []
            for row, request in live.items():
                before = len(request.tokens)
                for token in buffer[row, read : step + 1].tolist():
                    if self._take(request, token):
                        break
                produced += len(request.tokens) - before
                if request.finish is None and request.id in cancelled:
                    request.finish = "cancelled"
                self._report(request, out)
                if request.finish is not None:
                    ended.append(row)
            read = step + 1
            for row in ended:
                del live[row]
            if not live or step >= cache_size - 1:
                break
            if ended:
                state = state._replace(done=state.done.at[jnp.array(ended)].set(True))
            until = min(step + chunk, cache_size - 1)
            clock = time.perf_counter()
            state = decoder.advance(params, state, jnp.int32(until), sampling)
            state.step.block_until_ready()
            per_step = (time.perf_counter() - clock) / max(until - step, 1)
            chunk = max(1, min(self.spec.max_chunk_steps, int(interval / max(per_step, 1e-6))))
        for request in live.values():  # the cache is full (cannot happen: sized to fit)
            request.finish = "length"
            self._report(request, out)
        out.write(
            "batch",
            size=len(batch),
            rows=rows,
            prompt_length=prompt_len,
            cache_size=cache_size,
            tokens=produced,
            seconds=round(time.perf_counter() - started, 4),
        )

    def _take(self, request: Request, token: int) -> bool:
        """Adds a generated token; True once the request is finished."""
        if token in self.eos:
            request.finish = "stop"
            request.stop_token = token
            return True
        request.tokens.append(token)
        if len(request.tokens) >= request.max_tokens:
            request.finish = "length"
            return True
        return False

    def _report(self, request: Request, out: Output) -> None:
        """Writes the request's new text, and `done` once it is finished."""
        text = self.decode(request.tokens)
        if request.stop:
            hits = [at for s in request.stop if (at := text.find(s, request.sent)) >= 0]
            if hits:
                text = text[: min(hits)]
                request.finish = "stop"
                # Counted and scored: the tokens of the text kept, not those decoded past it.
                while request.tokens and len(self.decode(request.tokens[:-1])) >= len(text):
                    request.tokens.pop()
        safe = len(text)
        if request.finish is None:
            held = max((len(s) for s in request.stop), default=1) - 1
            safe = max(request.sent, len(text.rstrip(REPLACEMENT)) - held)
        if safe > request.sent:
            out.write(
                "text",
                id=request.id,
                text=text[request.sent : safe],
                completion_tokens=len(request.tokens),
            )
            request.sent = safe
        if request.finish is not None:
            request.text = text
            logprobs = self.logprobs(request) if request.logprobs is not None else None
            request.answered = True
            out.write(
                "done",
                id=request.id,
                finish_reason=request.finish,
                prompt_tokens=len(request.ids),
                completion_tokens=len(request.tokens),
                logprobs=logprobs,
            )

    def logprobs(self, request: Request) -> dict[str, Any]:
        """OpenAI's `logprobs` of the completion (with the prompt's, for `echo`): each
        token's log-probability and the `logprobs` most likely at its place, from one
        forward pass over prompt and completion."""
        import numpy as np

        # The turn's end is scored too (as OpenAI and vLLM do; lm-evaluation-harness
        # counts on it), shown as "".
        ended = [request.stop_token] if request.stop_token is not None else []
        ids = request.ids + request.tokens + ended
        chosen, top_values, top_ids = self.score(ids, max(request.logprobs or 0, 1))
        start = 1 if request.echo else len(request.ids)
        tokens = [self.decode([t]) for t in ids[: len(ids) - len(ended)]] + [""] * len(ended)
        offsets = np.cumsum([0, *(len(t) for t in tokens)]).tolist()
        base = 0 if request.echo else offsets[len(request.ids)]
        k = request.logprobs or 0
        result: dict[str, Any] = {
            "tokens": [],
            "token_logprobs": [],
            "top_logprobs": [],
            "text_offset": [],
        }
        if request.echo:  # the first token has nothing before it
            result["tokens"].append(tokens[0])
            result["token_logprobs"].append(None)
            result["top_logprobs"].append(None)
            result["text_offset"].append(0)
        for at in range(start, len(ids)):
            result["tokens"].append(tokens[at])
            result["token_logprobs"].append(float(chosen[at - 1]))
            top: dict[str, float] = {}
            for value, token in zip(top_values[at - 1][:k], top_ids[at - 1][:k], strict=True):
                top.setdefault(self.decode([int(token)]), float(value))
            result["top_logprobs"].append(top)
            result["text_offset"].append(offsets[at] - base)
        return result

    def score(self, ids: list[int], k: int) -> tuple[Any, Any, Any]:
        """log p(ids[t+1] | ids[:t+1]) for every t, and the k most likely tokens there."""
        import jax
        import jax.numpy as jnp
        import numpy as np

        length = bucket(len(ids))
        tokens = np.full((1, length), self.tok.pad_id(), dtype=np.int32)
        tokens[0, : len(ids)] = ids
        mask = np.arange(length)[None, :] < len(ids)
        decoder = self.decoder
        result = decoder.score(decoder.params, jnp.asarray(tokens), jnp.asarray(mask), k=k)
        return tuple(np.asarray(a) for a in jax.device_get(result))  # type: ignore[return-value]


class Cancelled:
    """Ids of requests whose client went away (written by the reader thread). Only a
    request still waiting or decoding can be cancelled: a late cancel is dropped."""

    def __init__(self) -> None:
        self._ids: set[str] = set()
        self._open: set[str] = set()
        self._lock = threading.Lock()

    def opened(self, request_id: str) -> None:
        with self._lock:
            self._open.add(request_id)

    def add(self, request_id: str) -> None:
        with self._lock:
            if request_id in self._open:
                self._ids.add(request_id)

    def discard(self, request_id: str) -> None:
        """The request is answered: forget it."""
        with self._lock:
            self._ids.discard(request_id)
            self._open.discard(request_id)

    def __contains__(self, request_id: object) -> bool:
        with self._lock:
            return request_id in self._ids


def parse_request(engine: Engine, message: dict[str, Any]) -> Request:
    """A `generate` request, its prompt tokenized; BadRequest for what cannot be
    answered (the server validates first: this is the model's own check)."""
    request_id = str(message.get("id") or "")
    if not request_id:
        raise BadRequest("invalid_request", "a request needs an id")
    if message.get("prompt_ids") is not None:
        ids = [int(t) for t in message["prompt_ids"]]
        vocab = engine.vocab_size
        if not ids or not all(0 <= t < vocab for t in ids):
            raise BadRequest("invalid_prompt", "prompt token ids must be in the vocabulary")
    else:
        ids = engine.tokenize(str(message.get("prompt") or ""))
    max_tokens = int(message.get("max_tokens") or 0)
    logprobs = message.get("logprobs")
    room = engine.context_length - len(ids)
    if message.get("max_tokens_fit") and room >= 1:
        max_tokens = min(max_tokens, room)  # a default, not the client's: it fits
    if len(ids) + max_tokens > engine.context_length:
        raise BadRequest(
            "context_length_exceeded",
            f"This model's maximum context length is {engine.context_length} tokens. "
            f"However, you requested {len(ids) + max_tokens} tokens ({len(ids)} in the "
            f"prompt, {max_tokens} for the completion). Please reduce the prompt or "
            "max_tokens.",
        )
    return Request(
        id=request_id,
        ids=ids,
        max_tokens=max_tokens,
        temperature=float(message.get("temperature") or 0.0),
        top_p=message.get("top_p"),
        seed=message.get("seed"),
        stop=[s for s in message.get("stop") or [] if s],
        logprobs=None if logprobs is None else min(int(logprobs), MAX_LOGPROBS),
        echo=bool(message.get("echo")),
    )


def read_requests(
    engine: Engine,
    lines: IO[bytes],
    inbox: queue.Queue[Request | None],
    cancelled: Cancelled,
    out: Output,
) -> None:
    """The reader thread: requests into `inbox`, cancels into `cancelled`; None once
    stdin closes (the server is gone or done with this model)."""
    try:
        for line in lines:
            if not line.strip():
                continue
            request_id = None
            try:
                message = orjson.loads(line)
                request_id = message.get("id")
                if message.get("op") == "cancel":
                    cancelled.add(str(request_id))
                elif message.get("op") == "generate":
                    request = parse_request(engine, message)
                    cancelled.opened(request.id)
                    inbox.put(request)
                else:
                    raise BadRequest("invalid_request", f"unknown op {message.get('op')!r}")
            except BadRequest as exc:
                out.write("error", id=request_id, code=exc.code, message=str(exc))
            except (orjson.JSONDecodeError, AttributeError, TypeError, ValueError) as exc:
                out.write("error", id=request_id, code="invalid_request", message=str(exc))
    finally:
        inbox.put(None)


def answer(engine: Engine, batch: list[Request], cancelled: Cancelled, out: Output) -> None:
    waiting = []
    for request in batch:
        started: dict[str, Any] = {"prompt_tokens": len(request.ids)}
        if request.echo:
            started["prompt_text"] = engine.decode(request.ids)
        out.write("started", id=request.id, **started)
        if request.id in cancelled or request.max_tokens == 0:
            # Nothing to decode: gone, or only the prompt asked for (its logprobs).
            request.finish = "cancelled" if request.id in cancelled else "length"
            engine._report(request, out)
        else:
            waiting.append(request)
    if waiting:
        engine.run(waiting, cancelled, out)


def serve(
    engine: Engine, inbox: queue.Queue[Request | None], cancelled: Cancelled, out: Output
) -> None:
    """Batches and answers requests until stdin closes."""
    spec = engine.spec
    pending: collections.deque[Request] = collections.deque()
    open_ = True
    # Whether requests came together lately (the last batch had company, or some
    # arrived while it ran): only then does a request wait the window for more. A
    # client alone waits a millisecond (requests sent at once arrive that close).
    together = False
    while open_ or pending:
        if not pending:
            item = inbox.get()
            if item is None:
                break
            pending.append(item)
        window = spec.batch_window_ms / 1000
        if not together and len(pending) == 1:
            window = min(window, IDLE_WINDOW_S)
        deadline = time.monotonic() + window
        while open_ and len(pending) < spec.max_batch:
            try:
                item = inbox.get(timeout=max(deadline - time.monotonic(), 0))
            except queue.Empty:
                break
            if item is None:
                open_ = False
            else:
                pending.append(item)
        batch = [pending.popleft() for _ in range(min(len(pending), spec.max_batch))]
        try:
            answer(engine, batch, cancelled, out)
        except Exception as exc:  # the batch's requests fail; the model serves on
            traceback.print_exc()
            for request in batch:
                if not request.answered:
                    out.write(
                        "error",
                        id=request.id,
                        code="generation_failed",
                        status=500,
                        message=f"the model failed while answering: {type(exc).__name__}",
                    )
        together = len(batch) > 1 or bool(pending) or not inbox.empty()
        for request in batch:
            cancelled.discard(request.id)


def context_length(spec: ServingSpec, loaded: Any) -> int:
    """How many tokens (prompt and completion) the model attends to exactly: a
    built-in model's attention window; a checkpoint's `max_position_embeddings`."""
    from tunix_rt_backend.training.catalog import is_builtin

    if is_builtin(spec.model_id):
        return int(loaded.model.config.sliding_window_size)
    from tunix_rt_backend.training.catalog import local_checkpoint_dir
    from tunix_rt_backend.training.models import _text_config

    path = local_checkpoint_dir(spec.model_id, Path(os.environ.get("MODEL_DIR", "")))
    return int(getattr(_text_config(path), "max_position_embeddings", None) or 8192)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tunix_rt_backend.training.serve_model")
    parser.add_argument("--spec", type=Path, required=True, help="ServingSpec (JSON)")
    args = parser.parse_args(argv)
    # The protocol owns stdout; anything a library prints goes to stderr.
    out = Output(os.fdopen(os.dup(1), "wb"))
    os.dup2(2, 1)
    sys.settrace(None)
    threading.settrace(None)
    try:
        spec = ServingSpec.model_validate_json(args.spec.read_bytes())
    except (OSError, ValidationError) as exc:
        out.write("failed", message=f"bad arguments: {exc}")
        return 2

    from tunix_rt_backend.training.catalog import ModelNotAvailable
    from tunix_rt_backend.training.evaluate import load
    from tunix_rt_backend.training.trainer import RunFailed

    started = time.perf_counter()
    try:
        loaded, step = load(spec.model_id, spec.training, spec.checkpoint_root)
        engine = Engine(loaded, spec, context_length(spec, loaded))
    except (RunFailed, ModelNotAvailable, OSError) as exc:
        out.write("failed", message=str(exc))
        return 1
    except Exception as exc:
        traceback.print_exc()
        out.write("failed", message=f"{type(exc).__name__}: {exc}")
        return 1
    out.write(
        "ready",
        context_length=engine.context_length,
        load_seconds=round(time.perf_counter() - started, 3),
        checkpoint_step=step,
        pid=os.getpid(),
    )
    inbox: queue.Queue[Request | None] = queue.Queue()
    cancelled = Cancelled()
    reader = threading.Thread(
        target=read_requests,
        args=(engine, sys.stdin.buffer, inbox, cancelled, out),
        daemon=True,
    )
    reader.start()
    with contextlib.suppress(BrokenPipeError):
        serve(engine, inbox, cancelled, out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
