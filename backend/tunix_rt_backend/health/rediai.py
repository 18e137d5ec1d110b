"""RediAI health probe, cached for REDIAI_HEALTH_CACHE_TTL_SECONDS.

RediAI is the user's external inference service. `REDIAI_MODE=mock` answers
healthy without a network call (for CI and offline use), and says so (`mode: mock`,
so no one reads it as a check that passed); `real` probes
`REDIAI_BASE_URL + REDIAI_HEALTH_PATH`.
"""

from __future__ import annotations

import asyncio
import time
from typing import Literal

import httpx
from pydantic import BaseModel

from tunix_rt_backend.settings import Settings


class RediHealth(BaseModel):
    status: Literal["healthy", "down"]
    # "mock" (REDIAI_MODE=mock): `status` is the seed's fixed "healthy", never checked.
    mode: Literal["mock", "real"] = "real"
    error: str | None = None


class RediHealthProbe:
    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._cached: RediHealth | None = None
        self._expires_at = 0.0
        # One probe at a time: a burst of UI polls on a cold cache makes one request.
        self._lock = asyncio.Lock()

    async def check(self) -> RediHealth:
        if self._settings.rediai_mode == "mock":
            return RediHealth(status="healthy", mode="mock")
        if self._cached is not None and time.monotonic() < self._expires_at:
            return self._cached
        async with self._lock:
            if self._cached is None or time.monotonic() >= self._expires_at:
                self._cached = await self._probe()
                self._expires_at = time.monotonic() + self._settings.rediai_health_cache_ttl_seconds
            return self._cached

    async def _probe(self) -> RediHealth:
        timeout = self._settings.rediai_timeout_seconds
        url = self._settings.rediai_base_url + self._settings.rediai_health_path
        try:
            async with httpx.AsyncClient(timeout=timeout) as client:
                response = await client.get(url)
        except httpx.TimeoutException:
            return RediHealth(status="down", error=f"Timeout after {timeout:g}s")
        except httpx.ConnectError:
            return RediHealth(status="down", error="Connection refused")
        except httpx.HTTPError as exc:
            return RediHealth(status="down", error=f"{type(exc).__name__}: {exc}")
        if not response.is_success:
            return RediHealth(status="down", error=f"HTTP {response.status_code}")
        return RediHealth(status="healthy")
