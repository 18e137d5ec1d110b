"""Aliases of a model (`prod`, `staging`, ...): moving one, the gate that guards a
protected one, rollback, deletion, and the append-only history of every move.

A protected alias (PROTECTED_ALIASES) moves to a version it never held only when the
version's run passes a regression check against the baseline the request names (a
check stored for the same evaluation and baseline setting is reused), and only for a
request with a token (so the history can say who). A failed or inconclusive check
leaves the alias where it was: the refusal is recorded, with its check, and the route
answers 409 with the report. Moving back to a version the alias held before is a
rollback: no new check. Raises AppError; never commits."""

from __future__ import annotations

import getpass
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from tunix_rt_backend.auth import service as auth_service
from tunix_rt_backend.db.models import ModelAlias, ModelAliasEvent, ModelArtifact, ModelVersion
from tunix_rt_backend.errors import Conflict, Forbidden, NotFound, ValidationFailed
from tunix_rt_backend.kit.pagination import Page, offset_pagination
from tunix_rt_backend.kit.time import utcnow
from tunix_rt_backend.registry import repository
from tunix_rt_backend.registry.moves import rollback_target
from tunix_rt_backend.registry.schemas import (
    RESERVED_ALIASES,
    Alias,
    AliasAction,
    AliasEvent,
    AliasMove,
    AliasRequest,
    VersionRef,
)
from tunix_rt_backend.registry.service import ModelNotFound, VersionNotFound
from tunix_rt_backend.regression import service as regression_service
from tunix_rt_backend.regression.schemas import CheckReport
from tunix_rt_backend.settings import Settings
from tunix_rt_backend.webhooks import service as webhooks


class AliasNotFound(NotFound):
    pass


class NothingToRollBackTo(Conflict):
    pass


class ProtectedAliasNeedsToken(Forbidden):
    pass


class NoRunToCheck(Conflict):
    """A protected alias's candidate has no source run to check."""


class GateRefused(Conflict):
    """The regression check did not pass: the protected alias did not move."""

    def __init__(self, detail: str, report: CheckReport) -> None:
        super().__init__(detail)
        self.report = report

    def body_extra(self) -> dict[str, object]:
        return {"check": self.report.model_dump(mode="json")}


@dataclass(frozen=True, slots=True)
class Caller:
    """Who asks, for the history's `actor`: the request's token (None with auth off),
    or an operator at the server's own command line (`cli:<user>`), who holds the
    database itself."""

    token_id: uuid.UUID | None
    operator: str | None = None

    @classmethod
    def command_line(cls, note: str = "") -> Caller:
        """The operator running a `tunix-rt` command here, as the history names them."""
        return cls(token_id=None, operator=f"cli:{getpass.getuser()}{note}")

    @property
    def known(self) -> bool:
        return self.token_id is not None or self.operator is not None

    async def is_admin(self, session: AsyncSession) -> bool:
        if self.token_id is None:
            return self.operator is not None
        return await auth_service.token_is_admin(session, self.token_id)

    async def name(self, session: AsyncSession) -> str | None:
        if self.token_id is None:
            return self.operator
        return await auth_service.token_name(session, self.token_id)


@dataclass(frozen=True, slots=True)
class _Target:
    artifact: ModelArtifact
    alias: str
    current: ModelAlias | None
    protected: bool


async def set_alias(
    session: AsyncSession,
    settings: Settings,
    model_id: uuid.UUID,
    alias: str,
    request: AliasRequest,
    caller: Caller,
) -> AliasMove:
    """Point the alias at the version. A refused gate returns the move with its
    `refused` event (the caller commits it, then answers 409: see `refusal`)."""
    if alias in RESERVED_ALIASES:
        raise ValidationFailed.field(
            ("path", "alias"),
            f"{alias!r} is reserved: it always means the newest version",
            "value_error",
        )
    target = await _target(session, settings, model_id, alias)
    version = await repository.version(session, request.version_id)
    if version is None or version.artifact_id != target.artifact.id:
        raise VersionNotFound(f"{target.artifact.name} has no version {request.version_id}")
    if target.current is not None and target.current.version_id == version.id:
        return AliasMove(alias=await _alias(session, target, version), event=None, check=None)
    held = await repository.last_move_to(session, target.artifact.id, alias, version.id)
    report = None
    if target.protected:
        _need_token(caller, alias)
        if held is None:
            report = await _gate(session, version, request.baseline_name, alias)
    action: AliasAction = "set" if held is None else "rollback"
    if report is not None and report.verdict != "pass":
        action = "refused"
    event = await _event(
        session, await _record(session, target, action, version, caller, report, request.reason)
    )
    if action != "refused":
        await _point(session, target, version)
        await _announce(session, settings, target, event)
    return AliasMove(
        alias=await _alias(session, target, version) if action != "refused" else None,
        event=event,
        check=report,
    )


def refusal(move: AliasMove) -> GateRefused | None:
    """The error to answer with when the gate refused the move (None: it moved)."""
    if move.event is None or move.event.action != "refused" or move.check is None:
        return None
    check = move.check
    return GateRefused(
        f"{move.event.alias} did not move: the regression check against baseline "
        f"{check.baseline_name!r} is {check.verdict} ({'; '.join(check.reasons)})",
        check,
    )


async def rollback(
    session: AsyncSession,
    settings: Settings,
    model_id: uuid.UUID,
    alias: str,
    reason: str | None,
    caller: Caller,
) -> AliasMove:
    """Undo the alias's last move that is not undone yet: back to where it pointed before
    it (v1 -> v2 -> v3, then rollback, rollback: v2, then v1)."""
    target = await _target(session, settings, model_id, alias)
    if target.current is None:
        raise AliasNotFound(f"{target.artifact.name} has no alias {alias!r}")
    back_to = rollback_target(await repository.events_of(session, [target.artifact.id], alias))
    previous = await repository.version(session, back_to) if back_to is not None else None
    if previous is None:
        raise NothingToRollBackTo(
            f"{alias} has pointed at no other version of {target.artifact.name} before this one"
        )
    if target.protected:
        _need_token(caller, alias)
    event = await _event(
        session, await _record(session, target, "rollback", previous, caller, None, reason)
    )
    await _point(session, target, previous)
    await _announce(session, settings, target, event)
    return AliasMove(alias=await _alias(session, target, previous), event=event, check=None)


async def delete_alias(
    session: AsyncSession,
    settings: Settings,
    model_id: uuid.UUID,
    alias: str,
    caller: Caller,
) -> None:
    target = await _target(session, settings, model_id, alias)
    if target.current is None:
        raise AliasNotFound(f"{target.artifact.name} has no alias {alias!r}")
    if target.protected:
        _need_token(caller, alias)
    event = await _record(session, target, "delete", None, caller, None, None)
    await session.delete(target.current)
    await session.flush()
    await _announce(session, settings, target, await _event(session, event))


async def history(
    session: AsyncSession, model_id: uuid.UUID, alias: str, limit: int, offset: int
) -> Page[AliasEvent]:
    """Every move of the alias, refused ones too, newest first (also after it was
    deleted)."""
    artifact = await repository.artifact(session, model_id)
    if artifact is None:
        raise ModelNotFound(f"no model {model_id}")
    rows = await repository.events(session, artifact.id, alias, limit, offset)
    return Page[AliasEvent](
        data=await _events(session, rows[:limit]),
        pagination=offset_pagination(limit, offset, len(rows) > limit),
    )


async def _target(
    session: AsyncSession, settings: Settings, model_id: uuid.UUID, alias: str
) -> _Target:
    # Locked: two moves of one model's aliases at once apply one after the other, each
    # recording where the alias really was.
    artifact = await repository.artifact_for_update(session, model_id)
    if artifact is None:
        raise ModelNotFound(f"no model {model_id}")
    return _Target(
        artifact=artifact,
        alias=alias,
        current=await repository.alias(session, artifact.id, alias),
        protected=alias in settings.protected_alias_names,
    )


def _need_token(caller: Caller, alias: str) -> None:
    if not caller.known:
        raise ProtectedAliasNeedsToken(
            f"{alias} is a protected alias: moving it needs a write token, so that its "
            "history says who moved it (create one: tunix-rt token create NAME --scope write)"
        )


async def _gate(
    session: AsyncSession, version: ModelVersion, baseline_name: str | None, alias: str
) -> CheckReport:
    if baseline_name is None:
        raise ValidationFailed.field(
            ("body", "baseline_name"),
            f"{alias} is a protected alias: name the baseline its new version must pass",
            "missing",
        )
    if version.source_run_id is None:
        raise NoRunToCheck(
            f"version {version.version} has no run to check (its run was deleted): "
            f"{alias} cannot move to it"
        )
    return await regression_service.gate(session, version.source_run_id, baseline_name)


async def _record(
    session: AsyncSession,
    target: _Target,
    action: AliasAction,
    version: ModelVersion | None,
    caller: Caller,
    report: CheckReport | None,
    reason: str | None,
) -> ModelAliasEvent:
    event = ModelAliasEvent(
        artifact_id=target.artifact.id,
        alias=target.alias,
        action=action,
        from_version_id=target.current.version_id if target.current is not None else None,
        to_version_id=version.id if version is not None else None,
        actor=await caller.name(session),
        check_id=report.id if report is not None else None,
        reason=reason,
        created_at=utcnow(),
    )
    session.add(event)
    await session.flush()
    return event


async def _announce(
    session: AsyncSession, settings: Settings, target: _Target, event: AliasEvent
) -> None:
    """The move, to WEBHOOK_URLS (sent once the transaction commits)."""
    model = {"id": str(target.artifact.id), "name": target.artifact.name}
    data = {"model": model, **event.model_dump(mode="json")}
    await webhooks.enqueue(session, settings, "model_alias.moved", data)


async def _point(session: AsyncSession, target: _Target, version: ModelVersion) -> None:
    now = utcnow()
    if target.current is None:
        session.add(
            ModelAlias(
                artifact_id=target.artifact.id,
                alias=target.alias,
                version_id=version.id,
                updated_at=now,
            )
        )
    else:
        target.current.version_id = version.id
        target.current.updated_at = now
    target.artifact.updated_at = now
    await session.flush()


async def _alias(session: AsyncSession, target: _Target, version: ModelVersion) -> Alias:
    row = await repository.alias(session, target.artifact.id, target.alias)
    assert row is not None  # just pointed
    events = await repository.events_of(session, [target.artifact.id], target.alias)
    back_to = rollback_target(events)
    before = await repository.version(session, back_to) if back_to is not None else None
    return Alias(
        alias=row.alias,
        version=VersionRef(id=version.id, version=version.version),
        protected=target.protected,
        updated_at=row.updated_at,
        rollback_to=VersionRef(id=before.id, version=before.version) if before else None,
    )


async def _event(session: AsyncSession, row: ModelAliasEvent) -> AliasEvent:
    return (await _events(session, [row]))[0]


async def _events(session: AsyncSession, rows: Sequence[ModelAliasEvent]) -> list[AliasEvent]:
    """The events with their versions' labels: one query for all."""
    ids = [v for r in rows for v in (r.from_version_id, r.to_version_id) if v is not None]
    versions = await repository.versions_by_id(session, ids)

    def ref(version_id: uuid.UUID | None) -> VersionRef | None:
        version = versions.get(version_id) if version_id is not None else None
        return VersionRef(id=version.id, version=version.version) if version else None

    return [
        AliasEvent(
            id=row.id,
            alias=row.alias,
            action=row.action,
            from_version=ref(row.from_version_id),
            to_version=ref(row.to_version_id),
            actor=row.actor,
            check_id=row.check_id,
            reason=row.reason,
            created_at=row.created_at,
        )
        for row in rows
    ]
