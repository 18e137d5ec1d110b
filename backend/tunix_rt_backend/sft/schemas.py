from __future__ import annotations

import uuid
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from tunix_rt_backend.kit.paths import RelativeName

ModelId = Annotated[str, Field(min_length=1, max_length=256)]


class SftExportRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    dataset_key: Annotated[str | None, Field(max_length=256)] = None
    trace_ids: Annotated[list[uuid.UUID] | None, Field(max_length=1000)] = None
    limit: int = Field(100, ge=1, description="At most this many traces (DATASET_MAX_TRACES)")


class TrainingParams(BaseModel):
    learning_rate: float = Field(2e-5, gt=0, le=1)
    num_epochs: int = Field(3, ge=1, le=1000)
    batch_size: int = Field(8, ge=1, le=4096)
    max_seq_length: int = Field(2048, ge=16, le=131_072)


class SftManifestRequest(TrainingParams):
    model_config = ConfigDict(extra="forbid")

    dataset_key: Annotated[str, Field(min_length=1, max_length=256)]
    model_id: ModelId
    output_dir: Annotated[
        RelativeName, Field(max_length=512, description="A name under the artifact root")
    ]


class SftManifestResponse(BaseModel):
    manifest_yaml: str
    dataset_key: str
    model_id: str
    format: str
    message: str
