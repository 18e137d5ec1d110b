"""Client-given names of places under a server root. No client chooses a path outside
the server's roots: absolute paths, `..`, backslashes and empty parts are refused."""

from __future__ import annotations

from pathlib import Path, PurePosixPath
from typing import Annotated

from pydantic import AfterValidator


def relative_name(value: str) -> str:
    """A normalised relative path (`./out/run_1` -> `out/run_1`), or ValueError."""
    if not value or "\\" in value or "\x00" in value:
        raise ValueError("must be a relative name such as 'run_001' (no backslashes)")
    path = PurePosixPath(value)
    if path.is_absolute():
        raise ValueError("must be relative to the artifact root, not an absolute path")
    parts = [part for part in path.parts if part != "."]
    if not parts or ".." in parts:
        raise ValueError("must name a place under the artifact root ('..' is not allowed)")
    return "/".join(parts)


def resolve_under(root: Path, name: str) -> Path:
    """`root/name`, checked after resolving symlinks to stay inside root."""
    root = root.resolve()
    path = (root / relative_name(name)).resolve()
    if not path.is_relative_to(root):
        raise ValueError(f"{name!r} leaves the artifact root")
    return path


RelativeName = Annotated[str, AfterValidator(relative_name)]
