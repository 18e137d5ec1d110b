"""Content-addressed storage of model versions: a run's final checkpoint (and the
manifest that says how to load it) packed into one reproducible tar under
`DATA_DIR/registry/blobs/sha256/`, named by its sha256.

The tar is written the same way every time (entries in name order, times, owners and
modes fixed), so the same checkpoint gives the same bytes, the same sha256, the same
blob: promoting it again stores nothing new. The stored file IS the download, so a
client can check what it got with `sha256sum`. Blocking (walks, copies, hashes): call
it in a thread.
"""

from __future__ import annotations

import hashlib
import os
import tarfile
import uuid
from dataclasses import dataclass
from pathlib import Path

from tunix_rt_backend.kit.paths import resolve_under
from tunix_rt_backend.runs.artifacts import files_under

BLOBS = "blobs/sha256"


@dataclass(frozen=True, slots=True)
class StoredBlob:
    storage_uri: str  # relative to the registry root, e.g. blobs/sha256/ab/ab12....tar
    sha256: str
    size_bytes: int


@dataclass(frozen=True, slots=True)
class Entry:
    """A file to pack: its name in the archive and where it is now."""

    name: str
    path: Path


def checkpoint_entries(run_dir: Path, step: int) -> list[Entry]:
    """The run's manifest and its checkpoint at `step`, as the archive holds them
    (`manifest.yaml`, `checkpoints/<step>/...`): the layout `training.restore` reads.
    Only regular files inside the run's directory; symlinks are never followed."""
    manifest = resolve_under(run_dir, "manifest.yaml")
    checkpoint = resolve_under(run_dir, f"checkpoints/{step}")
    if not checkpoint.is_dir():
        raise FileNotFoundError(f"checkpoints/{step} is not in the run's directory")
    entries = [Entry("manifest.yaml", manifest)] if manifest.is_file() else []
    for path in files_under(checkpoint):
        entries.append(Entry(f"checkpoints/{step}/{path.relative_to(checkpoint).as_posix()}", path))
    if len(entries) < 2:
        raise FileNotFoundError(f"checkpoints/{step} or manifest.yaml is missing or empty")
    return entries


class _HashingFile:
    """A write-only file that hashes and counts what goes through it."""

    def __init__(self, path: Path) -> None:
        self._file = path.open("xb")
        self.digest = hashlib.sha256()
        self.size = 0

    def write(self, data: bytes) -> int:
        self.digest.update(data)
        self.size += len(data)
        return self._file.write(data)

    def close(self) -> None:
        if self._file.closed:
            return
        self._file.flush()
        os.fsync(self._file.fileno())
        self._file.close()


def store(root: Path, entries: list[Entry]) -> StoredBlob:
    """Pack `entries` into a blob under `root` (the registry's directory); an existing
    blob with the same content is kept as it is."""
    blobs = root / BLOBS
    blobs.mkdir(parents=True, exist_ok=True)
    part = blobs / f".{uuid.uuid4().hex}.part"
    sink = _HashingFile(part)
    try:
        with tarfile.open(fileobj=sink, mode="w|", format=tarfile.PAX_FORMAT) as tar:  # type: ignore[call-overload]
            for entry in sorted(entries, key=lambda e: e.name):
                with entry.path.open("rb") as data:
                    tar.addfile(_member(tar, entry), data)
        sink.close()
        sha = sink.digest.hexdigest()
        uri = f"{BLOBS}/{sha[:2]}/{sha}.tar"
        final = root / uri
        final.parent.mkdir(exist_ok=True)
        if final.exists():
            part.unlink()
        else:
            # Atomic: a reader sees the whole blob or none. Two promotions of the same
            # content at once write the same bytes; the later rename is harmless.
            os.replace(part, final)
        return StoredBlob(storage_uri=uri, sha256=sha, size_bytes=sink.size)
    except BaseException:
        sink.close()
        part.unlink(missing_ok=True)
        raise


def _member(tar: tarfile.TarFile, entry: Entry) -> tarfile.TarInfo:
    info = tar.gettarinfo(str(entry.path), arcname=entry.name)
    # Nothing of when or by whom the files were written: only their names and bytes.
    info.mtime = 0
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    info.mode = 0o644
    return info


def blob_path(root: Path, storage_uri: str) -> Path:
    """The stored blob's file; ValueError for a URI that leaves the registry."""
    return resolve_under(root, storage_uri)
