from __future__ import annotations

import httpx


async def test_app_health(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/health")
    assert response.status_code == 200
    assert response.json() == {"status": "healthy"}


async def test_redi_health_in_mock_mode_says_it_is_a_mock(client: httpx.AsyncClient) -> None:
    """The seed's `status` stays "healthy" in mock mode; `mode` tells it was never checked."""
    response = await client.get("/api/redi/health")
    assert response.status_code == 200
    assert response.json() == {"status": "healthy", "mode": "mock"}


async def test_openapi_declares_error_responses(client: httpx.AsyncClient) -> None:
    spec = (await client.get("/openapi.json")).json()
    create = spec["paths"]["/api/traces"]["post"]
    assert {"201", "401", "403", "413", "422"} <= set(create["responses"])
    assert create["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/ReasoningTrace"
    }
    assert "TraceStep" in spec["components"]["schemas"]
    assert "404" in spec["paths"]["/api/traces/{trace_id}"]["get"]["responses"]
