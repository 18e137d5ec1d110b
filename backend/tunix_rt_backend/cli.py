"""The `tunix-rt` command: serve, db, token, dataset, generate, demo, regression."""

from __future__ import annotations

import argparse
import asyncio
import errno
import ipaddress
import logging
import socket
import sys
import uuid
from collections.abc import Awaitable, Callable
from typing import TypeVar

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tunix_rt_backend import demo
from tunix_rt_backend.auth import service as auth_service
from tunix_rt_backend.auth.schemas import Scope
from tunix_rt_backend.datasets import cli as datasets_cli
from tunix_rt_backend.db import migrate
from tunix_rt_backend.db.engine import create_engine, create_sessionmaker, session_scope
from tunix_rt_backend.errors import AppError, ValidationFailed
from tunix_rt_backend.generators import cli as generators_cli
from tunix_rt_backend.model_import import cli as import_cli
from tunix_rt_backend.registry import cli as registry_cli
from tunix_rt_backend.regression import cli as regression_cli
from tunix_rt_backend.settings import Settings, SettingsError, load_settings

T = TypeVar("T")


class CliError(Exception):
    """A message for the user; the command exits with status 1."""


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        settings = load_settings()
        code = args.handler(settings, args)
    except (ValidationFailed, ValidationError) as exc:
        errors = exc.errors if isinstance(exc, ValidationFailed) else exc.errors()
        for err in errors:
            where = ".".join(str(part) for part in err["loc"] if part not in ("body", "query"))
            print(f"tunix-rt: {where or 'input'}: {err['msg']}", file=sys.stderr)
        return 1
    except (SettingsError, CliError, AppError) as exc:
        print(f"tunix-rt: {exc}", file=sys.stderr)
        return 2 if isinstance(exc, SettingsError) else 1
    return code if isinstance(code, int) else 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="tunix-rt", description=__doc__)
    sub = parser.add_subparsers(required=True, metavar="COMMAND")

    serve = sub.add_parser("serve", help="serve the API (and the UI)")
    serve.add_argument("--host", help="address to listen on (default BACKEND_HOST, 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port (default BACKEND_PORT, 8000)")
    serve.add_argument(
        "--no-worker",
        dest="worker",
        action="store_false",
        default=None,
        help="no embedded queue worker (default EMBEDDED_WORKER, true): run `tunix-rt "
        "worker` processes instead",
    )
    serve.set_defaults(handler=_serve)

    worker = sub.add_parser("worker", help="execute queued runs (stops cleanly on SIGTERM)")
    worker.add_argument(
        "--concurrency", type=int, help="runs at a time (default WORKER_CONCURRENCY, 1)"
    )
    worker.add_argument("--metrics-port", type=int, help="serve Prometheus metrics on this port")
    worker.set_defaults(handler=_worker)

    db = sub.add_parser("db", help="database migrations").add_subparsers(required=True)
    up = db.add_parser("upgrade", help="migrate to a revision (default head)")
    up.add_argument("revision", nargs="?", default="head")
    up.set_defaults(handler=lambda s, a: _db_upgrade(s, a.revision))
    down = db.add_parser("downgrade", help="migrate back (default one step)")
    down.add_argument("revision", nargs="?", default="-1")
    down.set_defaults(handler=lambda s, a: _db_downgrade(s, a.revision))
    db.add_parser("current", help="print the database's revision").set_defaults(
        handler=lambda s, a: _db_current(s)
    )

    sub.add_parser("openapi", help="print the OpenAPI document (JSON)").set_defaults(
        handler=_openapi
    )

    token = sub.add_parser("token", help="API tokens").add_subparsers(required=True)
    create = token.add_parser("create", help="create a token and print it (once)")
    create.add_argument("--name", required=True)
    create.add_argument("--scope", choices=[s.value for s in Scope], default=Scope.read.value)
    create.set_defaults(handler=_token_create)
    token.add_parser("list", help="list tokens (never the tokens themselves)").set_defaults(
        handler=_token_list
    )
    revoke = token.add_parser("revoke", help="revoke a token by id")
    revoke.add_argument("token_id", type=uuid.UUID)
    revoke.set_defaults(handler=_token_revoke)

    datasets_cli.add_commands(sub, _with_sessionmaker)
    generators_cli.add_commands(sub, _with_sessionmaker)
    demo.add_commands(sub, _with_sessionmaker)
    regression_cli.add_commands(sub, _with_sessionmaker)
    import_cli.add_commands(registry_cli.add_commands(sub, _with_sessionmaker))
    return parser


def _log_to_stderr() -> None:
    """Tunix RT's own log lines (the worker's claims and ends, errors) on stderr at INFO,
    beside uvicorn's, for `serve` and `worker` alike."""
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logger = logging.getLogger("tunix_rt")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False


def _serve(settings: Settings, args: argparse.Namespace) -> None:
    import uvicorn

    from tunix_rt_backend.app import create_app

    host = args.host or settings.backend_host
    port = args.port or settings.backend_port
    if settings.is_sqlite:
        migrate.upgrade(settings.db_url)
    elif migrate.current_revision(settings.db_url) != migrate.head_revision(settings.db_url):
        raise CliError("the database is not at the latest migration; run `tunix-rt db upgrade`")
    if not _is_loopback(host) and not _with_session(settings, auth_service.auth_required):
        raise CliError(
            f"refusing to listen on {host} with no API token configured: anyone who can "
            "reach it could use it. Create one with `tunix-rt token create --name NAME "
            "--scope admin`, or serve on 127.0.0.1."
        )
    worker = settings.embedded_worker if args.worker is None else args.worker
    # Bound before anything is said: a port in use is one clear line, never a "serving
    # on" line followed by uvicorn's traceback-like error.
    sock = _bind(host, port)
    print(
        f"tunix-rt: serving on http://{host}:{port} (database: {_redacted(settings)}; "
        f"{'embedded worker' if worker else 'no embedded worker'})"
    )
    _log_to_stderr()
    config = uvicorn.Config(create_app(settings, worker=worker), log_level="info")
    uvicorn.Server(config).run(sockets=[sock])


def _bind(host: str, port: int) -> socket.socket:
    """A TCP socket bound to (host, port), as uvicorn binds its own (SO_REUSEADDR)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise CliError(
                f"port {port} on {host} is already in use: stop what listens there, or "
                "choose another port with --port or BACKEND_PORT"
            ) from None
        raise CliError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    return sock


def _worker(settings: Settings, args: argparse.Namespace) -> None:
    from tunix_rt_backend.job_kinds import job_kinds
    from tunix_rt_backend.jobs.worker import serve_worker

    if args.concurrency is not None and not 1 <= args.concurrency <= 64:
        raise CliError("--concurrency must be between 1 and 64")
    if settings.is_sqlite:
        migrate.upgrade(settings.db_url)
    _log_to_stderr()
    asyncio.run(serve_worker(settings, job_kinds(), args.concurrency, args.metrics_port))


def _openapi(settings: Settings, _: argparse.Namespace) -> None:
    import json

    from tunix_rt_backend.app import create_app

    print(json.dumps(create_app(settings).openapi(), indent=2, ensure_ascii=False))


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _redacted(settings: Settings) -> str:
    from sqlalchemy.engine import make_url

    return make_url(settings.db_url).render_as_string(hide_password=True)


def _db_upgrade(settings: Settings, revision: str) -> None:
    migrate.upgrade(settings.db_url, revision)
    print(f"database at {migrate.current_revision(settings.db_url)} ({_redacted(settings)})")


def _db_downgrade(settings: Settings, revision: str) -> None:
    migrate.downgrade(settings.db_url, revision)
    print(f"database at {migrate.current_revision(settings.db_url) or 'base'}")


def _db_current(settings: Settings) -> None:
    current = migrate.current_revision(settings.db_url)
    head = migrate.head_revision(settings.db_url)
    state = "up to date" if current == head else f"behind head {head}"
    print(f"{current or 'base'} ({state})")


def _token_create(settings: Settings, args: argparse.Namespace) -> None:
    created = _with_session(
        settings, lambda s: auth_service.create_token(s, args.name, Scope(args.scope))
    )
    print(created.token)
    print(
        f"created token {created.id} '{created.name}' with scope {created.scope}. "
        "Store it now: it is not shown again.",
        file=sys.stderr,
    )


def _token_list(settings: Settings, _: argparse.Namespace) -> None:
    tokens = _with_session(settings, auth_service.list_tokens)
    print(f"{'ID':36}  {'PREFIX':12}  {'SCOPE':5}  {'CREATED':20}  {'REVOKED':20}  NAME")
    for t in tokens:
        revoked = t.revoked_at.strftime("%Y-%m-%d %H:%M:%SZ") if t.revoked_at else "-"
        created = t.created_at.strftime("%Y-%m-%d %H:%M:%SZ")
        print(f"{t.id!s:36}  {t.prefix:12}  {t.scope:5}  {created:20}  {revoked:20}  {t.name}")


def _token_revoke(settings: Settings, args: argparse.Namespace) -> None:
    token = _with_session(settings, lambda s: auth_service.revoke_token(s, args.token_id))
    print(f"revoked token {token.id} '{token.name}'")


def _with_session(settings: Settings, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    async def in_scope(maker: async_sessionmaker[AsyncSession]) -> T:
        async with session_scope(maker) as session:
            return await work(session)

    return _with_sessionmaker(settings, in_scope)


def _with_sessionmaker(
    settings: Settings, work: Callable[[async_sessionmaker[AsyncSession]], Awaitable[T]]
) -> T:
    if settings.is_sqlite:
        migrate.upgrade(settings.db_url)

    async def run() -> T:
        engine = create_engine(settings)
        try:
            return await work(create_sessionmaker(engine))
        finally:
            await engine.dispose()

    return asyncio.run(run())


if __name__ == "__main__":
    sys.exit(main())
