"""A small OpenAI-compatible chat server for the LLM judge's tests: a real HTTP server
on a free port, whose replies follow a script."""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar

VALID = {"score": 0.75, "verdict": "pass", "reasoning": "the answer matches"}
SLOW_S = 1.0


class StubJudge(BaseHTTPRequestHandler):
    """POST /v1/chat/completions. The reply depends on `behaviour(question)`:
    `valid` -> valid JSON; `invalid` -> prose every time; `repair` -> prose, then valid
    JSON to the repair request; `slow` -> no reply within the client's timeout;
    `flaky` -> HTTP 500 once, then valid JSON; `fenced` -> valid JSON in a code fence;
    `range` -> a score out of range; `wrong` -> valid JSON failing the answer;
    `contradict` -> a verdict its score contradicts; anything else -> valid JSON passing
    it."""

    script: ClassVar[dict[str, Callable[[str], str]]] = {}
    calls: ClassVar[Counter[str]] = Counter()
    bodies: ClassVar[list[dict[str, Any]]] = []
    lock: ClassVar[threading.Lock] = threading.Lock()

    def log_message(self, *_: Any) -> None:
        pass

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        question = json.loads(body["messages"][1]["content"])["question"]
        with self.lock:
            self.calls[question] += 1
            self.bodies.append(body)
            n = self.calls[question]
        question = self.script.get("behaviour", str)(question)
        if self.path != "/v1/chat/completions":
            return self._send(404, {"error": "no such path"})
        if question == "slow":
            time.sleep(SLOW_S)
            return self._reply(VALID)
        if question == "flaky" and n == 1:
            return self._send(500, {"error": "overloaded"})
        if question == "invalid" or (question == "repair" and n == 1):
            return self._reply("I think the answer is right.")
        if question == "fenced":
            return self._reply("```json\n" + json.dumps(VALID) + "\n```")
        if question == "contradict":  # a pass scored 0.1, every time
            return self._reply({"score": 0.1, "verdict": "pass", "reasoning": "hm"})
        if question == "wrong":
            return self._reply({"score": 0, "verdict": "fail", "reasoning": "wrong winner"})
        if question == "range":
            return self._reply({**VALID, "score": 7})
        return self._reply(VALID)

    def _reply(self, content: Any) -> None:
        text = content if isinstance(content, str) else json.dumps(content)
        self._send(200, {"choices": [{"message": {"role": "assistant", "content": text}}]})

    def _send(self, status: int, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):  # the client gave up (timeout)
            pass


@contextlib.contextmanager
def serve_stub(behaviour: Callable[[str], str] = lambda question: question) -> Iterator[str]:
    """The stub on a free port; yields its base URL (what JUDGE_BASE_URL takes)."""
    StubJudge.calls = Counter()
    StubJudge.bodies = []
    StubJudge.script = {"behaviour": behaviour}
    server = ThreadingHTTPServer(("127.0.0.1", 0), StubJudge)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    finally:
        server.shutdown()
        server.server_close()
