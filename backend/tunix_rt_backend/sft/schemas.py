from __future__ import annotations

import uuid
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from tunix_rt_backend.kit.paths import RelativeName
from tunix_rt_backend.training.manifest import TrainingSection

ModelId = Annotated[str, Field(min_length=1, max_length=256)]


class SftExportRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    dataset_key: Annotated[str | None, Field(max_length=256)] = None
    trace_ids: Annotated[list[uuid.UUID] | None, Field(max_length=1000)] = None
    limit: int = Field(100, ge=1, description="At most this many traces (DATASET_MAX_TRACES)")


class SftManifestRequest(TrainingSection):
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
