"""SFT export and training manifests. Raises AppError; never commits."""

from __future__ import annotations

import uuid
from typing import Any

import yaml
from sqlalchemy.ext.asyncio import AsyncSession

from tunix_rt_backend.datasets import repository as datasets_repository
from tunix_rt_backend.datasets import service as datasets_service
from tunix_rt_backend.datasets.formats import tunix_sft_line
from tunix_rt_backend.datasets.schemas import DatasetManifest
from tunix_rt_backend.errors import BadRequest, NotFound
from tunix_rt_backend.sft.schemas import SftExportRequest, SftManifestRequest
from tunix_rt_backend.training.manifest import TrainingSection

MANIFEST_VERSION = "1.0"


class TracesNotFound(NotFound):
    pass


def check_export_request(request: SftExportRequest, max_traces: int) -> None:
    if (request.dataset_key is None) == (request.trace_ids is None):
        raise BadRequest("Give either dataset_key or trace_ids (exactly one of them).")
    datasets_service.check_limit(request.limit, max_traces)


async def trace_ids_export(session: AsyncSession, trace_ids: list[uuid.UUID], limit: int) -> bytes:
    """The listed traces in the order given; 404 naming any that do not exist."""
    wanted = list(dict.fromkeys(trace_ids))[:limit]
    payloads = await datasets_repository.trace_payloads(session, wanted)
    missing = [str(i) for i in wanted if i not in payloads]
    if missing:
        raise TracesNotFound(f"Trace(s) not found: {', '.join(missing)}.")
    return b"".join(tunix_sft_line(i, None, payloads[i]) for i in wanted)


async def build_manifest(session: AsyncSession, request: SftManifestRequest) -> str:
    dataset = await datasets_service.get_manifest(session, request.dataset_key)
    training = TrainingSection.of(request)
    return manifest_yaml(dataset, request.model_id, training, request.output_dir)


def manifest_yaml(
    dataset: DatasetManifest, model_id: str, training: TrainingSection, output_dir: str
) -> str:
    """The run manifest the training process reads (training/manifest.py)."""
    document: dict[str, Any] = {
        "version": MANIFEST_VERSION,
        "runner": "tunix",
        "task": "sft",
        "model": {"id": model_id},
        "dataset": {
            "key": dataset.dataset_key,
            "format": "tunix_sft",
            "content_sha256": dataset.content_sha256,
            "trace_count": dataset.trace_count,
            "train_count": dataset.train_count,
            "eval_count": dataset.eval_count,
            "export": f"/api/datasets/{dataset.dataset_key}/export.jsonl?format=tunix_sft",
        },
        "template": dataset.template.model_dump(),
        "training": training.model_dump(),
        "output": {"dir": output_dir},
    }
    return yaml.dump(document, Dumper=_ManifestDumper, sort_keys=False, allow_unicode=True)


class _ManifestDumper(yaml.SafeDumper):
    """Multi-line strings (the rendered sample) as literal blocks, readable as is."""


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_ManifestDumper.add_representer(str, _represent_str)
