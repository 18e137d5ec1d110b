"""frontend/openapi.json (the source of the generated TypeScript client) must match
the backend. Regenerate with `make api-client`."""

from __future__ import annotations

import json
from pathlib import Path

from tunix_rt_backend.app import create_app
from tunix_rt_backend.settings import Settings

COMMITTED = Path(__file__).resolve().parents[3] / "frontend" / "openapi.json"


def test_committed_openapi_matches_the_backend(tmp_path: Path) -> None:
    app = create_app(Settings(_env_file=None, data_dir=tmp_path))
    assert json.loads(COMMITTED.read_text()) == app.openapi(), (
        "frontend/openapi.json is stale: run `make api-client` and commit the result"
    )
