"""Settings, read from the environment (and `.env`) and validated at start-up.

Every variable of the seed README's Configuration table keeps its name, default and
validation; new ones follow the same style. An invalid value stops start-up with a
message that names the variable (see `load_settings`).
"""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import Literal

from pydantic import (
    Field,
    SecretStr,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, SettingsConfigDict

SUPPORTED_DB_SCHEMES = ("sqlite+aiosqlite", "postgresql+asyncpg")
# frontend/dist of this checkout: where `make run` builds the UI.
DEFAULT_UI_DIR = Path(__file__).resolve().parents[2] / "frontend" / "dist"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore", frozen=True)

    backend_host: str = Field("127.0.0.1", min_length=1)
    backend_port: int = Field(8000, ge=1, le=65535)
    # Host names a request may be addressed to (comma-separated, "*": any). Empty: the
    # loopback names when serving on loopback, any host otherwise (see browser.py).
    allowed_hosts: str = Field("", max_length=4096)
    data_dir: Path = Path(".tunix-rt")
    # How long the server trusts what the database said about tokens (auth/cache.py):
    # another process's `tunix-rt token create|revoke` applies within it. 0: every request asks.
    auth_cache_seconds: float = Field(1.0, ge=0, le=60)
    # None means "a SQLite file in DATA_DIR"; see `db_url`.
    database_url: str | None = None
    db_pool_size: int = Field(5, ge=1, le=50)
    db_max_overflow: int = Field(10, ge=0, le=50)
    db_pool_timeout: int = Field(30, ge=1, le=300)
    trace_max_bytes: int = Field(1_048_576, ge=1024, le=10_485_760)
    trace_batch_max_items: int = Field(1000, ge=1, le=10_000)
    trace_batch_max_bytes: int = Field(33_554_432, ge=1024, le=268_435_456)
    dataset_max_traces: int = Field(100_000, ge=1, le=10_000_000)
    generator_max_count: int = Field(10_000, ge=1, le=1_000_000)
    # None means DATA_DIR/artifacts, DATA_DIR/models and DATA_DIR/registry; see
    # `artifacts_root`, `models_root` and `registry_root`.
    artifacts_dir: Path | None = None
    model_dir: Path | None = None
    registry_dir: Path | None = None
    # Aliases that move only past a passing regression check, with a write token
    # (comma-separated).
    protected_aliases: str = Field("prod", max_length=1024)
    tunix_run_timeout_seconds: int = Field(3600, ge=1, le=7 * 24 * 3600)
    # The run queue: workers heartbeat every WORKER_HEARTBEAT_SECONDS and are presumed
    # lost after WORKER_STALE_SECONDS without one; their runs are re-queued (to resume)
    # until RUN_MAX_ATTEMPTS claims, then failed.
    embedded_worker: bool = True
    worker_concurrency: int = Field(1, ge=1, le=64)
    worker_heartbeat_seconds: float = Field(10.0, gt=0, le=300)
    worker_stale_seconds: float = Field(30.0, gt=0, le=3600)
    worker_poll_seconds: float = Field(2.0, gt=0, le=60)
    worker_shutdown_grace_seconds: float = Field(30.0, ge=0, le=3600)
    run_max_attempts: int = Field(3, ge=1, le=100)
    # Evaluation: a completed training run is evaluated on its dataset's eval split with
    # EVAL_DEFAULT_JUDGE when EVAL_AUTO is on; answers are generated EVAL_BATCH_SIZE at a time.
    eval_auto: bool = True
    eval_default_judge: Literal["exact_match", "llm_judge", "gemma-judge", "mock"] = "exact_match"
    eval_batch_size: int = Field(32, ge=1, le=1024)
    # The LLM judge: an OpenAI-compatible chat endpoint (vLLM, Ollama, ...).
    judge_base_url: str | None = None
    judge_model: str = Field("judge", min_length=1, max_length=256)
    judge_api_key: SecretStr | None = None
    judge_timeout_seconds: float = Field(30.0, gt=0, le=600)
    judge_concurrency: int = Field(4, ge=1, le=256)
    judge_max_retries: int = Field(2, ge=0, le=10)
    # Webhooks: each event (a model version created, an alias moved) POSTed to every URL
    # (comma-separated), signed with WEBHOOK_SECRET, retried with backoff.
    webhook_urls: str = Field("", max_length=8192)
    webhook_secret: SecretStr | None = None
    webhook_max_attempts: int = Field(8, ge=1, le=50)
    webhook_retry_base_seconds: float = Field(5.0, gt=0, le=3600)
    webhook_timeout_seconds: float = Field(10.0, gt=0, le=300)
    # Serving (/v1): model processes kept loaded (the least recently used one is
    # stopped to make room), requests decoded together, how long a request waits for
    # company, the largest max_tokens, how long a model may take to load.
    serving_max_models: int = Field(2, ge=1, le=64)
    serving_max_batch: int = Field(8, ge=1, le=256)
    serving_batch_window_ms: float = Field(20.0, ge=0, le=1000)
    serving_max_tokens: int = Field(2048, ge=1, le=32_768)
    serving_load_timeout_seconds: float = Field(300.0, gt=0, le=3600)
    frontend_port: int = 5173
    ui_dir: Path = DEFAULT_UI_DIR
    rediai_mode: Literal["mock", "real"] = "mock"
    rediai_base_url: str = "http://localhost:8080"
    rediai_health_path: str = "/health"
    rediai_health_cache_ttl_seconds: int = Field(30, ge=0, le=300)
    rediai_timeout_seconds: float = Field(5.0, gt=0, le=60)

    @field_validator("judge_base_url")
    @classmethod
    def _optional_http_url(cls, value: str | None) -> str | None:
        return None if value is None or value == "" else cls._http_url(value)

    @field_validator("rediai_base_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        from urllib.parse import urlsplit

        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError("must be a valid http:// or https:// URL")
        return value.rstrip("/")

    @field_validator("rediai_health_path")
    @classmethod
    def _leading_slash(cls, value: str) -> str:
        if not value.startswith("/"):
            raise ValueError('must start with "/"')
        return value

    @model_validator(mode="after")
    def _usable_default_judge(self) -> Settings:
        # The rules of evaluation/judges.py's unavailable_reason, checked at start-up.
        judge, needs = self.eval_default_judge, None
        if judge == "llm_judge" and not self.judge_base_url:
            needs = "JUDGE_BASE_URL"
        elif judge == "gemma-judge" and self.rediai_mode != "real":
            needs = "REDIAI_MODE=real"
        elif judge == "mock" and self.rediai_mode != "mock":
            needs = "REDIAI_MODE=mock"
        if needs is not None:
            raise ValueError(f"EVAL_DEFAULT_JUDGE={judge} needs {needs}")
        return self

    @field_validator("webhook_urls")
    @classmethod
    def _http_urls(cls, value: str) -> str:
        for url in value.split(","):
            if url.strip():
                cls._http_url(url.strip())
        return value

    @model_validator(mode="after")
    def _signed_webhooks(self) -> Settings:
        secret = self.webhook_secret.get_secret_value() if self.webhook_secret else ""
        if self.webhook_url_list and len(secret) < 16:
            raise ValueError(
                "WEBHOOK_URLS needs WEBHOOK_SECRET (16 characters or more): every delivery "
                "is signed, so a receiver can tell it came from this server"
            )
        return self

    @property
    def webhook_url_list(self) -> list[str]:
        return [url.strip() for url in self.webhook_urls.split(",") if url.strip()]

    @field_validator("worker_stale_seconds")
    @classmethod
    def _stale_after_heartbeats(cls, value: float, info: ValidationInfo) -> float:
        heartbeat = info.data.get("worker_heartbeat_seconds")
        if heartbeat is not None and value < 2 * heartbeat:
            raise ValueError(f"must be at least twice WORKER_HEARTBEAT_SECONDS ({heartbeat})")
        return value

    @field_validator("database_url")
    @classmethod
    def _supported_driver(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        if value.startswith("postgresql://") or value.startswith("postgres://"):
            # The common libpq spelling: use the async driver this service runs on.
            value = "postgresql+asyncpg://" + value.split("://", 1)[1]
        scheme = value.split("://", 1)[0]
        if scheme not in SUPPORTED_DB_SCHEMES:
            raise ValueError(
                f"unsupported scheme {scheme!r}; use one of {', '.join(SUPPORTED_DB_SCHEMES)}"
            )
        return value

    @cached_property
    def db_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{(self.data_dir / 'tunix-rt.db').resolve()}"

    @property
    def artifacts_root(self) -> Path:
        return (self.artifacts_dir or self.data_dir / "artifacts").resolve()

    @property
    def models_root(self) -> Path:
        return (self.model_dir or self.data_dir / "models").resolve()

    @property
    def registry_root(self) -> Path:
        return (self.registry_dir or self.data_dir / "registry").resolve()

    @cached_property
    def protected_alias_names(self) -> frozenset[str]:
        return frozenset(a.strip() for a in self.protected_aliases.split(",") if a.strip())

    @property
    def is_sqlite(self) -> bool:
        return self.db_url.startswith("sqlite")


class SettingsError(Exception):
    """Invalid configuration; the message names every offending variable."""


def load_settings(**overrides: object) -> Settings:
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        lines = []
        for err in exc.errors():
            if not err["loc"]:  # a rule across settings: its message names them
                lines.append(f"  {err['msg'].removeprefix('Value error, ')}")
                continue
            name = str(err["loc"][0]).upper()
            lines.append(f"  {name}: {err['msg']} (got {err.get('input')!r})")
        raise SettingsError("Invalid configuration:\n" + "\n".join(lines)) from None
