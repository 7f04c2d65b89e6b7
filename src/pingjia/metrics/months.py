"""Calendar months as the KPIs count them: `YYYY-MM` in, a half-open range of aware datetimes
out. Pure: no Django, so the bounds are easy to test across time zones."""

from __future__ import annotations

import re
from datetime import date, datetime
from zoneinfo import ZoneInfo

_MONTH = re.compile(r"(\d{4})-(\d{1,2})")


def parse_month(text: str) -> date:
    """The first day of the month written `YYYY-MM`; ValueError with a readable message
    otherwise."""
    found = _MONTH.fullmatch(text.strip())
    if found is None or not 1 <= int(found[2]) <= 12 or int(found[1]) < 1900:
        raise ValueError(f"not a month: {text!r} (expected YYYY-MM, e.g. 2025-03)")
    return date(int(found[1]), int(found[2]), 1)


def next_month(month: date) -> date:
    return date(month.year + month.month // 12, month.month % 12 + 1, 1)


def previous_month(month: date) -> date:
    return date(month.year - (month.month == 1), (month.month - 2) % 12 + 1, 1)


def month_bounds(month: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """[start, end) of the calendar month in `zone`: midnight of its first day to midnight of
    the next month's first day, so that filters are plain range conditions on indexed
    columns."""
    first = month.replace(day=1)
    start = datetime(first.year, first.month, 1, tzinfo=zone)
    after = next_month(first)
    return start, datetime(after.year, after.month, 1, tzinfo=zone)
