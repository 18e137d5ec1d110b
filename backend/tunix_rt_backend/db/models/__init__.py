"""All tables, imported here so `Base.metadata` knows them (Alembic autogenerate too)."""

from tunix_rt_backend.db.models.api_token import ApiToken
from tunix_rt_backend.db.models.dataset import Dataset, DatasetTrace
from tunix_rt_backend.db.models.evaluation import Evaluation, EvaluationItem
from tunix_rt_backend.db.models.idempotency import IdempotencyKey
from tunix_rt_backend.db.models.job import JobLogChunk, JobMetric, Worker
from tunix_rt_backend.db.models.registry import (
    ModelAlias,
    ModelAliasEvent,
    ModelArtifact,
    ModelVersion,
)
from tunix_rt_backend.db.models.regression import (
    RegressionBaseline,
    RegressionBaselineVersion,
    RegressionCheck,
)
from tunix_rt_backend.db.models.run import RunGeneration, TunixRun
from tunix_rt_backend.db.models.score import Score
from tunix_rt_backend.db.models.trace import Trace
from tunix_rt_backend.db.models.tuning import TuningJob, TuningTrial
from tunix_rt_backend.db.models.webhook import WebhookDelivery

__all__ = [
    "ApiToken",
    "Dataset",
    "DatasetTrace",
    "Evaluation",
    "EvaluationItem",
    "IdempotencyKey",
    "JobLogChunk",
    "JobMetric",
    "ModelAlias",
    "ModelAliasEvent",
    "ModelArtifact",
    "ModelVersion",
    "RegressionBaseline",
    "RegressionBaselineVersion",
    "RegressionCheck",
    "RunGeneration",
    "Score",
    "Trace",
    "TuningJob",
    "TuningTrial",
    "TunixRun",
    "WebhookDelivery",
    "Worker",
]
