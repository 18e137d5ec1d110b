"""Webhooks on both databases: registry events POSTed to a receiver started here, signed,
retried after a failed answer, given up on an address that never answers, sent again on
request; nothing queued for a change that did not happen."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import threading
import uuid
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tunix_rt_backend.db.models import WebhookDelivery
from tunix_rt_backend.kit.time import utcnow
from tunix_rt_backend.settings import Settings
from tunix_rt_backend.webhooks import repository

from ..factories import count_rows, free_port, record_promotable_run, record_run

Maker = async_sessionmaker[AsyncSession]
SECRET = "a-webhook-secret-of-32-characters"


class Receiver(BaseHTTPRequestHandler):
    """Answers 500 to the first delivery it gets, 204 to every later one."""

    received: ClassVar[list[tuple[dict[str, str], bytes]]] = []
    lock: ClassVar[threading.Lock] = threading.Lock()

    def log_message(self, *_: Any) -> None:
        pass

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        with self.lock:
            self.received.append((dict(self.headers.items()), body))
            first = len(self.received) == 1
        self.send_response(500 if first else 204)
        self.send_header("Content-Length", "0")
        self.end_headers()


@pytest.fixture
def receiver() -> Iterator[str]:
    Receiver.received.clear()
    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/hook"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def settings_overrides(receiver: str) -> dict[str, Any]:
    # The second address answers nothing: nothing listens there.
    return {
        "webhook_urls": f"{receiver},http://127.0.0.1:{free_port()}/nothing-here",
        "webhook_secret": SECRET,
        "webhook_retry_base_seconds": 0.1,
        "webhook_max_attempts": 3,
        "webhook_timeout_seconds": 2,
    }


async def _settled(client: httpx.AsyncClient, expected: int) -> list[dict[str, Any]]:
    """The deliveries once none is pending."""
    for _ in range(200):
        deliveries = (await client.get("/api/webhooks/deliveries")).json()["data"]
        if len(deliveries) == expected and all(d["status"] != "pending" for d in deliveries):
            return list(deliveries)
        await asyncio.sleep(0.05)
    raise AssertionError(f"deliveries still pending: {deliveries}")


async def test_registry_events_are_signed_delivered_retried_and_given_up(
    app_and_client: tuple[FastAPI, httpx.AsyncClient],
    sessionmaker: Maker,
    settings: Settings,
    receiver: str,
) -> None:
    app, client = app_and_client
    run_id = await record_promotable_run(sessionmaker, settings, None, b"w")
    failed = await record_run(sessionmaker, status="failed")
    model_id = (await client.post("/api/models", json={"name": "hooked"})).json()["id"]
    promote = f"/api/models/{model_id}/versions/promote"
    # A refused promotion queues nothing: the outbox is written with the change or not at all.
    assert (await client.post(promote, json={"source_run_id": str(failed)})).status_code == 409
    assert await count_rows(sessionmaker, WebhookDelivery) == 0
    version = (await client.post(promote, json={"source_run_id": str(run_id)})).json()
    alias = f"/api/models/{model_id}/aliases/staging"
    moved = await client.put(alias, json={"version_id": version["id"], "reason": "try it"})
    assert moved.status_code == 200
    assert await count_rows(sessionmaker, WebhookDelivery) == 4  # two events, two URLs

    # Sent by the server's own sender, started with it (as `tunix-rt serve` does).
    async with app.router.lifespan_context(app):
        deliveries = await _settled(client, 4)
    mine = sorted((d for d in deliveries if d["url"] == receiver), key=lambda d: d["created_at"])
    assert [(d["event"], d["status"]) for d in mine] == [
        ("model_version.created", "delivered"),
        ("model_alias.moved", "delivered"),
    ]
    assert sorted(d["attempts"] for d in mine) == [1, 2]  # the first answer was a 500
    assert all(d["last_status_code"] == 204 for d in mine)
    dead = [d for d in deliveries if d["url"] != receiver]
    assert [(d["status"], d["attempts"]) for d in dead] == [("failed", 3), ("failed", 3)]
    assert all(d["last_error"].startswith("ConnectError") for d in dead)

    # What the receiver got: three requests (one retried), each verifiably signed.
    assert len(Receiver.received) == 3
    ids = [headers["X-Tunix-Delivery"] for headers, _ in Receiver.received]
    assert (len(set(ids)) == 2 and ids.count(ids[0]) == 2) or ids.count(ids[1]) == 2
    for headers, body in Receiver.received:
        signed = headers["X-Tunix-Timestamp"].encode() + b"." + body
        expected = hmac.new(SECRET.encode(), signed, hashlib.sha256).hexdigest()
        assert headers["X-Tunix-Signature"] == f"sha256={expected}"
        payload = json.loads(body)
        assert payload["event"] == headers["X-Tunix-Event"]
        assert payload["id"] == headers["X-Tunix-Delivery"]
    bodies = {json.loads(body)["event"]: json.loads(body) for _, body in Receiver.received}
    created = bodies["model_version.created"]["data"]
    assert created["model"] == {"id": model_id, "name": "hooked"}
    assert created["version"]["sha256"] == version["sha256"]
    assert created["version"]["provenance"]["run_id"] == str(run_id)
    alias_moved = bodies["model_alias.moved"]["data"]
    assert (alias_moved["alias"], alias_moved["action"], alias_moved["reason"]) == (
        "staging",
        "set",
        "try it",
    )
    assert alias_moved["to_version"] == {"id": version["id"], "version": "v1"}

    # Sent again on request: pending with fresh attempts, and filtered lists.
    again = await client.post(f"/api/webhooks/deliveries/{dead[0]['id']}/redeliver")
    assert again.status_code == 200
    assert (again.json()["status"], again.json()["attempts"]) == ("pending", 0)
    pending = await client.get("/api/webhooks/deliveries", params={"status": "pending"})
    assert [d["id"] for d in pending.json()["data"]] == [dead[0]["id"]]
    unknown = await client.post(f"/api/webhooks/deliveries/{uuid.uuid4()}/redeliver")
    assert unknown.status_code == 404 and unknown.json()["error"] == "DeliveryNotFound"
    bad = await client.get("/api/webhooks/deliveries", params={"status": "lost"})
    assert bad.status_code == 422


async def test_an_attempt_overtaken_by_a_redelivery_records_nothing(
    client: httpx.AsyncClient, sessionmaker: Maker, settings: Settings
) -> None:
    run_id = await record_promotable_run(sessionmaker, settings, None, b"w")
    model_id = (await client.post("/api/models", json={"name": "hooked"})).json()["id"]
    promote = f"/api/models/{model_id}/versions/promote"
    assert (await client.post(promote, json={"source_run_id": str(run_id)})).status_code == 201
    async with sessionmaker() as session:
        (row, _) = await repository.due(session, utcnow(), 10)
    token = uuid.uuid4()
    async with sessionmaker() as session, session.begin():
        assert await repository.claim(session, row, token, utcnow() + timedelta(minutes=1))
    again = await client.post(f"/api/webhooks/deliveries/{row.id}/redeliver")
    assert again.status_code == 200
    # The slow first attempt ends now: its answer is about a delivery sent again since.
    async with sessionmaker() as session, session.begin():
        await repository.end_attempt(session, row.id, token, {"status": "failed"})
    async with sessionmaker() as session:
        stored = await session.get(WebhookDelivery, row.id)
        assert stored is not None and (stored.status, stored.attempts) == ("pending", 0)
