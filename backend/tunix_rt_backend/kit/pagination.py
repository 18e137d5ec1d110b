"""Offset pages (the seed's contract) and opaque keyset cursors for deep pages."""

from __future__ import annotations

import base64
import binascii
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar

import orjson
from pydantic import BaseModel, Field

from tunix_rt_backend.errors import ValidationFailed

T = TypeVar("T")

MAX_LIMIT = 100
# The databases' OFFSET is a signed 64-bit integer.
MAX_OFFSET = 2**63 - 1
DEFAULT_LIMIT = 20


class Pagination(BaseModel):
    limit: int
    offset: int
    next_offset: int | None = Field(
        description="Offset of the next page; null on the last page and in cursor mode."
    )
    next_cursor: str | None = Field(
        None, description="Opaque cursor of the next page (any depth at the same cost)."
    )


class Page(BaseModel, Generic[T]):
    data: list[T]
    pagination: Pagination


def offset_pagination(limit: int, offset: int, more: bool) -> Pagination:
    """An offset page's `pagination`: the next offset while `more` rows follow."""
    return Pagination(limit=limit, offset=offset, next_offset=offset + limit if more else None)


@dataclass(frozen=True, slots=True)
class PageParams:
    """Checked already (by the query's bounds and `decode_cursor`): a plain record, not
    a model validated again on every list request."""

    limit: int
    offset: int
    cursor: tuple[datetime, uuid.UUID] | None


def keyset_page(
    rows: Sequence[Any],
    params: PageParams,
    to_item: Callable[[Any], T],
    key: Callable[[Any], tuple[datetime, uuid.UUID]] = lambda row: (row.created_at, row.id),
) -> tuple[list[T], Pagination]:
    """One page from `limit + 1` rows (ordered by `key`, (created_at, id), newest
    first): the extra row only tells whether another page follows."""
    has_more = len(rows) > params.limit
    rows = rows[: params.limit]
    last = rows[-1] if rows and has_more else None
    pagination = Pagination(
        limit=params.limit,
        offset=params.offset,
        next_offset=params.offset + params.limit if has_more and params.cursor is None else None,
        next_cursor=encode_cursor(*key(last)) if last is not None else None,
    )
    return [to_item(row) for row in rows], pagination


def encode_cursor(created_at: datetime, row_id: uuid.UUID) -> str:
    raw = orjson.dumps([created_at.isoformat(), row_id.hex])
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, uuid.UUID]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        stamp, row_id = orjson.loads(raw)
        created_at = datetime.fromisoformat(stamp)
        if created_at.tzinfo is None:
            raise ValueError("naive timestamp")
        # In UTC, as stored: a date at the edge of the calendar overflows here, not
        # in the database.
        return created_at.astimezone(UTC), uuid.UUID(hex=row_id)
    except (ValueError, TypeError, OverflowError, binascii.Error, orjson.JSONDecodeError):
        _invalid("cursor", "malformed cursor")
        raise  # unreachable: _invalid raises


def page_of(limit: int, offset: int, cursor: str | None) -> PageParams:
    """The page a request asks for: `limit` from `offset`, or after `cursor`."""
    if cursor is None:
        return PageParams(limit=limit, offset=offset, cursor=None)
    if offset:
        _invalid("offset", "offset and cursor cannot be combined")
    return PageParams(limit=limit, offset=0, cursor=decode_cursor(cursor))


def _invalid(name: str, msg: str) -> None:
    raise ValidationFailed.field(("query", name), msg, "value_error")
