"""A study's driver and its trials run with the settings the claiming worker was given
(Ray may run them on a cluster started with another environment), paths absolute."""

from __future__ import annotations

from pathlib import Path

import pytest

from tunix_rt_backend.settings import Settings
from tunix_rt_backend.tuning.execution import driver_env


def test_the_workers_settings_travel_to_the_trials(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("EVAL_AUTO", "false")
    monkeypatch.setenv("JUDGE_API_KEY", "sk-test")
    settings = Settings(data_dir=Path("data"), tunix_run_timeout_seconds=600)

    env = driver_env(settings)

    assert env["EVAL_AUTO"] == "false"
    assert env["JUDGE_API_KEY"] == "sk-test"  # the secret's value, not "**********"
    assert env["TUNIX_RUN_TIMEOUT_SECONDS"] == "600"
    assert env["DATA_DIR"] == str(tmp_path / "data")
    assert Path(env["ARTIFACTS_DIR"]).is_absolute()
    assert env["DATABASE_URL"] == settings.db_url
    # Settings left at their defaults are the trial's own defaults: not passed.
    assert "EVAL_BATCH_SIZE" not in env
