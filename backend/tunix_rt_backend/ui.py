"""The built web UI (frontend/dist), served at `/` beside the API.

Client-side routes (`/traces/123`) fall back to index.html; `/api/...` never does,
so an unknown API path stays a JSON 404.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import FileResponse, HTMLResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.types import Scope

from tunix_rt_backend.errors import NotFound

# The client-side routes' catch-all: error_handlers.py leaves it out under /api.
UI_ROUTE_NAME = "ui-page"
# The API's roots (/api, and OpenAI's /v1): the UI's catch-all never answers under them.
API_ROOTS = ("api", "v1")


def is_api_path(path: str) -> bool:
    """`path` (with or without its leading slash) is under one of the API's roots."""
    first = path.lstrip("/").split("/", 1)[0]
    return first in API_ROOTS


# Vite puts content-hashed files under assets/: safe to cache for good.
IMMUTABLE_CACHE = "public, max-age=31536000, immutable"

NOT_BUILT_PAGE = """<!doctype html><html><head><title>Tunix RT</title></head>
<body style="font-family: sans-serif; max-width: 40rem; margin: 4rem auto">
<h1>Tunix RT</h1><p>The API is running, but the web UI has not been built.</p>
<p>Run <code>make run</code> (it builds the UI), or <code>make ui</code>.
The API's OpenAPI document is at <a href="/openapi.json">/openapi.json</a>.</p></body></html>"""
# The API docs: Swagger UI from the build (frontend/vite.config.ts copies a pinned
# swagger-ui-dist there), started by a script file: the CSP allows no inline script.
DOCS_PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>Tunix RT API</title><link rel="stylesheet" href="/api-docs/swagger-ui.css"></head>
<body><div id="swagger-ui"></div><script src="/api-docs/swagger-ui-bundle.js"></script>
<script src="/api-docs/init.js"></script></body></html>"""


class _ImmutableStatic(StaticFiles):
    async def get_response(self, path: str, scope: Scope) -> Response:
        response = await super().get_response(path, scope)
        if response.status_code == 200:
            response.headers["Cache-Control"] = IMMUTABLE_CACHE
        return response


def mount_ui(app: FastAPI, ui_dir: Path) -> None:
    ui_dir = ui_dir.resolve()
    assets = ui_dir / "assets"
    if assets.is_dir():
        app.mount("/assets", _ImmutableStatic(directory=assets), name="ui-assets")

    @app.get("/docs", include_in_schema=False)
    async def docs() -> Response:
        if not (ui_dir / "api-docs" / "swagger-ui-bundle.js").is_file():
            return HTMLResponse(NOT_BUILT_PAGE)
        return HTMLResponse(DOCS_PAGE, headers={"Cache-Control": "no-cache"})

    @app.get("/{path:path}", include_in_schema=False, name=UI_ROUTE_NAME)
    async def ui(path: str) -> Response:
        if is_api_path(path):
            raise NotFound(f"No API route /{path}.")
        index = ui_dir / "index.html"
        if not index.is_file():
            return HTMLResponse(NOT_BUILT_PAGE)
        # Top-level files of the build (favicon, robots.txt); resolved and checked to
        # stay inside the build directory, never a string prefix check.
        candidate = (ui_dir / path).resolve()
        if path and candidate.is_file() and candidate.is_relative_to(ui_dir):
            return FileResponse(candidate)
        return FileResponse(index, headers={"Cache-Control": "no-cache"})
