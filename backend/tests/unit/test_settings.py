from __future__ import annotations

from pathlib import Path

import pytest

from tunix_rt_backend.settings import SettingsError, load_settings


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)  # no stray .env
    for name in ("DATABASE_URL", "DATA_DIR", "BACKEND_PORT", "REDIAI_MODE"):
        monkeypatch.delenv(name, raising=False)


def test_defaults_match_the_seed() -> None:
    s = load_settings()
    assert s.backend_port == 8000
    assert (s.db_pool_size, s.db_max_overflow, s.db_pool_timeout) == (5, 10, 30)
    assert s.trace_max_bytes == 1_048_576
    assert s.frontend_port == 5173
    assert s.rediai_mode == "mock"
    assert s.rediai_base_url == "http://localhost:8080"
    assert s.rediai_health_path == "/health"
    assert s.rediai_health_cache_ttl_seconds == 30


def test_default_database_is_sqlite_in_data_dir(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATA_DIR", "/srv/trt")
    s = load_settings()
    assert s.db_url == "sqlite+aiosqlite:////srv/trt/tunix-rt.db"
    assert s.is_sqlite


def test_libpq_style_postgres_url_uses_asyncpg(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql://u:p@db:5432/trt")
    assert load_settings().db_url == "postgresql+asyncpg://u:p@db:5432/trt"


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("BACKEND_PORT", "0"),
        ("BACKEND_PORT", "65536"),
        ("DB_POOL_SIZE", "0"),
        ("DB_POOL_SIZE", "51"),
        ("DB_MAX_OVERFLOW", "-1"),
        ("DB_MAX_OVERFLOW", "51"),
        ("DB_POOL_TIMEOUT", "0"),
        ("DB_POOL_TIMEOUT", "301"),
        ("TRACE_MAX_BYTES", "1023"),
        ("TRACE_MAX_BYTES", "10485761"),
        ("REDIAI_MODE", "fake"),
        ("REDIAI_BASE_URL", "ftp://host"),
        ("REDIAI_BASE_URL", "not a url"),
        ("REDIAI_HEALTH_PATH", "health"),
        ("REDIAI_HEALTH_CACHE_TTL_SECONDS", "-1"),
        ("REDIAI_HEALTH_CACHE_TTL_SECONDS", "301"),
        ("DATABASE_URL", "mysql://root@localhost/x"),
        ("TRACE_BATCH_MAX_ITEMS", "0"),
    ],
)
def test_invalid_value_names_the_variable(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError) as excinfo:
        load_settings()
    assert f"{name}:" in str(excinfo.value)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("BACKEND_PORT", "1"),
        ("BACKEND_PORT", "65535"),
        ("TRACE_MAX_BYTES", "1024"),
        ("REDIAI_HEALTH_CACHE_TTL_SECONDS", "0"),
        ("DB_MAX_OVERFLOW", "0"),
    ],
)
def test_boundary_values_are_accepted(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    monkeypatch.setenv(name, value)
    assert getattr(load_settings(), name.lower()) == int(value)


def test_every_invalid_variable_is_reported_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BACKEND_PORT", "0")
    monkeypatch.setenv("REDIAI_MODE", "fake")
    with pytest.raises(SettingsError) as excinfo:
        load_settings()
    assert "BACKEND_PORT:" in str(excinfo.value) and "REDIAI_MODE:" in str(excinfo.value)


@pytest.mark.parametrize(
    ("env", "needs"),
    [
        ({"EVAL_DEFAULT_JUDGE": "llm_judge"}, "JUDGE_BASE_URL"),
        ({"EVAL_DEFAULT_JUDGE": "gemma-judge"}, "REDIAI_MODE=real"),
        ({"EVAL_DEFAULT_JUDGE": "mock", "REDIAI_MODE": "real"}, "REDIAI_MODE=mock"),
    ],
)
def test_a_default_judge_that_cannot_be_used_is_refused_at_start_up(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], needs: str
) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError) as excinfo:
        load_settings()
    assert f"EVAL_DEFAULT_JUDGE={env['EVAL_DEFAULT_JUDGE']} needs {needs}" in str(excinfo.value)
    monkeypatch.setenv("JUDGE_BASE_URL", "http://127.0.0.1:11434/v1")
    monkeypatch.setenv("EVAL_DEFAULT_JUDGE", "llm_judge")
    monkeypatch.delenv("REDIAI_MODE", raising=False)
    assert load_settings().eval_default_judge == "llm_judge"


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"WEBHOOK_URLS": "http://hooks.example/a"}, "WEBHOOK_URLS needs WEBHOOK_SECRET"),
        (
            {"WEBHOOK_URLS": "http://hooks.example/a", "WEBHOOK_SECRET": "short"},
            "WEBHOOK_URLS needs WEBHOOK_SECRET",
        ),
        (
            {"WEBHOOK_URLS": "http://ok.example/a,ftp://x", "WEBHOOK_SECRET": "s" * 16},
            "WEBHOOK_URLS: Value error, must be a valid http:// or https:// URL",
        ),
    ],
)
def test_webhooks_need_a_secret_and_http_urls(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], message: str
) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError) as excinfo:
        load_settings()
    assert message in str(excinfo.value)
    monkeypatch.setenv("WEBHOOK_URLS", " https://a.example/x , http://b.example/y")
    monkeypatch.setenv("WEBHOOK_SECRET", "s" * 16)
    urls = load_settings().webhook_url_list
    assert urls == ["https://a.example/x", "http://b.example/y"]
