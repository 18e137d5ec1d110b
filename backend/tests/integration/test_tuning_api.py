"""The tuning API on both databases: a study is made `created` with what it was given,
listed and read back; every body a trial could not be given is a 422 naming the field,
an unknown dataset or model a 404, a missing `tuning` extra a 501, and none of them
writes a row; start and cancel move a study only from the states they may (409
otherwise, 503 without a live worker); trials list best first or as created, paged.

No study here ever runs: the only "live worker" is a row with a fresh heartbeat, so
nothing claims a started study."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tunix_rt_backend.db.models import TuningJob, TuningTrial, Worker
from tunix_rt_backend.kit.time import utcnow
from tunix_rt_backend.tuning import service

from ..factories import build_dataset, count_rows, sums_dataset

Maker = async_sessionmaker[AsyncSession]
BASE = "/api/tuning/jobs"

SPACE: dict[str, Any] = {
    "learning_rate": {"type": "loguniform", "min": 1e-05, "max": 0.01},
    "batch_size": {"type": "choice", "values": [2, 4]},
    "lora_rank": {"type": "randint", "min": 2.0, "max": 8.0},
    "method": {"type": "choice", "values": ["full", "lora"]},
}
TRAINING: dict[str, Any] = {"max_steps": 4, "eval_every_n_steps": 2}


def study(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": "lr-sweep",
        "dataset_key": "sums-v1",
        "base_model_id": "tunix-rt/tiny-gemma3",
        "metric_name": "eval_loss",
        "metric_mode": "min",
        "num_samples": 4,
        "max_concurrent_trials": 2,
        "search_alg": "random",
        "scheduler": "asha",
        "seed": 3,
        "search_space": SPACE,
        "training": TRAINING,
    }
    body.update(overrides)
    return body


async def _create(client: httpx.AsyncClient, **overrides: Any) -> dict[str, Any]:
    response = await client.post(BASE, json=study(**overrides))
    assert response.status_code == 201, response.text
    job: dict[str, Any] = response.json()
    return job


async def _status(client: httpx.AsyncClient, job_id: str) -> str:
    response = await client.get(f"{BASE}/{job_id}")
    assert response.status_code == 200, response.text
    state: str = response.json()["status"]
    return state


async def _live_worker(maker: Maker) -> None:
    """A worker's row with a fresh heartbeat: what `require_live_worker` asks for, with
    no worker behind it to claim anything."""
    now = utcnow()
    async with maker() as session, session.begin():
        session.add(
            Worker(
                worker_id=f"fake-{uuid.uuid4().hex[:8]}",
                hostname="test",
                pid=1,
                concurrency=1,
                started_at=now,
                heartbeat_at=now,
            )
        )


async def _rows(maker: Maker) -> tuple[int, int]:
    return await count_rows(maker, TuningJob), await count_rows(maker, TuningTrial)


# --- create, read, list ---------------------------------------------------------------


async def test_create_stores_the_study_as_given(client: httpx.AsyncClient) -> None:
    await sums_dataset(client)
    job = await _create(client)

    assert job["status"] == "created"
    assert job["name"] == "lr-sweep"
    assert job["dataset_key"] == "sums-v1"
    assert job["base_model_id"] == "tunix-rt/tiny-gemma3"
    assert job["mode"] == "local"
    assert (job["metric_name"], job["metric_mode"]) == ("eval_loss", "min")
    assert (job["num_samples"], job["max_concurrent_trials"], job["seed"]) == (4, 2, 3)
    assert (job["search_alg"], job["scheduler"]) == ("random", "asha")
    assert job["search_space"] == SPACE
    assert job["training"] == TRAINING
    assert job["best_run_id"] is None
    assert job["best_params"] is None
    assert job["best_metric_value"] is None
    assert job["queued_at"] is None
    assert job["completed_at"] is None
    assert job["error"] is None
    assert job["attempt"] == 0

    got = await client.get(f"{BASE}/{job['id']}")
    assert got.status_code == 200
    detail = got.json()
    assert detail["trials"] == []
    assert {k: v for k, v in detail.items() if k != "trials"} == job

    listed = await client.get(BASE)
    assert listed.status_code == 200
    page = listed.json()
    assert page["data"] == [job]
    assert page["pagination"] == {
        "limit": 20,
        "offset": 0,
        "next_offset": None,
        "next_cursor": None,
    }


async def test_create_defaults(client: httpx.AsyncClient) -> None:
    await sums_dataset(client)
    body = {
        "name": "defaults",
        "dataset_key": "sums-v1",
        "base_model_id": "tunix-rt/tiny-gemma3",
        "search_space": {"seed": {"type": "randint", "min": 0, "max": 9}},
    }
    response = await client.post(BASE, json=body)
    assert response.status_code == 201, response.text
    job = response.json()
    assert (job["metric_name"], job["metric_mode"]) == ("eval_loss", "min")
    assert (job["num_samples"], job["max_concurrent_trials"]) == (8, 2)
    assert (job["search_alg"], job["scheduler"], job["seed"]) == ("random", "asha", 0)
    assert job["training"] == {}


async def test_a_score_is_maximised_and_every_trial_runs_to_its_end(
    client: httpx.AsyncClient,
) -> None:
    """primary_score (each trial's evaluation, at its end): higher is better and no
    scheduler can stop a trial early on it, unless the study says otherwise."""
    await sums_dataset(client)
    body = study(metric_name="primary_score")
    del body["metric_mode"], body["scheduler"]
    job = (await client.post(BASE, json=body)).json()
    assert (job["metric_name"], job["metric_mode"], job["scheduler"]) == (
        "primary_score",
        "max",
        "fifo",
    )
    job = await _create(client, metric_name="primary_score", metric_mode="min", scheduler="fifo")
    assert job["metric_mode"] == "min"


async def test_list_is_newest_first_and_paged(client: httpx.AsyncClient) -> None:
    await sums_dataset(client)
    ids = [(await _create(client, name=f"study-{i}"))["id"] for i in range(3)]

    first = (await client.get(BASE, params={"limit": 2})).json()
    assert [j["id"] for j in first["data"]] == ids[::-1][:2]
    assert first["pagination"]["next_offset"] == 2

    rest = (await client.get(BASE, params={"limit": 2, "offset": 2})).json()
    assert [j["id"] for j in rest["data"]] == [ids[0]]
    assert rest["pagination"]["next_offset"] is None
    assert "trials" not in rest["data"][0]


@pytest.mark.parametrize("params", [{"limit": 0}, {"limit": 101}, {"offset": -1}])
async def test_list_refuses_bad_paging(client: httpx.AsyncClient, params: dict[str, int]) -> None:
    response = await client.get(BASE, params=params)
    assert response.status_code == 422
    assert response.json()["error"] == "ValidationError"
    assert ["query", *params] in [e["loc"] for e in response.json()["detail"]]


# --- validation: 422 naming the field, nothing written -------------------------------


def _space(key: str, **param: Any) -> dict[str, Any]:
    return {"search_space": {key: param}}


INVALID: list[tuple[str, dict[str, Any], list[str | int]]] = [
    # Keys a study may not vary.
    ("unknown key", _space("dropout", type="choice", values=[0.1]), []),
    ("not tunable", _space("eval_every_n_steps", type="choice", values=[5]), []),
    ("empty space", {"search_space": {}}, []),
    # Types of parameter that do not fit the setting.
    ("float as randint", _space("learning_rate", type="randint", min=1, max=2), []),
    ("int as uniform", _space("batch_size", type="uniform", min=1, max=8), []),
    ("int as loguniform", _space("max_steps", type="loguniform", min=1, max=8), []),
    ("method as range", _space("method", type="uniform", min=0, max=1), []),
    ("lr_schedule as randint", _space("lr_schedule", type="randint", min=0, max=2), []),
    # Shapes of parameter.
    ("unknown type", _space("batch_size", type="normal", values=[1]), ["type"]),
    ("choice without values", _space("batch_size", type="choice"), []),
    ("choice of nothing", _space("batch_size", type="choice", values=[]), []),
    ("choice with a range", _space("batch_size", type="choice", values=[2], min=1, max=4), []),
    ("range with values", _space("learning_rate", type="uniform", values=[0.1]), []),
    ("range without max", _space("learning_rate", type="uniform", min=0.1), []),
    ("min equals max", _space("learning_rate", type="uniform", min=0.1, max=0.1), []),
    ("min above max", _space("lora_alpha", type="uniform", min=8, max=4), []),
    ("loguniform from zero", _space("lora_alpha", type="loguniform", min=0, max=4), []),
    ("loguniform below zero", _space("lora_alpha", type="loguniform", min=-1, max=4), []),
    ("randint not whole", _space("batch_size", type="randint", min=1.5, max=4), []),
    ("randint reversed", _space("batch_size", type="randint", min=8, max=2), []),
    ("unknown field", _space("batch_size", type="choice", values=[2], step=1), ["step"]),
    # Values the training setting itself refuses.
    ("batch_size 0", _space("batch_size", type="choice", values=[4, 0]), []),
    ("batch_size not whole", _space("batch_size", type="choice", values=[2.5]), []),
    ("batch_size range from 0", _space("batch_size", type="randint", min=0, max=4), []),
    ("method half", _space("method", type="choice", values=["lora", "half"]), []),
    ("lr_schedule unknown", _space("lr_schedule", type="choice", values=["step"]), []),
    ("learning_rate above 1", _space("learning_rate", type="choice", values=[2.0]), []),
    ("learning_rate range to 2", _space("learning_rate", type="uniform", min=0.1, max=2), []),
    ("learning_rate range from 0", _space("learning_rate", type="uniform", min=0, max=0.1), []),
    ("max_seq_length too short", _space("max_seq_length", type="choice", values=[8]), []),
    ("seed too big", _space("seed", type="randint", min=0, max=2**31), []),
    ("lora_rank too big", _space("lora_rank", type="choice", values=[2048]), []),
]


@pytest.mark.parametrize(
    ("overrides", "loc"),
    [
        pytest.param(body, ["body", "search_space", *(list(body["search_space"])), *rest], id=name)
        for name, body, rest in INVALID
    ]
    + [
        pytest.param({"training": {"bogus": 1}}, ["body", "training", "bogus"], id="training key"),
        pytest.param(
            {"training": {"batch_size": 0}}, ["body", "training", "batch_size"], id="training 0"
        ),
        pytest.param(
            {"training": {"method": "half"}}, ["body", "training", "method"], id="training method"
        ),
        pytest.param(
            {"training": {"learning_rate": 1e-3}},
            ["body", "training", "learning_rate"],
            id="training also searched",
        ),
        pytest.param({"metric_name": "accuracy"}, ["body", "metric_name"], id="metric name"),
        pytest.param({"metric_mode": "avg"}, ["body", "metric_mode"], id="metric mode"),
        pytest.param({"num_samples": 0}, ["body", "num_samples"], id="no samples"),
        pytest.param({"num_samples": 65}, ["body", "num_samples"], id="too many samples"),
        pytest.param(
            {"max_concurrent_trials": 0}, ["body", "max_concurrent_trials"], id="0 at once"
        ),
        pytest.param(
            {"max_concurrent_trials": 17, "num_samples": 64},
            ["body", "max_concurrent_trials"],
            id="17 at once",
        ),
        pytest.param({"search_alg": "grid"}, ["body", "search_alg"], id="search alg"),
        pytest.param({"scheduler": "pbt"}, ["body", "scheduler"], id="scheduler"),
        pytest.param(
            {"metric_name": "primary_score", "scheduler": "asha"},
            ["body", "scheduler"],
            id="asha on a score known at the end",
        ),
        pytest.param({"seed": -1}, ["body", "seed"], id="seed"),
        pytest.param({"name": ""}, ["body", "name"], id="empty name"),
        pytest.param({"base_model_id": ""}, ["body", "base_model_id"], id="empty model"),
        pytest.param({"surprise": 1}, ["body", "surprise"], id="unknown field"),
    ],
)
async def test_invalid_study_is_refused_and_nothing_written(
    client: httpx.AsyncClient,
    sessionmaker: Maker,
    overrides: dict[str, Any],
    loc: list[str | int],
) -> None:
    await sums_dataset(client)
    response = await client.post(BASE, json=study(**overrides))

    assert response.status_code == 422, response.text
    body = response.json()
    assert body["error"] == "ValidationError"
    assert loc in [e["loc"] for e in body["detail"]], body["detail"]
    assert all(isinstance(e["msg"], str) and e["msg"] for e in body["detail"])
    assert await _rows(sessionmaker) == (0, 0)
    assert (await client.get(BASE)).json()["data"] == []


async def test_more_at_once_than_samples_names_the_field(
    client: httpx.AsyncClient, sessionmaker: Maker
) -> None:
    await sums_dataset(client)
    response = await client.post(BASE, json=study(num_samples=2, max_concurrent_trials=4))

    assert response.status_code == 422, response.text
    body = response.json()
    assert body["error"] == "ValidationError"
    assert ["body", "max_concurrent_trials"] in [e["loc"] for e in body["detail"]], body
    assert await _rows(sessionmaker) == (0, 0)


async def test_every_bad_dimension_is_named(client: httpx.AsyncClient, sessionmaker: Maker) -> None:
    """Each bad key of the space and of `training` is reported, not just the first."""
    await sums_dataset(client)
    space = {
        "batch_size": {"type": "choice", "values": [0]},
        "method": {"type": "choice", "values": ["half"]},
        "learning_rate": {"type": "uniform", "min": 0.001, "max": 0.01},
    }
    training = {"learning_rate": 0.1, "bogus": True}
    response = await client.post(BASE, json=study(search_space=space, training=training))

    assert response.status_code == 422, response.text
    locs = [e["loc"] for e in response.json()["detail"]]
    for expected in (
        ["body", "search_space", "batch_size"],
        ["body", "search_space", "method"],
        ["body", "training", "learning_rate"],
        ["body", "training", "bogus"],
    ):
        assert expected in locs, locs
    assert ["body", "search_space", "learning_rate"] not in locs
    assert await _rows(sessionmaker) == (0, 0)


@pytest.mark.parametrize("metric", ["eval_loss", "primary_score"])
async def test_eval_metrics_need_an_eval_split(
    client: httpx.AsyncClient, sessionmaker: Maker, metric: str
) -> None:
    await sums_dataset(client)
    flat = await build_dataset(client, name="flat", eval_ratio=0)
    assert flat["eval_count"] == 0, flat

    body = study(dataset_key=flat["dataset_key"], metric_name=metric, scheduler="fifo")
    response = await client.post(BASE, json=body)
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["error"] == "ValidationError"
    assert [e["loc"] for e in body["detail"]] == [["body", "metric_name"]]
    assert await _rows(sessionmaker) == (0, 0)

    # train_loss needs no eval split.
    job = await _create(client, dataset_key=flat["dataset_key"], metric_name="train_loss")
    assert job["metric_name"] == "train_loss"
    assert await _rows(sessionmaker) == (1, 0)


# --- 404 and 501 ------------------------------------------------------------------------


async def test_unknown_dataset_is_404(client: httpx.AsyncClient, sessionmaker: Maker) -> None:
    response = await client.post(BASE, json=study(dataset_key="nothing-v1"))
    assert response.status_code == 404, response.text
    assert response.json()["error"] == "DatasetNotFound"
    assert isinstance(response.json()["detail"], str)
    assert await _rows(sessionmaker) == (0, 0)


@pytest.mark.parametrize("model_id", ["acme/nothing", "tunix-rt/huge-gemma3"])
async def test_unknown_model_is_404(
    client: httpx.AsyncClient, sessionmaker: Maker, model_id: str
) -> None:
    await sums_dataset(client)
    response = await client.post(BASE, json=study(base_model_id=model_id))
    assert response.status_code == 404, response.text
    assert response.json()["error"] == "TuningModelNotFound"
    assert model_id in response.json()["detail"]
    assert await _rows(sessionmaker) == (0, 0)


async def test_unknown_job_is_404(client: httpx.AsyncClient, sessionmaker: Maker) -> None:
    missing = uuid.uuid4()
    for response in (
        await client.get(f"{BASE}/{missing}"),
        await client.get(f"{BASE}/{missing}/trials"),
        await client.post(f"{BASE}/{missing}/start"),
        await client.post(f"{BASE}/{missing}/cancel"),
    ):
        assert response.status_code == 404, response.text
        assert response.json()["error"] == "TuningJobNotFound"
        assert str(missing) in response.json()["detail"]
    assert await _rows(sessionmaker) == (0, 0)


async def test_malformed_job_id_is_422(client: httpx.AsyncClient) -> None:
    response = await client.get(f"{BASE}/not-a-uuid")
    assert response.status_code == 422
    assert response.json()["error"] == "ValidationError"
    assert ["path", "job_id"] in [e["loc"] for e in response.json()["detail"]]


async def test_create_without_the_tuning_extra_is_501(
    client: httpx.AsyncClient, sessionmaker: Maker, monkeypatch: pytest.MonkeyPatch
) -> None:
    await sums_dataset(client)
    monkeypatch.setattr(service, "tuning_available", lambda: False)

    response = await client.post(BASE, json=study())
    assert response.status_code == 501, response.text
    assert response.json()["error"] == "TuningNotAvailable"
    assert "tuning" in response.json()["detail"]
    assert await _rows(sessionmaker) == (0, 0)


@pytest.mark.parametrize(
    ("name", "error"),
    [("tuning_available", "TuningNotAvailable"), ("tunix_available", "TunixNotAvailable")],
)
async def test_start_without_ray_or_tunix_is_501(
    client: httpx.AsyncClient,
    sessionmaker: Maker,
    monkeypatch: pytest.MonkeyPatch,
    name: str,
    error: str,
) -> None:
    await sums_dataset(client)
    job = await _create(client)
    await _live_worker(sessionmaker)
    monkeypatch.setattr(service, name, lambda: False)

    response = await client.post(f"{BASE}/{job['id']}/start")
    assert response.status_code == 501, response.text
    assert response.json()["error"] == error
    assert await _status(client, job["id"]) == "created"


# --- start and cancel -------------------------------------------------------------------


async def test_start_queues_once(client: httpx.AsyncClient, sessionmaker: Maker) -> None:
    await sums_dataset(client)
    job = await _create(client)
    await _live_worker(sessionmaker)

    started = await client.post(f"{BASE}/{job['id']}/start")
    assert started.status_code == 202, started.text
    queued = started.json()
    assert queued["id"] == job["id"]
    assert queued["status"] == "pending"
    assert queued["queued_at"] is not None
    assert queued["search_space"] == SPACE

    again = await client.post(f"{BASE}/{job['id']}/start")
    assert again.status_code == 409, again.text
    assert again.json()["error"] == "TuningJobConflict"
    assert "pending" in again.json()["detail"]
    assert (await client.get(f"{BASE}/{job['id']}")).json() == {**queued, "trials": []}

    # Queued, not yet claimed: cancelled at once.
    cancelled = await client.post(f"{BASE}/{job['id']}/cancel")
    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["status"] == "cancelled"
    assert cancelled.json()["completed_at"] is not None


async def test_start_without_a_live_worker_is_503(
    client: httpx.AsyncClient, sessionmaker: Maker
) -> None:
    await sums_dataset(client)
    job = await _create(client)
    # A worker whose heartbeat is long stale is no live worker.
    long_ago = utcnow() - timedelta(days=1)
    async with sessionmaker() as session, session.begin():
        session.add(
            Worker(
                worker_id="stale",
                hostname="test",
                pid=1,
                concurrency=1,
                started_at=long_ago,
                heartbeat_at=long_ago,
            )
        )

    response = await client.post(f"{BASE}/{job['id']}/start")
    assert response.status_code == 503, response.text
    assert response.json()["error"] == "NoWorker"
    after = (await client.get(f"{BASE}/{job['id']}")).json()
    assert after["status"] == "created"
    assert after["queued_at"] is None


async def test_cancel_a_created_study(client: httpx.AsyncClient, sessionmaker: Maker) -> None:
    await sums_dataset(client)
    job = await _create(client)

    cancelled = await client.post(f"{BASE}/{job['id']}/cancel")
    assert cancelled.status_code == 200, cancelled.text
    ended = cancelled.json()
    assert ended["status"] == "cancelled"
    assert ended["completed_at"] is not None
    assert ended["queued_at"] is None
    assert (await client.get(f"{BASE}/{job['id']}")).json() == {**ended, "trials": []}

    again = await client.post(f"{BASE}/{job['id']}/cancel")
    assert again.status_code == 409, again.text
    assert again.json()["error"] == "TuningJobConflict"
    assert "cancelled" in again.json()["detail"]

    await _live_worker(sessionmaker)
    start = await client.post(f"{BASE}/{job['id']}/start")
    assert start.status_code == 409, start.text
    assert start.json()["error"] == "TuningJobConflict"
    assert (await client.get(f"{BASE}/{job['id']}")).json() == {**ended, "trials": []}


@pytest.mark.parametrize("state", ["completed", "failed"])
async def test_an_ended_study_cannot_be_cancelled_or_started(
    client: httpx.AsyncClient, sessionmaker: Maker, state: str
) -> None:
    await sums_dataset(client)
    job = await _create(client)
    async with sessionmaker() as session, session.begin():
        row = await session.get(TuningJob, uuid.UUID(job["id"]))
        assert row is not None
        row.status = state
        row.completed_at = utcnow()
    await _live_worker(sessionmaker)

    for action in ("cancel", "start"):
        response = await client.post(f"{BASE}/{job['id']}/{action}")
        assert response.status_code == 409, response.text
        assert response.json()["error"] == "TuningJobConflict"
    assert await _status(client, job["id"]) == state


# --- trials -----------------------------------------------------------------------------

METRICS: list[float | None] = [3.0, None, 1.0, 2.0]


async def _study_with_trials(client: httpx.AsyncClient, maker: Maker, mode: str) -> str:
    """A study of four trials, made in the order of METRICS; their keys t0..t3."""
    job_id: str = (await _create(client, metric_mode=mode))["id"]
    start = utcnow() - timedelta(minutes=5)
    async with maker() as session, session.begin():
        for i, value in enumerate(METRICS):
            when = start + timedelta(seconds=i)
            session.add(
                TuningTrial(
                    id=uuid.uuid4(),
                    tuning_job_id=uuid.UUID(job_id),
                    trial_key=f"t{i}",
                    run_id=None,
                    params_json={"batch_size": 2 * (i + 1)},
                    metric_value=value,
                    status="completed" if value is not None else "failed",
                    stopped_step=None if value is None else 4,
                    error=None if value is not None else "boom",
                    created_at=when,
                    updated_at=when,
                    completed_at=when,
                )
            )
    return job_id


async def _trials(client: httpx.AsyncClient, job_id: str, **params: Any) -> dict[str, Any]:
    response = await client.get(f"{BASE}/{job_id}/trials", params=params)
    assert response.status_code == 200, response.text
    page: dict[str, Any] = response.json()
    return page


def _metrics(trials: list[dict[str, Any]]) -> list[float | None]:
    return [t["metric_value"] for t in trials]


@pytest.mark.parametrize(
    ("mode", "best_first"), [("min", [1.0, 2.0, 3.0, None]), ("max", [3.0, 2.0, 1.0, None])]
)
async def test_trials_best_first_or_as_created(
    client: httpx.AsyncClient, sessionmaker: Maker, mode: str, best_first: list[float | None]
) -> None:
    await sums_dataset(client)
    job_id = await _study_with_trials(client, sessionmaker, mode)

    by_metric = await _trials(client, job_id)
    assert _metrics(by_metric["data"]) == best_first
    assert by_metric["pagination"] == {
        "limit": 50,
        "offset": 0,
        "next_offset": None,
        "next_cursor": None,
    }
    assert _metrics((await _trials(client, job_id, sort="metric"))["data"]) == best_first
    created = (await _trials(client, job_id, sort="created"))["data"]
    assert _metrics(created) == METRICS
    assert [t["trial_key"] for t in created] == ["t0", "t1", "t2", "t3"]

    failed = created[1]
    assert failed["status"] == "failed"
    assert failed["error"] == "boom"
    assert failed["params"] == {"batch_size": 4}
    assert failed["run_id"] is None
    assert failed["stopped_step"] is None

    # The study's own page lists them best first too.
    detail = (await client.get(f"{BASE}/{job_id}")).json()
    assert _metrics(detail["trials"]) == best_first


async def test_trials_are_paged(client: httpx.AsyncClient, sessionmaker: Maker) -> None:
    await sums_dataset(client)
    job_id = await _study_with_trials(client, sessionmaker, "min")

    first = await _trials(client, job_id, limit=2)
    assert _metrics(first["data"]) == [1.0, 2.0]
    assert first["pagination"]["limit"] == 2
    assert first["pagination"]["next_offset"] == 2

    second = await _trials(client, job_id, limit=2, offset=2)
    assert _metrics(second["data"]) == [3.0, None]
    assert second["pagination"]["next_offset"] is None

    past = await _trials(client, job_id, limit=2, offset=4)
    assert past["data"] == []
    assert past["pagination"]["next_offset"] is None

    created = await _trials(client, job_id, sort="created", limit=3, offset=1)
    assert _metrics(created["data"]) == [None, 1.0, 2.0]
    assert created["pagination"]["next_offset"] is None


async def test_trials_of_one_study_only(client: httpx.AsyncClient, sessionmaker: Maker) -> None:
    await sums_dataset(client)
    await _study_with_trials(client, sessionmaker, "min")
    other = await _create(client, name="other")
    page = await _trials(client, other["id"])
    assert page["data"] == []
    assert (await client.get(f"{BASE}/{other['id']}")).json()["trials"] == []


@pytest.mark.parametrize("params", [{"sort": "best"}, {"limit": 0}, {"limit": 101}, {"offset": -1}])
async def test_trials_refuse_bad_queries(
    client: httpx.AsyncClient, sessionmaker: Maker, params: dict[str, Any]
) -> None:
    await sums_dataset(client)
    job_id = await _study_with_trials(client, sessionmaker, "min")
    response = await client.get(f"{BASE}/{job_id}/trials", params=params)
    assert response.status_code == 422, response.text
    assert response.json()["error"] == "ValidationError"
    assert ["query", *params] in [e["loc"] for e in response.json()["detail"]]
