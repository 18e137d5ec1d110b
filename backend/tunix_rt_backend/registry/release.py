"""The demo's release: a completed, evaluated run checked against the previous demo
run, promoted into a model, and the model's `prod` alias moved to it through the gate.
The same steps a pipeline takes with `tunix-rt regression check` and `tunix-rt model
promote|alias`, in one function that prints what each decided."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tunix_rt_backend.db.engine import session_scope
from tunix_rt_backend.registry import aliases, service
from tunix_rt_backend.registry.aliases import Caller
from tunix_rt_backend.registry.schemas import AliasRequest, ModelCreate, PromoteRequest
from tunix_rt_backend.regression import service as regression_service
from tunix_rt_backend.regression.schemas import BaselineRequest, CheckRequest
from tunix_rt_backend.settings import Settings

Maker = async_sessionmaker[AsyncSession]
DEMO_MODEL = "hcd-demo"
DEMO_BASELINE = "hcd-demo"
PROD = "prod"


@dataclass(frozen=True)
class Released:
    model_id: uuid.UUID
    served_as: str  # the name /v1 serves it under: `hcd-demo:prod` when prod is it


async def release(
    maker: Maker, settings: Settings, run_id: uuid.UUID, beats_chance: bool
) -> Released:
    """Gate, promote and (when the gate passes) move `prod`. The first demo run has
    nothing to be checked against: it goes to `prod` only when its evaluation beats
    always giving the commonest answer (`beats_chance`)."""
    caller = Caller.command_line(" (demo)")
    async with session_scope(maker) as session:
        first = not await _baseline_exists(session)
        if not first:
            report = await regression_service.check(
                session, CheckRequest(run_id=run_id, baseline_name=DEMO_BASELINE)
            )
            print(
                f"regression check against the previous demo run (baseline {DEMO_BASELINE}): "
                f"{report.verdict} ({report.reasons[0]})"
            )
        else:
            await regression_service.set_baseline(
                session, BaselineRequest(name=DEMO_BASELINE, run_id=run_id)
            )
            print(f"the first demo run: pinned as baseline {DEMO_BASELINE}")
    async with session_scope(maker) as session:
        try:
            model = await service.find_model(session, DEMO_MODEL)
            model_id = model.id
        except service.ModelNotFound:
            model_id = (
                await service.create_model(session, settings, ModelCreate(name=DEMO_MODEL))
            ).id
        version, created = await service.promote(
            session, settings, model_id, PromoteRequest(source_run_id=run_id)
        )
    print(
        f"{'promoted' if created else 'already promoted'}: {DEMO_MODEL} {version.version} "
        f"(sha256 {version.sha256[:12]}, {version.size_bytes / 2**20:.1f} MiB)"
    )
    unreleased = Released(model_id, f"{DEMO_MODEL}@{version.version}")
    if first and not beats_chance:
        print(f"{PROD} not set: the run does not beat always giving the commonest answer")
        return unreleased
    request = AliasRequest(version_id=version.id, baseline_name=DEMO_BASELINE, reason="demo")
    async with session_scope(maker) as session:
        move = await aliases.set_alias(session, settings, model_id, PROD, request, caller)
    refused = aliases.refusal(move)
    if refused is not None:
        print(f"{PROD} stays where it was: {refused.detail}")
        return unreleased
    if move.event is None:
        print(f"{PROD} points at {version.version} already")
        return Released(model_id, f"{DEMO_MODEL}:{PROD}")
    print(f"{PROD} -> {version.version} ({move.event.action})")
    async with session_scope(maker) as session:
        # The next demo run is checked against the one in prod now.
        await regression_service.set_baseline(
            session, BaselineRequest(name=DEMO_BASELINE, run_id=run_id)
        )
    return Released(model_id, f"{DEMO_MODEL}:{PROD}")


async def _baseline_exists(session: AsyncSession) -> bool:
    try:
        await regression_service.get_baseline(session, DEMO_BASELINE)
    except regression_service.BaselineNotFound:
        return False
    return True
