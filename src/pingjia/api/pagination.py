"""Cursor pagination by descending primary key: stable while rows are being added."""

from __future__ import annotations

import base64
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _
from ninja import Schema

from pingjia.core.errors import ApplicationError

MAX_LIMIT = 200


class Page(Schema):
    next_cursor: str | None


def _decode(cursor: str) -> int:
    try:
        return int(base64.urlsafe_b64decode(cursor.encode()).decode())
    except ValueError:
        raise ApplicationError(_("The cursor is not valid."), code="invalid_cursor") from None


def paginate(queryset: QuerySet[Any], *, cursor: str | None, limit: int) -> tuple[list[Any],
                                                                                     str | None]:
    """One page of `queryset` (newest first) and the cursor of the next page, if any."""
    if not 1 <= limit <= MAX_LIMIT:
        raise ApplicationError(_("limit must be between 1 and %(max)s.") % {"max": MAX_LIMIT},
                               code="invalid_limit")
    queryset = queryset.order_by("-pk")
    if cursor:
        queryset = queryset.filter(pk__lt=_decode(cursor))
    rows = list(queryset[: limit + 1])
    if len(rows) <= limit:
        return rows, None
    rows = rows[:limit]
    return rows, base64.urlsafe_b64encode(str(rows[-1].pk).encode()).decode()
