"""Calendar months as the KPIs count them."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from pingjia.metrics.months import month_bounds, next_month, parse_month, previous_month


def test_a_month_is_read_from_year_and_month() -> None:
    assert parse_month("2025-03") == date(2025, 3, 1)
    assert parse_month(" 2025-3 ") == date(2025, 3, 1)


@pytest.mark.parametrize("text", ["2025-13", "2025-00", "25-03", "2025/03", "2025-03-01", ""])
def test_anything_else_is_refused_with_the_expected_form(text: str) -> None:
    with pytest.raises(ValueError, match="YYYY-MM"):
        parse_month(text)


def test_months_roll_over_the_year() -> None:
    assert next_month(date(2025, 12, 1)) == date(2026, 1, 1)
    assert previous_month(date(2025, 1, 1)) == date(2024, 12, 1)


def test_a_month_runs_from_local_midnight_to_local_midnight() -> None:
    start, end = month_bounds(date(2025, 3, 1), ZoneInfo("Asia/Shanghai"))
    assert start.astimezone(UTC) == datetime(2025, 2, 28, 16, tzinfo=UTC)
    assert end.astimezone(UTC) == datetime(2025, 3, 31, 16, tzinfo=UTC)
