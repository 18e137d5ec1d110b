"""Client-given names of places under a server root. No client chooses a path outside
the server's roots: absolute paths, `..`, backslashes and empty parts are refused."""

from __future__ import annotations

from pathlib import Path, PurePosixPath
from typing import Annotated

from pydantic import AfterValidator, Field


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


def model_name(value: str) -> str:
    """A model a client may name: a built-in one or a checkpoint under MODEL_DIR
    (`org/name` or `org--name`), never a path of the server's file system."""
    path = PurePosixPath(value)
    if path.is_absolute() or value.startswith(("~", ".")) or "\\" in value:
        raise ValueError(
            "must name a built-in model or a checkpoint under MODEL_DIR ('org/name' or "
            "'org--name'), not a path"
        )
    if any(part in ("", "..") for part in value.split("/")):
        raise ValueError("must be 'org/name' or 'org--name' ('..' and empty parts are not allowed)")
    return value


ModelId = Annotated[str, Field(min_length=1, max_length=256), AfterValidator(model_name)]
