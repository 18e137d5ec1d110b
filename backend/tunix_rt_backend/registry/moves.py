"""What an alias's history of moves means for its next rollback (pure: no database)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from tunix_rt_backend.db.models import ModelAliasEvent


def rollback_target(events: Sequence[ModelAliasEvent]) -> uuid.UUID | None:
    """Where a rollback takes the alias, from its events oldest first: the moves form a
    stack (a set pushes where the alias was; a rollback to the top pops it; a delete
    starts over), and a rollback goes to its top. None: nothing to go back to."""
    stack: list[uuid.UUID | None] = []
    for event in events:
        if event.action == "set":
            stack.append(event.from_version_id)
        elif event.action == "rollback":
            if stack and stack[-1] == event.to_version_id:
                stack.pop()
            else:  # moved (with a PUT) back to an older version: a move like a set
                stack.append(event.from_version_id)
        elif event.action == "delete":
            stack.clear()
    return stack[-1] if stack else None
