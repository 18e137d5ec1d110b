"""Dataset exports (trace, tunix_sft, training_example) and the Tunix SFT endpoints."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
import yaml

from tests.factories import build_dataset, create_traces, ndjson, trace_body
from tunix_rt_backend.templates.gemma_reasoning import TEMPLATE_SHA256, parse_final_answer


async def _dataset(client: httpx.AsyncClient, n: int = 5) -> tuple[list[str], dict[str, Any]]:
    bodies = [trace_body(prompt=f"q{i}", final_answer=str(i)) for i in range(n)]
    ids = await create_traces(client, bodies)
    return ids, await build_dataset(client, eval_ratio=0.2)


async def test_trace_export_holds_each_member_with_its_split(client: httpx.AsyncClient) -> None:
    ids, _ = await _dataset(client)
    response = await client.get("/api/datasets/ds-v1/export.jsonl")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/x-ndjson"
    assert 'filename="ds-v1.trace.all.jsonl"' in response.headers["content-disposition"]
    lines = ndjson(response.text)
    assert [line["id"] for line in lines] == ids[::-1]
    assert sorted(line["split"] for line in lines) == ["eval"] + ["train"] * 4
    stored = (await client.get(f"/api/traces/{ids[0]}")).json()["payload"]
    assert {k: v for k, v in lines[-1].items() if k not in ("id", "split")} == stored


async def test_tunix_sft_export_renders_the_gemma_template(client: httpx.AsyncClient) -> None:
    await _dataset(client)
    response = await client.get("/api/datasets/ds-v1/export.jsonl?format=tunix_sft&split=train")
    lines = ndjson(response.text)
    assert len(lines) == 4
    first = lines[0]
    assert set(first) == {"id", "split", "prompt", "completion", "final_answer"}
    assert first["prompt"] == "<start_of_turn>user\nq4<end_of_turn>\n<start_of_turn>model\n"
    assert first["completion"].startswith("Reasoning:\n1. Parse the multiplication task\n")
    assert first["completion"].endswith("\nAnswer: 4<end_of_turn>")
    assert parse_final_answer(first["completion"]) == first["final_answer"] == "4"
    assert {line["split"] for line in lines} == {"train"}


async def test_training_example_export(client: httpx.AsyncClient) -> None:
    ids, _ = await _dataset(client)
    response = await client.get("/api/datasets/ds-v1/export.jsonl?format=training_example")
    line = ndjson(response.text)[0]
    assert line["prompt"] == "q4"
    assert line["response"].endswith("Answer: 4")
    assert "<start_of_turn>" not in line["response"]
    assert line["metadata"]["trace_id"] == ids[-1]
    assert line["metadata"]["source"] == "example"
    assert line["metadata"]["step_count"] == 3


async def test_export_streams_large_datasets_in_order(client: httpx.AsyncClient) -> None:
    bodies = [trace_body(prompt=f"q{i}") for i in range(900)]
    ids: list[str] = []
    for _ in range(5):
        ids += await create_traces(client, bodies)
    await build_dataset(client, limit=4500, eval_ratio=0)
    response = await client.get("/api/datasets/ds-v1/export.jsonl?format=tunix_sft")
    assert [line["id"] for line in ndjson(response.text)] == ids[::-1]


@pytest.mark.parametrize(
    ("query", "loc"),
    [("format=csv", ["query", "format"]), ("split=test", ["query", "split"])],
)
async def test_bad_export_parameters_are_422(
    client: httpx.AsyncClient, query: str, loc: list[str]
) -> None:
    await _dataset(client)
    response = await client.get(f"/api/datasets/ds-v1/export.jsonl?{query}")
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == loc


async def test_sft_export_by_dataset_key_honours_limit(client: httpx.AsyncClient) -> None:
    ids, _ = await _dataset(client)
    response = await client.post("/api/tunix/sft/export", json={"dataset_key": "ds-v1", "limit": 2})
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/x-ndjson"
    assert [line["id"] for line in ndjson(response.text)] == ids[::-1][:2]


async def test_sft_export_by_trace_ids_keeps_their_order(client: httpx.AsyncClient) -> None:
    ids = await create_traces(client, [trace_body(final_answer=str(i)) for i in range(3)])
    wanted = [ids[2], ids[0]]
    response = await client.post("/api/tunix/sft/export", json={"trace_ids": wanted})
    lines = ndjson(response.text)
    assert [line["id"] for line in lines] == wanted
    assert [line["final_answer"] for line in lines] == ["2", "0"]
    assert lines[0]["split"] is None


@pytest.mark.parametrize("body", [{}, {"dataset_key": "ds-v1", "trace_ids": []}, {"limit": 5}])
async def test_sft_export_needs_exactly_one_source_400(
    client: httpx.AsyncClient, body: dict[str, Any]
) -> None:
    response = await client.post("/api/tunix/sft/export", json=body)
    assert response.status_code == 400
    assert response.json()["error"] == "BadRequest"
    assert "dataset_key or trace_ids" in response.json()["detail"]


async def test_sft_export_unknown_dataset_or_traces_404(client: httpx.AsyncClient) -> None:
    (known,) = await create_traces(client, [trace_body()])
    missing = "00000000-0000-4000-8000-000000000000"
    response = await client.post("/api/tunix/sft/export", json={"dataset_key": "nope-v1"})
    assert response.status_code == 404
    assert response.json()["error"] == "DatasetNotFound"
    response = await client.post("/api/tunix/sft/export", json={"trace_ids": [known, missing]})
    assert response.status_code == 404
    assert missing in response.json()["detail"]


async def test_sft_export_limit_above_maximum_is_422(client: httpx.AsyncClient) -> None:
    body = {"dataset_key": "ds-v1", "limit": 100_001}
    response = await client.post("/api/tunix/sft/export", json=body)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "limit"]


async def test_sft_manifest_is_yaml_with_dataset_hash_and_template(
    client: httpx.AsyncClient,
) -> None:
    _, dataset = await _dataset(client)
    body = {
        "dataset_key": "ds-v1",
        "model_id": "google/gemma-2b-it",
        "output_dir": "./output/run_001",
        "num_epochs": 1,
    }
    response = await client.post("/api/tunix/sft/manifest", json=body)
    assert response.status_code == 201
    result = response.json()
    assert result["dataset_key"] == "ds-v1"
    assert result["model_id"] == "google/gemma-2b-it"
    assert result["format"] == "tunix_sft"
    manifest = yaml.safe_load(result["manifest_yaml"])
    assert manifest["version"] == "1.0"
    assert manifest["runner"] == "tunix"
    assert manifest["model"] == {"id": "google/gemma-2b-it"}
    assert manifest["dataset"]["content_sha256"] == dataset["content_sha256"]
    assert manifest["dataset"]["train_count"] == 4
    assert manifest["template"]["sha256"] == TEMPLATE_SHA256
    assert manifest["template"]["sample"] == dataset["template"]["sample"]
    training = manifest["training"]
    # A pretrained checkpoint: LoRA at 2e-4 unless the request says otherwise.
    assert (training["learning_rate"], training["num_epochs"]) == (2e-4, 1)
    assert (training["batch_size"], training["max_seq_length"]) == (8, 2048)
    assert (training["method"], training["max_steps"]) == ("lora", None)
    assert manifest["output"] == {"dir": "output/run_001"}


async def test_sft_manifest_unknown_dataset_404(client: httpx.AsyncClient) -> None:
    body = {"dataset_key": "nope-v1", "model_id": "m", "output_dir": "run"}
    response = await client.post("/api/tunix/sft/manifest", json=body)
    assert response.status_code == 404
    assert response.json()["error"] == "DatasetNotFound"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("output_dir", "/etc/passwd"),
        ("output_dir", "../outside"),
        ("output_dir", "runs/../../outside"),
        ("output_dir", "runs\\win"),
        ("output_dir", ""),
        ("output_dir", "."),
        ("learning_rate", 0),
        ("batch_size", 0),
        ("model_id", ""),
    ],
)
async def test_sft_manifest_bad_input_is_422(
    client: httpx.AsyncClient, field: str, value: Any
) -> None:
    body = {"dataset_key": "ds-v1", "model_id": "m", "output_dir": "run", field: value}
    response = await client.post("/api/tunix/sft/manifest", json=body)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", field]
