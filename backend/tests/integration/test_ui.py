"""The built UI is served at / with client-side routes; /api never falls back to it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

INDEX = "<!doctype html><title>Tunix RT</title><div id=root></div>"


@pytest.fixture
def settings_overrides(tmp_path: Path) -> dict[str, Any]:
    dist = tmp_path / "dist"
    (dist / "assets").mkdir(parents=True)
    (dist / "index.html").write_text(INDEX)
    (dist / "assets" / "app-1234.js").write_text("console.log('ui')")
    (dist / "favicon.svg").write_text("<svg/>")
    (tmp_path / "secret.txt").write_text("do not serve")
    return {"ui_dir": dist}


@pytest.mark.parametrize("path", ["/", "/traces", "/traces/abc/def", "/runs?status=x"])
async def test_app_routes_get_index_html(client: httpx.AsyncClient, path: str) -> None:
    response = await client.get(path)
    assert response.status_code == 200
    assert response.text == INDEX
    assert response.headers["cache-control"] == "no-cache"


async def test_hashed_assets_are_served_immutable(client: httpx.AsyncClient) -> None:
    response = await client.get("/assets/app-1234.js")
    assert response.status_code == 200
    assert response.text == "console.log('ui')"
    assert "immutable" in response.headers["cache-control"]


async def test_top_level_build_files_are_served(client: httpx.AsyncClient) -> None:
    response = await client.get("/favicon.svg")
    assert response.text == "<svg/>"


@pytest.mark.parametrize("path", ["/../secret.txt", "/%2e%2e/secret.txt", "/..%2fsecret.txt"])
async def test_files_outside_the_build_are_never_served(
    client: httpx.AsyncClient, path: str
) -> None:
    response = await client.get(path)
    assert "do not serve" not in response.text


async def test_unknown_api_path_stays_json_404(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/no-such-area")
    assert response.status_code == 404
    assert response.json()["error"] == "NotFound"


async def test_docs_still_served(client: httpx.AsyncClient) -> None:
    assert (await client.get("/openapi.json")).status_code == 200


async def test_unbuilt_ui_says_how_to_build_it(
    client: httpx.AsyncClient, settings_overrides: dict[str, Any]
) -> None:
    (settings_overrides["ui_dir"] / "index.html").unlink()
    response = await client.get("/")
    assert response.status_code == 200
    assert "has not been built" in response.text
