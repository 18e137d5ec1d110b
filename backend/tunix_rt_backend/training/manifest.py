"""The run manifest, both directions: `manifest_yaml` writes the YAML that
`POST /api/tunix/sft/manifest` returns and a run saves beside its dataset export;
`RunManifest` reads it in the training process.

Imports neither JAX (the web process writes manifests) nor the datasets domain
(datasets imports this module, so the dataset a manifest describes is a protocol here).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal, Protocol, Self

import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator

from tunix_rt_backend.training.catalog import BUILTIN_PREFIX

MANIFEST_VERSION = "1.0"
# A pretrained checkpoint is fine-tuned with LoRA at this rate unless a request says
# otherwise: full fine-tuning at the built-in models' 2e-5 moves a pretrained model
# little per step and costs far more memory; LoRA's adapters start at zero and want a
# larger rate.
PRETRAINED_LORA_LEARNING_RATE = 2e-4


class TrainingSection(BaseModel):
    model_config = ConfigDict(extra="forbid")

    learning_rate: float = Field(
        2e-5,
        gt=0,
        le=1,
        description=f"Default 2e-5; {PRETRAINED_LORA_LEARNING_RATE:g} for LoRA on a pretrained "
        "checkpoint",
    )
    num_epochs: int = Field(3, ge=1, le=1000)
    batch_size: int = Field(8, ge=1, le=4096)
    max_seq_length: int = Field(2048, ge=16, le=131_072)
    max_steps: int | None = Field(
        None, ge=1, le=10_000_000, description="Stop after this many steps (else epochs)"
    )
    method: Literal["full", "lora"] = Field(
        "full", description="Default full for a built-in model, lora for a pretrained checkpoint"
    )
    lora_rank: int = Field(8, ge=1, le=1024)
    lora_alpha: float = Field(16.0, gt=0)
    lr_schedule: Literal["constant", "cosine", "linear"] = "cosine"
    warmup_steps: int = Field(0, ge=0)
    eval_every_n_steps: int = Field(50, ge=1)
    checkpoint_every_n_steps: int = Field(100, ge=1)
    seed: int = Field(0, ge=0, le=2**31 - 1)
    num_generations: int = Field(
        8, ge=0, le=256, description="Held-out prompts answered greedily at the end"
    )

    @model_validator(mode="after")
    def _pretrained_defaults(self) -> Self:
        """A request naming a pretrained checkpoint (a `model_id` not built in) that
        leaves `method` and `learning_rate` out gets LoRA and a rate suited to it."""
        model_id = getattr(self, "model_id", None)
        if not isinstance(model_id, str) or model_id.startswith(BUILTIN_PREFIX):
            return self
        given = self.model_fields_set
        if "method" not in given:
            self.method = "lora"
        if "learning_rate" not in given and self.method == "lora":
            self.learning_rate = PRETRAINED_LORA_LEARNING_RATE
        return self

    @classmethod
    def of(cls, request: BaseModel) -> TrainingSection:
        """The training settings of a request that extends this model."""
        return cls.model_validate(request.model_dump(include=set(cls.model_fields)))


class ModelSection(BaseModel):
    id: str = Field(min_length=1, max_length=256)


class DatasetSection(BaseModel):
    model_config = ConfigDict(extra="allow")

    key: str
    format: Literal["tunix_sft"] = "tunix_sft"
    content_sha256: str | None = None


class TemplateSection(BaseModel):
    model_config = ConfigDict(extra="allow")

    name: str
    sha256: str


class OutputSection(BaseModel):
    dir: str


class RunManifest(BaseModel):
    version: str
    runner: Literal["tunix"]
    task: Literal["sft"] = "sft"
    model: ModelSection
    dataset: DatasetSection
    template: TemplateSection
    training: TrainingSection
    output: OutputSection

    @classmethod
    def from_yaml(cls, text: str) -> RunManifest:
        data: Any = yaml.safe_load(text)
        return cls.model_validate(data)

    @classmethod
    def load(cls, path: Path) -> RunManifest:
        return cls.from_yaml(path.read_text())


class ManifestDataset(Protocol):
    """What a manifest records of its dataset: datasets' `DatasetManifest` has it."""

    @property
    def dataset_key(self) -> str: ...
    @property
    def content_sha256(self) -> str: ...
    @property
    def trace_count(self) -> int: ...
    @property
    def train_count(self) -> int: ...
    @property
    def eval_count(self) -> int: ...
    @property
    def template(self) -> BaseModel: ...


def manifest_yaml(
    dataset: ManifestDataset, model_id: str, training: TrainingSection, output_dir: str
) -> str:
    """The run manifest the training process reads with `RunManifest`."""
    document: dict[str, Any] = {
        "version": MANIFEST_VERSION,
        "runner": "tunix",
        "task": "sft",
        "model": {"id": model_id},
        "dataset": {
            "key": dataset.dataset_key,
            "format": "tunix_sft",
            "content_sha256": dataset.content_sha256,
            "trace_count": dataset.trace_count,
            "train_count": dataset.train_count,
            "eval_count": dataset.eval_count,
            "export": f"/api/datasets/{dataset.dataset_key}/export.jsonl?format=tunix_sft",
        },
        "template": dataset.template.model_dump(),
        "training": training.model_dump(),
        "output": {"dir": output_dir},
    }
    return yaml.dump(document, Dumper=_ManifestDumper, sort_keys=False, allow_unicode=True)


class _ManifestDumper(yaml.SafeDumper):
    """Multi-line strings (the rendered sample) as literal blocks, readable as is."""


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_ManifestDumper.add_representer(str, _represent_str)


class EvaluationSpec(BaseModel):
    """What the evaluation process answers with (`python -m
    tunix_rt_backend.training.evaluate --spec S.json`): the model, and for a run, its
    training settings (method, LoRA, seed, sequence length) and checkpoints; the
    decoding settings. Written by the server, read by the process."""

    model_config = ConfigDict(extra="forbid")

    model_id: str = Field(min_length=1, max_length=256)
    training: TrainingSection | None = Field(None, description="The run's; None: a base model")
    checkpoint_root: str | None = Field(None, description="Restore the latest checkpoint here")
    batch_size: int = Field(32, ge=1, le=1024)
    max_new_tokens: int | None = Field(
        None, ge=1, le=32_768, description="None: the longest expected answer in the data + 16"
    )
    temperature: float = Field(0.0, ge=0, le=2, description="0: greedy")
    top_p: float | None = Field(None, gt=0, le=1, description="With temperature > 0")
    seed: int | None = Field(None, ge=0, lt=2**31, description="Sampling seed")


class ServingSpec(BaseModel):
    """What a model process serves (`python -m tunix_rt_backend.training.serve_model
    --spec S.json`): the model as evaluation loads it, and how requests are batched.
    Written by the server, read by the process."""

    model_config = ConfigDict(extra="forbid")

    model_id: str = Field(min_length=1, max_length=256)
    training: TrainingSection | None = Field(None, description="The run's; None: a base model")
    checkpoint_root: str | None = Field(None, description="Restore the latest checkpoint here")
    max_batch: int = Field(8, ge=1, le=256, description="Requests decoded together")
    batch_window_ms: float = Field(20.0, ge=0, le=1000, description="Wait this long for company")
    stream_interval_ms: float = Field(
        40.0, gt=0, le=10_000, description="About how often new text is written"
    )
    max_chunk_steps: int = Field(64, ge=1, le=4096, description="Most tokens between two reports")
