"""Dry-run checks: everything a run needs, verified without training. Each check
says what it found; a run starts only when all pass."""

from __future__ import annotations

import asyncio
import statistics
import uuid
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncSession

from tunix_rt_backend.datasets import repository as datasets_repository
from tunix_rt_backend.datasets.schemas import DatasetManifest
from tunix_rt_backend.runs.runtime import tunix_available
from tunix_rt_backend.runs.schemas import Check, RunRequest
from tunix_rt_backend.templates.gemma_reasoning import TEMPLATE_SHA256, render_trace
from tunix_rt_backend.training.catalog import (
    TOKENIZER_FILES,
    ModelNotAvailable,
    checkpoint_model_type,
    is_builtin,
    local_checkpoint_dir,
    shown_under,
)
from tunix_rt_backend.training.tokenizer import ByteTokenizer, CheckpointTokenizer

if TYPE_CHECKING:  # training.data needs numpy, which only the tunix extra brings
    from tunix_rt_backend.training.data import Tokenizer

TOKEN_SAMPLE = 200


def model_check(model_id: str, models_root: Path) -> tuple[Check, Tokenizer | None]:
    """(the check, the tokenizer the run would use: None when it cannot be read here)."""
    try:
        if is_builtin(model_id):
            check = Check(name="model", ok=True, detail=f"{model_id}: built in, random init")
            return check, ByteTokenizer()
        path = local_checkpoint_dir(model_id, models_root)
        model_type = checkpoint_model_type(path)
    except ModelNotAvailable as exc:
        return Check(name="model", ok=False, detail=str(exc)), None
    found = [name for name in TOKENIZER_FILES if (path / name).is_file()]
    shown = shown_under(path, models_root, "MODEL_DIR")
    if not found:
        detail = f"checkpoint at {shown} has no tokenizer file ({', '.join(TOKENIZER_FILES)})"
        return Check(name="model", ok=False, detail=detail), None
    try:
        tokenizer: Tokenizer | None = CheckpointTokenizer.from_dir(path)
    except ImportError:  # `tokenizers` comes with the tunix extra
        tokenizer = None
    except ModelNotAvailable as exc:
        return Check(name="model", ok=False, detail=str(exc)), None
    detail = f"{model_type} checkpoint at {shown} ({', '.join(found)})"
    return Check(name="model", ok=True, detail=detail), tokenizer


async def token_check(
    session: AsyncSession, dataset_id: uuid.UUID, max_seq_length: int, tok: Tokenizer
) -> Check:
    """Counts as the trainer will (data.tokenize: BOS + prompt + completion + EOS) over
    a sample of the dataset, with the model's own tokenizer."""
    totals: list[int] = []
    prompts: list[int] = []
    rows_stream = datasets_repository.stream_members(session, dataset_id, None, TOKEN_SAMPLE)
    async for rows in rows_stream:
        for row in rows:
            example = render_trace(row[2])
            prompt = 1 + len(tok.encode(example.prompt))
            prompts.append(prompt)
            totals.append(prompt + len(tok.encode(example.completion)) + 1)
    if not totals:
        return Check(name="tokens", ok=False, detail="the dataset has no traces")
    over = sum(total > max_seq_length for total in totals)
    detail = (
        f"{len(totals)} samples: prompt mean {statistics.fmean(prompts):.0f} / max {max(prompts)} "
        f"tokens, prompt+completion mean {statistics.fmean(totals):.0f} / max {max(totals)}; "
        f"{over} longer than max_seq_length {max_seq_length}"
    )
    # Truncating a few is allowed; losing the answer of most examples is not.
    return Check(name="tokens", ok=over * 2 <= len(totals), detail=detail)


def steps_check(request: RunRequest, dataset: DatasetManifest) -> Check:
    per_epoch = max(1, dataset.train_count // request.batch_size)
    total = request.max_steps or request.num_epochs * per_epoch
    detail = (
        f"{total} steps of batch {request.batch_size} "
        f"({dataset.train_count} train examples, {per_epoch} steps per epoch)"
    )
    return Check(name="steps", ok=dataset.train_count > 0, detail=detail)


def output_check(output_path: Path, artifacts_root: Path, resuming: bool) -> Check:
    """A new run needs a directory without checkpoints; a resumed attempt, its own."""
    checkpoints = output_path / "checkpoints"
    shown = shown_under(output_path, artifacts_root, "ARTIFACTS_DIR")
    if checkpoints.is_dir() and any(checkpoints.iterdir()):
        if resuming:
            return Check(name="output_dir", ok=True, detail=f"{shown} (resuming)")
        return Check(name="output_dir", ok=False, detail=f"{shown} already holds checkpoints")
    return Check(name="output_dir", ok=True, detail=shown)


async def dry_run_checks(
    session: AsyncSession,
    request: RunRequest,
    dataset: DatasetManifest,
    models_root: Path,
    output_path: Path,
    artifacts_root: Path,
    *,
    resuming: bool = False,
) -> list[Check]:
    # A checkpoint's tokenizer.json can be tens of MB of JSON: read it off the event loop.
    model, tokenizer = await asyncio.to_thread(model_check, request.model_id, models_root)
    checks = [
        Check(
            name="dataset",
            ok=dataset.template.sha256 == TEMPLATE_SHA256,
            detail=f"{dataset.dataset_key}: {dataset.trace_count} traces "
            f"({dataset.train_count} train, {dataset.eval_count} eval), "
            f"template {dataset.template.name}",
        ),
        model,
    ]
    if tokenizer is not None:
        checks.append(await token_check(session, dataset.id, request.max_seq_length, tokenizer))
    elif model.ok:
        detail = "not counted: reading the checkpoint's tokenizer needs the tunix extra"
        checks.append(Check(name="tokens", ok=True, detail=detail))
    checks += [
        steps_check(request, dataset),
        output_check(output_path, artifacts_root, resuming),
        Check(
            name="runtime",
            ok=True,
            detail="Tunix is installed"
            if tunix_available()
            else "Tunix is not installed: dry runs only",
        ),
    ]
    return checks
