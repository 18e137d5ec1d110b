"""The RediAI probe in real mode, against a real local HTTP server."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from tunix_rt_backend.health.rediai import RediHealth, RediHealthProbe
from tunix_rt_backend.settings import Settings


@dataclass
class FakeRediAI:
    """A real HTTP server standing in for the user's RediAI instance."""

    url: str
    status: int = 200
    delay_s: float = 0.0
    paths: list[str] = field(default_factory=list)


@pytest.fixture
def rediai() -> Iterator[FakeRediAI]:
    state = FakeRediAI(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            state.paths.append(self.path)
            time.sleep(state.delay_s)
            self.send_response(state.status)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"{}")

        def log_message(self, *_: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()


def _probe(base_url: str, **overrides: Any) -> RediHealthProbe:
    values: dict[str, Any] = {"rediai_mode": "real", "rediai_base_url": base_url, **overrides}
    return RediHealthProbe(Settings(_env_file=None, **values))


async def test_healthy_when_rediai_answers_2xx(rediai: FakeRediAI) -> None:
    result = await _probe(rediai.url, rediai_health_path="/v1/health").check()
    assert result == RediHealth(status="healthy")
    assert rediai.paths == ["/v1/health"]


async def test_non_2xx_is_down_with_http_code(rediai: FakeRediAI) -> None:
    rediai.status = 404
    assert await _probe(rediai.url).check() == RediHealth(status="down", error="HTTP 404")


async def test_slow_rediai_is_down_with_timeout(rediai: FakeRediAI) -> None:
    rediai.delay_s = 1.0
    result = await _probe(rediai.url, rediai_timeout_seconds=0.2).check()
    assert result == RediHealth(status="down", error="Timeout after 0.2s")


def test_default_timeout_message_is_the_seeds() -> None:
    assert Settings(_env_file=None).rediai_timeout_seconds == 5.0


async def test_closed_port_is_connection_refused() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed again before the probe
    result = await _probe(f"http://127.0.0.1:{port}").check()
    assert result == RediHealth(status="down", error="Connection refused")


async def test_results_are_cached_for_the_ttl(rediai: FakeRediAI) -> None:
    probe = _probe(rediai.url, rediai_health_cache_ttl_seconds=60)
    assert (await probe.check()).status == "healthy"
    rediai.status = 500
    assert (await probe.check()).status == "healthy"  # served from the cache
    assert len(rediai.paths) == 1


async def test_ttl_zero_probes_every_time(rediai: FakeRediAI) -> None:
    probe = _probe(rediai.url, rediai_health_cache_ttl_seconds=0)
    await probe.check()
    rediai.status = 503
    assert await probe.check() == RediHealth(status="down", error="HTTP 503")
    assert len(rediai.paths) == 2


async def test_mock_mode_makes_no_request(rediai: FakeRediAI) -> None:
    probe = _probe(rediai.url, rediai_mode="mock")
    assert await probe.check() == RediHealth(status="healthy", mode="mock")
    assert rediai.paths == []
