"""Where a run's files go: a name under ARTIFACTS_DIR, never a client's path."""

from __future__ import annotations

from pathlib import Path

from tunix_rt_backend.db.models import TunixRun
from tunix_rt_backend.errors import ValidationFailed
from tunix_rt_backend.kit.paths import resolve_under
from tunix_rt_backend.settings import Settings


def checked_output_path(settings: Settings, name: str) -> Path:
    """`name` under the artifact root, or a 422 on `output_dir`."""
    try:
        return resolve_under(settings.artifacts_root, name)
    except ValueError as exc:
        raise ValidationFailed.field(("body", "output_dir"), str(exc), "value_error") from None


def output_path(settings: Settings, row: TunixRun) -> Path:
    """The run's directory."""
    name = str((row.config or {}).get("output_dir", f"runs/{row.run_id}"))
    return checked_output_path(settings, name)
