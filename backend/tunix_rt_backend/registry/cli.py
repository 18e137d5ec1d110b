"""`tunix-rt model create|promote|list|alias|rollback|history|export`: the registry from
the command line (a release pipeline's steps). Models and versions are named by name
and label (or id). `alias` exits 1 when a protected alias's gate refuses the move (the
report is printed, and the refusal kept in the history, as over the API)."""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tunix_rt_backend.db.engine import session_scope
from tunix_rt_backend.errors import AppError
from tunix_rt_backend.registry import aliases, service
from tunix_rt_backend.registry.aliases import Caller
from tunix_rt_backend.registry.schemas import AliasRequest, ModelCreate, PromoteRequest
from tunix_rt_backend.regression.cli import render
from tunix_rt_backend.runs.artifacts import file_chunks
from tunix_rt_backend.settings import Settings
from tunix_rt_backend.templates.gemma_reasoning import TEMPLATE_SHA256

Maker = async_sessionmaker[AsyncSession]
RunWithMaker = Callable[[Settings, Callable[[Maker], Awaitable[Any]]], Any]
EXIT_REFUSED = 1


class ExportFailed(AppError):
    pass


def add_commands(sub: Any, run: RunWithMaker) -> Any:
    """Register the commands; `run(settings, work)` runs `work(sessionmaker)`. Returns
    the `model` command's subcommands (others add theirs)."""
    model = sub.add_parser("model", help="the model registry").add_subparsers(required=True)
    create = model.add_parser("create", help="register a model")
    create.add_argument("name")
    create.add_argument("--description")
    create.set_defaults(handler=lambda s, a: _create(run, s, a))

    promote = model.add_parser("promote", help="a new version from a completed run")
    promote.add_argument("model", help="the model's name (or id)")
    promote.add_argument("--run", required=True, help="the run's id")
    promote.add_argument("--label", help="the version's label (default v1, v2, ...)")
    promote.add_argument("--description")
    promote.set_defaults(handler=lambda s, a: _promote(run, s, a))

    listing = model.add_parser("list", help="models; with MODEL, its versions")
    listing.add_argument("model", nargs="?")
    listing.set_defaults(handler=lambda s, a: _list(run, s, a))

    alias = model.add_parser("alias", help="point an alias at a version (gated if protected)")
    alias.add_argument("model")
    alias.add_argument("alias")
    alias.add_argument("version", help="the version's label (or id)")
    alias.add_argument("--baseline", help="the baseline a protected alias's gate checks")
    alias.add_argument("--reason")
    alias.set_defaults(handler=lambda s, a: _alias(run, s, a))

    rollback = model.add_parser("rollback", help="an alias back to its previous version")
    rollback.add_argument("model")
    rollback.add_argument("alias")
    rollback.add_argument("--reason")
    rollback.set_defaults(handler=lambda s, a: _rollback(run, s, a))

    history = model.add_parser("history", help="every move of an alias, newest first")
    history.add_argument("model")
    history.add_argument("alias")
    history.set_defaults(handler=lambda s, a: _history(run, s, a))

    export = model.add_parser(
        "export", help="a version into a directory: as stored, or as a Hugging Face checkpoint"
    )
    export.add_argument("model")
    export.add_argument("version", help="the version's label (or id)")
    export.add_argument("--output", required=True, type=Path, help="a new or empty directory")
    export.add_argument(
        "--format",
        choices=["tunix", "hf"],
        default="tunix",
        help="tunix: the archive unpacked (manifest and checkpoint); hf: safetensors, "
        "config.json, tokenizer and chat template, LoRA merged (Gemma 3)",
    )
    export.set_defaults(handler=lambda s, a: _export(run, s, a))
    return model


def _create(run: RunWithMaker, settings: Settings, args: argparse.Namespace) -> None:
    request = ModelCreate(name=args.name, description=args.description)

    async def work(maker: Maker) -> Any:
        async with session_scope(maker) as session:
            return await service.create_model(session, settings, request)

    created = run(settings, work)
    print(f"created model {created.name} ({created.id})")


def _promote(run: RunWithMaker, settings: Settings, args: argparse.Namespace) -> None:
    async def work(maker: Maker) -> Any:
        async with session_scope(maker) as session:
            artifact = await service.find_model(session, args.model)
            request = PromoteRequest(
                source_run_id=args.run, version_label=args.label, description=args.description
            )
            return await service.promote(session, settings, artifact.id, request)

    version, created = run(settings, work)
    verb = "promoted" if created else "already promoted (same checkpoint)"
    print(
        f"{verb}: {version.model_name} {version.version} ({version.id}) from run "
        f"{version.source_run_id}, sha256 {version.sha256}, {version.size_bytes} bytes"
    )


def _list(run: RunWithMaker, settings: Settings, args: argparse.Namespace) -> None:
    async def work(maker: Maker) -> Any:
        async with session_scope(maker) as session:
            if args.model is None:
                return await service.list_models(session, settings, 100, 0)
            artifact = await service.find_model(session, args.model)
            return await service.list_versions(session, artifact.id, 100, 0)

    page = run(settings, work)
    if args.model is None:
        for m in page.data:
            latest = m.latest_version.version if m.latest_version else "-"
            tags = ", ".join(f"{a.alias}={a.version.version}" for a in m.aliases) or "-"
            print(f"{m.name}\t{m.version_count} versions\tlatest {latest}\taliases {tags}")
        return
    for v in page.data:
        tags = ",".join(v.aliases) or "-"
        print(f"{v.version}\t{v.id}\trun {v.source_run_id}\t{v.sha256[:12]}\t{tags}")


def _alias(run: RunWithMaker, settings: Settings, args: argparse.Namespace) -> int:
    async def work(maker: Maker) -> Any:
        async with session_scope(maker) as session:
            artifact = await service.find_model(session, args.model)
            version = await service.find_version(session, artifact, args.version)
            request = AliasRequest(
                version_id=version.id, baseline_name=args.baseline, reason=args.reason
            )
            return await aliases.set_alias(
                session, settings, artifact.id, args.alias, request, Caller.command_line()
            )

    move = run(settings, work)
    if move.check is not None:
        print(render(move.check))
    refused = aliases.refusal(move)
    if refused is not None:
        print(f"tunix-rt: {refused.detail}", file=sys.stderr)
        return EXIT_REFUSED
    if move.event is None:
        print(f"{args.alias} points at {args.version} already")
    else:
        print(f"{args.alias}: {move.event.action} to {move.alias.version.version}")
    return 0


def _rollback(run: RunWithMaker, settings: Settings, args: argparse.Namespace) -> None:
    async def work(maker: Maker) -> Any:
        async with session_scope(maker) as session:
            artifact = await service.find_model(session, args.model)
            return await aliases.rollback(
                session, settings, artifact.id, args.alias, args.reason, Caller.command_line()
            )

    move = run(settings, work)
    print(f"{args.alias}: rolled back to {move.alias.version.version}")


def _history(run: RunWithMaker, settings: Settings, args: argparse.Namespace) -> None:
    async def work(maker: Maker) -> Any:
        async with session_scope(maker) as session:
            artifact = await service.find_model(session, args.model)
            return await aliases.history(session, artifact.id, args.alias, 100, 0)

    for e in run(settings, work).data:
        moved = f"{e.from_version.version if e.from_version else '-'} -> "
        moved += e.to_version.version if e.to_version else "-"
        check = f" check {e.check_id}" if e.check_id else ""
        reason = f" ({e.reason})" if e.reason else ""
        when = f"{e.created_at:%Y-%m-%d %H:%M:%S}"
        print(f"{when}\t{e.action}\t{moved}\t{e.actor or '-'}{check}{reason}")


def _export(run: RunWithMaker, settings: Settings, args: argparse.Namespace) -> None:
    async def work(maker: Maker) -> Any:
        async with session_scope(maker) as session:
            artifact = await service.find_model(session, args.model)
            version = await service.find_version(session, artifact, args.version)
            return await service.blob_of(session, settings, version.id)

    path, _, row = run(settings, work)
    out: Path = args.output
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise ExportFailed(f"{out} is not an empty directory")
    digest = hashlib.sha256()
    for block in file_chunks(path):
        digest.update(block)
    if digest.hexdigest() != row.sha256:
        raise ExportFailed(
            f"the stored archive of {args.model} {row.version} does not match its sha256: "
            "it was changed or damaged on disk"
        )
    if args.format == "tunix":
        out.mkdir(parents=True, exist_ok=True)
        _unpack(path, out)
        print(f"exported {args.model} {row.version} (sha256 {row.sha256}) to {out}")
        return
    trained_with = row.provenance_json.get("template_sha256")
    if trained_with not in (None, TEMPLATE_SHA256):
        raise ExportFailed(
            f"{args.model} {row.version} was trained with another chat template "
            f"({str(trained_with)[:12]}) than this server's ({TEMPLATE_SHA256[:12]}): its "
            "exported chat template would not be the one it learned"
        )
    with tempfile.TemporaryDirectory(prefix="tunix-rt-export-") as unpacked:
        _unpack(path, Path(unpacked))
        expected = row.provenance_json.get("params_sha256")
        print(_export_hf(settings, Path(unpacked), out, expected))


def _unpack(archive: Path, into: Path) -> None:
    with tarfile.open(archive) as tar:
        tar.extractall(into, filter="data")


def _export_hf(settings: Settings, unpacked: Path, out: Path, expected: str | None) -> str:
    """The training process's exporter (JAX runs in its own process), with the
    server's MODEL_DIR for a base checkpoint. The weights it restored must be the ones
    the run trained (`expected`, the version's params_sha256): a LoRA version holds its
    adapters only, and a base model changed under MODEL_DIR would give other weights."""
    command = [sys.executable, "-m", "tunix_rt_backend.training.export_hf"]
    command += ["--manifest", str(unpacked / "manifest.yaml"), "--output-dir", str(unpacked)]
    command += ["--out", str(out)]
    env = {**os.environ, "MODEL_DIR": str(settings.models_root)}
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise ExportFailed(done.stderr.strip().splitlines()[-1] if done.stderr else "failed")
    result = json.loads(done.stdout.strip().splitlines()[-1])
    if expected is not None and result["params_sha256"] != expected:
        shutil.rmtree(out, ignore_errors=True)
        raise ExportFailed(
            "the restored weights are not the ones the run trained (params_sha256 "
            f"{result['params_sha256'][:12]}, the version's {expected[:12]}): for a LoRA "
            "version, its base model under MODEL_DIR is not the one it was trained on"
        )
    return (
        f"exported {out} (Hugging Face, Gemma 3): step {result['step']}, "
        f"{', '.join(result['files'])}; checked: logits within "
        f"{result['max_logit_difference']:.2g} of the restored model"
    )
