"""OpenAI's request and response shapes for `/v1`, as its clients send and read them.

Unknown request fields are ignored, as OpenAI-compatible servers do (clients send
`user`, `frequency_penalty`...); those this server cannot honour and that change the
answer (`n` > 1, `tools`, chat `logprobs`) are refused with a 400 naming them.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

MAX_STOP = 4
MAX_STOP_LENGTH = 256
MAX_PROMPTS = 64
MAX_MESSAGES = 512
# Fields with a default that a client may send as null (OpenAI's clients do).
_DEFAULTED = frozenset({"temperature", "top_p", "n", "stream", "max_tokens", "echo"})


class TextPart(BaseModel):
    type: Literal["text"]
    text: str


class ChatMessage(BaseModel):
    model_config = ConfigDict(extra="ignore")

    role: Literal["system", "developer", "user", "assistant"]
    content: str | list[TextPart] | None = None

    def text(self) -> str:
        if isinstance(self.content, list):
            return "".join(part.text for part in self.content)
        return self.content or ""


class StreamOptions(BaseModel):
    include_usage: bool = False


Stop = Annotated[
    str | list[Annotated[str, Field(min_length=1, max_length=MAX_STOP_LENGTH)]] | None,
    Field(description=f"Up to {MAX_STOP} strings; the answer ends before the first one written"),
]


class Sampling(BaseModel):
    """Fields both endpoints take. `null` is the default, as OpenAI takes it."""

    model_config = ConfigDict(extra="ignore")

    @model_validator(mode="before")
    @classmethod
    def _nulls_are_defaults(cls, data: Any) -> Any:
        if isinstance(data, dict):
            return {k: v for k, v in data.items() if v is not None or k not in _DEFAULTED}
        return data

    model: str = Field(min_length=1, max_length=512)
    temperature: float = Field(1.0, ge=0, le=2, description="0: greedy (the most likely token)")
    top_p: float = Field(1.0, gt=0, le=1)
    seed: int | None = Field(None, ge=0, lt=2**31, description="With temperature > 0")
    stop: Stop = None
    n: int = Field(1, ge=1, le=1, description="One answer per request")
    stream: bool = False
    stream_options: StreamOptions | None = None

    @field_validator("stop")
    @classmethod
    def _stops(cls, value: str | list[str] | None) -> list[str]:
        stops = [value] if isinstance(value, str) else list(value or [])
        if len(stops) > MAX_STOP:
            raise ValueError(f"at most {MAX_STOP} stop strings")
        if any(not s or len(s) > MAX_STOP_LENGTH for s in stops):
            raise ValueError(f"stop strings are 1 to {MAX_STOP_LENGTH} characters")
        return stops

    @property
    def stops(self) -> list[str]:
        return self.stop if isinstance(self.stop, list) else []


class ChatCompletionRequest(Sampling):
    messages: list[ChatMessage] = Field(min_length=1, max_length=MAX_MESSAGES)
    max_tokens: int | None = Field(None, ge=1, description="Default: as many as fit")
    max_completion_tokens: int | None = Field(None, ge=1, description="max_tokens' newer name")
    tools: list[Any] | None = Field(None, description="Not supported: refused when given")
    logprobs: bool | None = Field(None, description="Not supported for chat: refused when true")

    @field_validator("tools")
    @classmethod
    def _no_tools(cls, value: list[Any] | None) -> None:
        if value:
            raise ValueError("tool calling is not supported by this server")
        return None

    @field_validator("logprobs")
    @classmethod
    def _no_logprobs(cls, value: bool | None) -> bool | None:
        if value:
            raise ValueError("chat logprobs are not supported; /v1/completions returns them")
        return value


class CompletionRequest(Sampling):
    prompt: (
        Annotated[str, Field(max_length=1_000_000)]
        | Annotated[list[str], Field(min_length=1, max_length=MAX_PROMPTS)]
        | Annotated[list[Annotated[int, Field(ge=0)]], Field(min_length=1)]
        | Annotated[
            list[list[Annotated[int, Field(ge=0)]]], Field(min_length=1, max_length=MAX_PROMPTS)
        ]
    ) = Field(description="Text, texts, token ids, or lists of token ids")
    max_tokens: int = Field(16, ge=0, description="0 with echo: the prompt's logprobs only")
    echo: bool = False
    logprobs: int | None = Field(None, ge=0, le=5)
    suffix: str | None = Field(None, description="Not supported: refused when given")

    @field_validator("suffix")
    @classmethod
    def _no_suffix(cls, value: str | None) -> None:
        if value:
            raise ValueError("suffix (insertion) is not supported by this server")
        return None

    def prompts(self) -> list[str | list[int]]:
        """One entry per prompt: a text or token ids."""
        prompt = self.prompt
        if isinstance(prompt, str):
            return [prompt]
        if prompt and isinstance(prompt[0], int):
            return [list(prompt)]  # type: ignore[arg-type]
        return list(prompt)  # type: ignore[arg-type]


class OpenAIError(BaseModel):
    message: str
    type: str = Field(description="invalid_request_error, authentication_error, server_error...")
    param: str | None
    code: str | None


class OpenAIErrorBody(BaseModel):
    """OpenAI's error body: every /v1 error has it."""

    error: OpenAIError


class Usage(BaseModel):
    prompt_tokens: int
    completion_tokens: int
    total_tokens: int


class AssistantMessage(BaseModel):
    role: Literal["assistant"] = "assistant"
    content: str
    reasoning_content: str | None = Field(
        None, description="The reasoning steps (a `Reasoning:` block), apart from the answer"
    )


class ChatChoice(BaseModel):
    index: int
    message: AssistantMessage
    logprobs: None = None
    finish_reason: Literal["stop", "length"]


class ChatCompletion(BaseModel):
    id: str
    object: Literal["chat.completion"] = "chat.completion"
    created: int
    model: str
    choices: list[ChatChoice]
    usage: Usage


class Logprobs(BaseModel):
    tokens: list[str]
    token_logprobs: list[float | None]
    top_logprobs: list[dict[str, float] | None]
    text_offset: list[int]


class CompletionChoice(BaseModel):
    index: int
    text: str
    logprobs: Logprobs | None = None
    finish_reason: Literal["stop", "length"]


class Completion(BaseModel):
    id: str
    object: Literal["text_completion"] = "text_completion"
    created: int
    model: str
    choices: list[CompletionChoice]
    usage: Usage


class ModelCard(BaseModel):
    id: str
    object: Literal["model"] = "model"
    created: int
    owned_by: str = "tunix-rt"
    source: Literal["registry", "run", "builtin", "checkpoint"]


class ModelList(BaseModel):
    object: Literal["list"] = "list"
    data: list[ModelCard]


class LoadedModel(BaseModel):
    key: str = Field(description="What is loaded: version:<sha256>, run:<id> or base:<model>")
    names: list[str] = Field(description="The names requests asked for it by, latest first")
    model_id: str
    pid: int | None
    alive: bool
    ready: bool
    loaded_at: float
    load_seconds: float | None
    context_length: int | None
    checkpoint_step: int | None
    queue_depth: int = Field(description="Requests sent, not yet being decoded")
    in_flight: int = Field(description="Requests being decoded")
    requests: int
    prompt_tokens: int
    completion_tokens: int
    batches: int
    mean_batch_size: float | None
    tokens_per_second: float | None = Field(description="Generated tokens per busy second")


class ServingStatus(BaseModel):
    available: bool = Field(description="The Tunix runtime is installed")
    max_models: int
    max_batch: int
    batch_window_ms: float
    models: list[LoadedModel] = Field(description="Most recently used first")
