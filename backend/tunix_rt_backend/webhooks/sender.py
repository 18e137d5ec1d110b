"""Sends pending webhook deliveries: a loop in `tunix-rt serve` (several servers on
one database may each send; a guarded claim gives each delivery to one). Events written
by the command line go out once a server runs.

Each request is a POST of the stored JSON body with
`X-Tunix-Signature: sha256=<hex>`, the HMAC-SHA256 under WEBHOOK_SECRET of
`<X-Tunix-Timestamp>.<body>` (the timestamp signed too, so a receiver can refuse an
old message replayed), `X-Tunix-Event` and `X-Tunix-Delivery` (the delivery's id: a
receiver that gets one twice, after a lost answer, can tell). A 2xx answer delivers
it; anything else, or no answer within WEBHOOK_TIMEOUT_SECONDS, is tried again after
WEBHOOK_RETRY_BASE_SECONDS x 2^(attempt - 1) (at most an hour), up to
WEBHOOK_MAX_ATTEMPTS, then it is `failed` (POST .../redeliver sends it again)."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import logging
import time
import uuid
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlsplit

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tunix_rt_backend import __version__
from tunix_rt_backend.db.engine import session_scope
from tunix_rt_backend.kit.time import utcnow
from tunix_rt_backend.settings import Settings
from tunix_rt_backend.webhooks import repository

log = logging.getLogger("tunix_rt.webhooks")

POLL_INTERVAL_S = 1.0
BATCH = 10
MAX_RETRY_DELAY_S = 3600.0
# Kept of a failed attempt's answer: enough to tell what went wrong.
ERROR_CHARS = 500


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """The X-Tunix-Signature value a receiver recomputes to check a delivery."""
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return f"sha256={mac.hexdigest()}"


def _host(url: str) -> str:
    """What a log may say of a webhook URL: its host (the path often holds a secret)."""
    return urlsplit(url).netloc.rsplit("@", 1)[-1]


def retry_delay_s(settings: Settings, attempt: int) -> float:
    delay: float = settings.webhook_retry_base_seconds * 2 ** (attempt - 1)
    return min(delay, MAX_RETRY_DELAY_S)


@dataclass(frozen=True, slots=True)
class _Attempt:
    """One claimed attempt at a delivery, as read when it was claimed."""

    id: uuid.UUID
    event: str
    url: str
    payload: str
    number: int


class WebhookSender:
    def __init__(self, maker: async_sessionmaker[AsyncSession], settings: Settings) -> None:
        self._maker = maker
        self._settings = settings
        self._stop = asyncio.Event()

    @property
    def enabled(self) -> bool:
        return bool(self._settings.webhook_url_list)

    def stop(self) -> None:
        self._stop.set()

    async def run(self) -> None:
        """Send what is due, every POLL_INTERVAL_S, until stopped."""
        timeout = httpx.Timeout(self._settings.webhook_timeout_seconds)
        async with httpx.AsyncClient(timeout=timeout, follow_redirects=False) as client:
            while not self._stop.is_set():
                try:
                    await self.send_due(client)
                except Exception:  # the database away: log, and try again next round
                    log.exception("sending webhooks failed")
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stop.wait(), POLL_INTERVAL_S)

    async def send_due(self, client: httpx.AsyncClient) -> int:
        """One round: every delivery due now, each claimed just before it is sent (its
        lease covers its own attempt, not a batch's). Returns how many were tried."""
        async with session_scope(self._maker) as session:
            due = await repository.due(session, utcnow(), BATCH)
        tried = 0
        for row in due:
            lease = utcnow() + timedelta(seconds=self._settings.webhook_timeout_seconds + 30)
            attempt = _Attempt(row.id, row.event, row.url, row.payload, row.attempts + 1)
            token = uuid.uuid4()
            async with session_scope(self._maker) as session:
                if not await repository.claim(session, row, token, lease):
                    continue  # another sender took it, or it was sent again meanwhile
            values = await self._attempt(client, attempt)
            async with session_scope(self._maker) as session:
                await repository.end_attempt(session, attempt.id, token, values)
            tried += 1
        return tried

    async def _attempt(self, client: httpx.AsyncClient, row: _Attempt) -> dict[str, object]:
        body = row.payload.encode()
        timestamp = str(int(time.time()))
        secret = self._settings.webhook_secret
        headers = {
            "Content-Type": "application/json",
            "User-Agent": f"tunix-rt/{__version__}",
            "X-Tunix-Event": row.event,
            "X-Tunix-Delivery": str(row.id),
            "X-Tunix-Timestamp": timestamp,
            "X-Tunix-Signature": signature(
                secret.get_secret_value() if secret else "", timestamp, body
            ),
        }
        try:
            response = await client.post(row.url, content=body, headers=headers)
        except httpx.HTTPError as exc:
            return self._failed(row, None, f"{type(exc).__name__}: {exc}")
        if response.is_success:
            log.info("webhook %s %s delivered to %s", row.event, row.id, _host(row.url))
            return {
                "status": "delivered",
                "delivered_at": utcnow(),
                "last_status_code": response.status_code,
                "last_error": None,
            }
        error = f"HTTP {response.status_code}: {response.text[:ERROR_CHARS]}"
        return self._failed(row, response.status_code, error)

    def _failed(self, row: _Attempt, code: int | None, error: str) -> dict[str, object]:
        attempt = row.number
        last = attempt >= self._settings.webhook_max_attempts
        log.warning(
            "webhook %s %s to %s: attempt %d failed (%s)%s",
            row.event, row.id, _host(row.url), attempt, error, "; giving up" if last else "",
        )  # fmt: skip
        values: dict[str, object] = {"last_status_code": code, "last_error": error}
        if last:
            values["status"] = "failed"
        else:
            delay = retry_delay_s(self._settings, attempt)
            values["next_attempt_at"] = utcnow() + timedelta(seconds=delay)
        return values
