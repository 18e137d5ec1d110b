"""The Tunix runtime here: whether the `tunix` extra is installed, and the JAX devices
it would use.

JAX is never imported into the server: the devices come from a one-off subprocess,
asked once and remembered (they do not change while the process runs)."""

from __future__ import annotations

import asyncio
import functools
import importlib.metadata
import importlib.util
import sys
from pathlib import Path

import orjson

from tunix_rt_backend.runs.schemas import LocalModel, TunixStatus
from tunix_rt_backend.training.catalog import BUILTIN_MODELS, local_checkpoints

DEVICE_PROBE_TIMEOUT_S = 60.0
_PROBE = "import json, jax; print(json.dumps([str(d) for d in jax.devices()]))"
_devices: list[str] | None = None
_lock = asyncio.Lock()


def _version(dist: str) -> str | None:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return None


@functools.cache
def tunix_available() -> bool:
    """Whether the `tunix` extra is installed: asked once (a metadata lookup, 0.3 ms,
    on every /v1 request otherwise); what is installed does not change while we run."""
    return importlib.util.find_spec("tunix") is not None and _version("google-tunix") is not None


async def _probe_devices() -> list[str]:
    global _devices
    async with _lock:
        if _devices is None:
            proc = await asyncio.create_subprocess_exec(
                sys.executable,
                "-c",
                _PROBE,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.DEVNULL,
            )
            try:
                out, _ = await asyncio.wait_for(proc.communicate(), DEVICE_PROBE_TIMEOUT_S)
                _devices = (
                    orjson.loads(out.strip().splitlines()[-1]) if proc.returncode == 0 else []
                )
            except (TimeoutError, IndexError, orjson.JSONDecodeError):
                proc.kill()
                _devices = []
        return _devices


async def tunix_status(models_root: Path) -> TunixStatus:
    builtin = {name: spec.description for name, spec in BUILTIN_MODELS.items()}
    local = [LocalModel(**vars(found)) for found in local_checkpoints(models_root)]
    if not tunix_available():
        return TunixStatus(
            available=False,
            version=None,
            runtime_required=False,
            message="Tunix runtime not available. Install with `pip install -e "
            "'backend[tunix]'` (make run does) for local execution.",
            jax_version=None,
            devices=[],
            builtin_models=builtin,
            local_models=local,
        )
    return TunixStatus(
        available=True,
        version=_version("google-tunix"),
        runtime_required=True,
        message="Tunix runtime is available for execution.",
        jax_version=_version("jax"),
        devices=await _probe_devices(),
        builtin_models=builtin,
        local_models=local,
    )
