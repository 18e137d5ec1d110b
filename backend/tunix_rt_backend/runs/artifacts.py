"""A run's files: the listing (size, sha256, kind) and downloads, a directory (a
checkpoint) as a tar stream. A listing walks and hashes in a thread, never on the
event loop, and a large file is hashed in the background. Every name a client gives
is resolved under the run's directory (`kit.paths.resolve_under`: no absolute paths,
`..`, backslashes, or symlinks that lead out)."""

from __future__ import annotations

import hashlib
import os
import queue
import tarfile
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field

ArtifactKind = Literal["checkpoint", "config", "log", "other"]
CHUNK = 256 * 1024
_CONFIG_NAMES = {"manifest.yaml", "manifest.yml", "config.json"}


# A file larger than this is hashed in the background when first listed (its sha256
# is null until then): a 2 GiB checkpoint takes seconds to hash.
HASH_INLINE_MAX_BYTES = 64 * 1024 * 1024


class Artifact(BaseModel):
    name: str
    size: int
    sha256: str | None = Field(
        description="null while a large file is being hashed: list again in a moment"
    )
    modified_at: datetime
    kind: ArtifactKind


def kind_of(name: str) -> ArtifactKind:
    parts = name.split("/")
    if parts[0] == "checkpoints":
        return "checkpoint"
    if parts[-1] in _CONFIG_NAMES:
        return "config"
    if parts[0] == "metrics" or parts[-1].endswith((".log", ".txt")):
        return "log"
    return "other"


# (path, size, mtime_ns) -> sha256: a listing hashes each file once while it is unchanged.
_digests: dict[tuple[str, int, int], str] = {}
# Large files are hashed one at a time, off the request, by this thread.
_hasher = ThreadPoolExecutor(max_workers=1, thread_name_prefix="artifact-hash")
_hashing: set[tuple[str, int, int]] = set()
_lock = threading.Lock()


def _sha256(path: Path, size: int, mtime_ns: int) -> str | None:
    """The file's sha256; for a large file not hashed yet, None (its hashing starts)."""
    key = (str(path), size, mtime_ns)
    with _lock:
        if key in _digests:
            return _digests[key]
        if size > HASH_INLINE_MAX_BYTES:
            if key not in _hashing:
                _hashing.add(key)
                _hasher.submit(_hash_into_cache, path, key)
            return None
    return _hash_into_cache(path, key)


def _hash_into_cache(path: Path, key: tuple[str, int, int]) -> str | None:
    digest = hashlib.sha256()
    try:
        with path.open("rb") as f:
            while block := f.read(CHUNK):
                digest.update(block)
    except OSError:  # gone or changed meanwhile: the next listing sees it as it is
        return None
    finally:
        with _lock:
            _hashing.discard(key)
    with _lock:
        if len(_digests) > 10_000:
            _digests.clear()
        _digests[key] = digest.hexdigest()
    return _digests[key]


def files_under(root: Path) -> Iterator[Path]:
    """Regular files under root, in name order; symlinks are never followed."""
    for directory, subdirs, names in os.walk(root):
        subdirs.sort()
        for name in sorted(names):
            path = Path(directory) / name
            if path.is_file() and not path.is_symlink():
                yield path


def list_artifacts(run_dir: Path) -> list[Artifact]:
    """The run's files. Blocking (a walk, stats, hashing): call it in a thread."""
    if not run_dir.is_dir():
        return []
    artifacts = []
    for path in files_under(run_dir):
        stat = path.stat()
        name = path.relative_to(run_dir).as_posix()
        artifacts.append(
            Artifact(
                name=name,
                size=stat.st_size,
                sha256=_sha256(path, stat.st_size, stat.st_mtime_ns),
                modified_at=datetime.fromtimestamp(stat.st_mtime, UTC),
                kind=kind_of(name),
            )
        )
    return artifacts


def file_chunks(path: Path) -> Iterator[bytes]:
    with path.open("rb") as f:
        while block := f.read(CHUNK):
            yield block


def tar_stream(directory: Path, arcname: str) -> Iterator[bytes]:
    """An uncompressed tar of `directory`, made by a thread and handed over through a
    bounded queue: memory stays at a few chunks, whatever the checkpoint's size."""
    chunks: queue.Queue[bytes | BaseException | None] = queue.Queue(maxsize=8)
    closed = threading.Event()

    class Pipe:
        def write(self, data: bytes) -> int:
            while not closed.is_set():
                try:
                    chunks.put(bytes(data), timeout=0.5)
                    return len(data)
                except queue.Full:
                    continue
            raise BrokenPipeError("the client went away")

    def produce() -> None:
        try:
            with tarfile.open(fileobj=Pipe(), mode="w|", bufsize=CHUNK) as tar:  # type: ignore[call-overload]
                for path in files_under(directory):
                    name = f"{arcname}/{path.relative_to(directory).as_posix()}"
                    tar.add(path, arcname=name, recursive=False)
            chunks.put(None)
        except BaseException as exc:  # handed to the reader, which re-raises it
            if not closed.is_set():
                chunks.put(exc)

    threading.Thread(target=produce, daemon=True, name="tar-stream").start()
    try:
        while (item := chunks.get()) is not None:
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        closed.set()
