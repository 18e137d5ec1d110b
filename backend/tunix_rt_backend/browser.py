"""Protection from the browser, with auth on or off (off is the default on loopback):

- a Host allow-list (ALLOWED_HOSTS) against DNS rebinding: a page on evil.example whose
  name is re-pointed at 127.0.0.1 would otherwise be same-origin with the API;
- a state-changing request from another origin (its `Origin` names another host) is
  refused, and so is one whose body is not JSON: a cross-site form can send
  `text/plain`, which needs no CORS preflight, but not `application/json`;
- security headers on every response: no sniffing, no framing, no referrer beyond the
  origin, and a Content-Security-Policy that allows only the origin's own scripts.

A pure ASGI middleware: it runs before routing, for every request, at the cost of a
few header lookups.
"""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import urlsplit

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
JSON_TYPES = ("application/json", "application/x-ndjson")
LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1")
# The UI's own files only; React and the chart library set inline styles.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)
SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
]


class BrowserGuard:
    def __init__(
        self, app: ASGIApp, allowed_hosts: Iterable[str] | None, trusted_origins: Iterable[str]
    ) -> None:
        """`allowed_hosts`: host names (no port) a request may be addressed to; None:
        any. `trusted_origins`: other origins whose pages may change data (the
        development server's)."""
        self.app = app
        self.allowed_hosts = None if allowed_hosts is None else {h.lower() for h in allowed_hosts}
        self.trusted_hosts = {urlsplit(o).netloc.lower() for o in trusted_origins}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = _headers(scope)
        host = headers.get("host", "")
        refusal = self._refusal(scope, headers, host)
        if refusal is not None:
            await _refuse(send, *refusal)
            return
        await self.app(scope, receive, _with_security_headers(send))

    def _refusal(
        self, scope: Scope, headers: dict[str, str], host: str
    ) -> tuple[int, str, str] | None:
        if self.allowed_hosts is not None and _hostname(host) not in self.allowed_hosts:
            return (
                400,
                "HostNotAllowed",
                (f"Host {host!r} is not one this server answers to: add it to ALLOWED_HOSTS"),
            )
        if scope["method"] not in UNSAFE_METHODS:
            return None
        origin = headers.get("origin")
        if origin is not None and origin != "null":
            netloc = urlsplit(origin).netloc.lower()
            if netloc != host.lower() and netloc not in self.trusted_hosts:
                return (
                    403,
                    "CrossOriginRequest",
                    (f"a page on {origin} may not change data here (only this server's own pages)"),
                )
        elif origin == "null":
            return 403, "CrossOriginRequest", "a sandboxed or file page may not change data here"
        content_type = headers.get("content-type")
        if content_type is not None:
            media = content_type.split(";", 1)[0].strip().lower()
            if media not in JSON_TYPES:
                return (
                    415,
                    "UnsupportedMediaType",
                    (f"bodies are JSON (Content-Type: application/json), not {media or 'empty'}"),
                )
        return None


def _headers(scope: Scope) -> dict[str, str]:
    wanted = (b"host", b"origin", b"content-type")
    return {k.decode(): v.decode("latin-1") for k, v in scope["headers"] if k in wanted}


def _hostname(host: str) -> str:
    """`example.com:8000` -> `example.com`; `[::1]:8000` -> `::1`."""
    if host.startswith("["):
        return host[1 : host.find("]")].lower()
    return host.rsplit(":", 1)[0].lower() if host.count(":") == 1 else host.lower()


async def _refuse(send: Send, status: int, error: str, detail: str) -> None:
    body = orjson.dumps({"error": error, "detail": detail})
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        *SECURITY_HEADERS,
    ]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def _with_security_headers(send: Send) -> Send:
    extra = [*SECURITY_HEADERS, (b"content-security-policy", CONTENT_SECURITY_POLICY.encode())]

    async def sending(message: Message) -> None:
        if message["type"] == "http.response.start":
            message["headers"] = [*message.get("headers", []), *extra]
        await send(message)

    return sending


def default_allowed_hosts(backend_host: str, configured: str) -> list[str] | None:
    """ALLOWED_HOSTS as a list (None: any host). Unset: the loopback names (and the
    bound address) when serving on loopback, where no token protects the API; any host
    otherwise (the server then refuses to start without tokens)."""
    names = [h.strip() for h in configured.split(",") if h.strip()]
    if "*" in names:
        return None
    if names:
        return names
    if backend_host in LOOPBACK_NAMES or backend_host.startswith("127."):
        return [*LOOPBACK_NAMES, backend_host]
    return None
