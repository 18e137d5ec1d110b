"""A non-streamed answer is cancelled (and so stops being decoded) when its client goes
away before it is ready; one that is ready first is answered, and errors pass through."""

from __future__ import annotations

import asyncio
from typing import Any, cast

import pytest
from fastapi import Request

from tunix_rt_backend.errors import NotFound
from tunix_rt_backend.serving.router import ClientGone, unless_gone


class Client:
    """A request whose client hangs up after `polls` checks."""

    def __init__(self, polls: int) -> None:
        self.polls = polls
        self.asked = 0

    async def is_disconnected(self) -> bool:
        self.asked += 1
        return self.asked > self.polls


def _request(client: Client) -> Request:
    return cast(Request, client)


async def test_the_work_is_cancelled_when_its_client_goes_away() -> None:
    cancelled = asyncio.Event()

    async def decoding() -> Any:
        try:
            await asyncio.sleep(3600)
        except asyncio.CancelledError:
            cancelled.set()
            raise

    client = Client(polls=2)
    with pytest.raises(ClientGone):
        await unless_gone(_request(client), decoding())
    assert cancelled.is_set() and client.asked == 3


async def test_an_answer_ready_first_is_returned_and_an_error_passes_through() -> None:
    async def answer() -> int:
        return 42

    async def refused() -> int:
        raise NotFound("no such model")

    assert await unless_gone(_request(Client(polls=0)), answer()) == 42
    with pytest.raises(NotFound):
        await unless_gone(_request(Client(polls=100)), refused())
