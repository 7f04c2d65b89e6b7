"""The KPIs of the hand-computed month in tests/metrics/scenario.py, figure by figure."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from pingjia.cases.workflow import State
from pingjia.metrics.selectors import DepartmentKpi, Ratio, department_kpis
from tests.metrics.scenario import Scenario

MARCH = date(2025, 3, 1)


def _report(scenario: Scenario, persona: str = "manager") -> list[DepartmentKpi]:
    return department_kpis(month=MARCH, user=scenario.org[persona], now=scenario.clock.now)


def _figures(row: DepartmentKpi) -> dict[str, object]:
    def pair(ratio: Ratio) -> tuple[int, int]:
        return ratio.numerator, ratio.denominator

    return {"negative": row.negative_reviews, "on_time": pair(row.on_time),
            "satisfaction": pair(row.satisfaction), "repeat": pair(row.repeat),
            "first_pass": pair(row.first_pass), "second_round": pair(row.second_round),
            "overdue": pair(row.overdue_stages), "rejections": row.rejections,
            "escalations": row.escalations}


def test_the_hand_computed_month_gives_exactly_these_figures(scenario: Scenario) -> None:
    a, b, total = _report(scenario)
    assert (a.department, b.department, total.department) == (
        scenario.org.dept_a, scenario.org.dept_b, None)
    assert _figures(a) == {
        "negative": 2, "on_time": (1, 2), "satisfaction": (1, 2), "repeat": (1, 2),
        "first_pass": (1, 2), "second_round": (1, 3), "overdue": (2, 11), "rejections": 1,
        "escalations": 2}
    assert _figures(b) == {
        "negative": 2, "on_time": (0, 1), "satisfaction": (1, 1), "repeat": (1, 2),
        "first_pass": (1, 1), "second_round": (0, 2), "overdue": (1, 3), "rejections": 0,
        "escalations": 1}
    assert _figures(total) == {
        "negative": 4, "on_time": (1, 3), "satisfaction": (2, 3), "repeat": (2, 4),
        "first_pass": (2, 3), "second_round": (1, 5), "overdue": (3, 14), "rejections": 1,
        "escalations": 3}


def test_rates_are_judged_against_the_organisation_targets(scenario: Scenario) -> None:
    a, b, total = _report(scenario)
    # Defaults: on time ≥ 90%, satisfied ≥ 85%, repeats ≤ 10%.
    assert (a.on_time.rate, a.on_time.meets_target) == (0.5, False)
    assert (b.on_time.rate, b.on_time.meets_target) == (0.0, False)
    assert (b.satisfaction.rate, b.satisfaction.meets_target) == (1.0, True)
    assert (b.repeat.rate, b.repeat.meets_target) == (0.5, False)
    assert total.on_time.rate == pytest.approx(1 / 3)
    assert a.first_pass.target is None and a.first_pass.meets_target is None
    assert a.meets_targets is False


def test_stage_times_are_averages_and_nearest_rank_p90_of_the_month(
        scenario: Scenario) -> None:
    a, _b, total = _report(scenario)
    times = {t.state: t for t in a.stage_times}
    # A3 rectified 03-05 12:00 → 03-08 10:00 (70 h); A4 03-06 12:00 → 03-11 10:00 (118 h)
    # and, after the rejection, 03-11 15:00 → 03-13 10:00 (43 h).
    assert times[State.IN_PROGRESS].count == 3
    assert times[State.IN_PROGRESS].average_hours == pytest.approx((70 + 118 + 43) / 3)
    assert times[State.IN_PROGRESS].p90_hours == pytest.approx(118)
    # Assigned one hour each (A4's second round is still there).
    assert (times[State.ASSIGNED].count, times[State.ASSIGNED].average_hours) == (
        2, pytest.approx(1))
    totals = {t.state: t for t in total.stage_times}
    # B1's department review: 03-03 10:00 → 11:00, plus A3's and A4's two.
    assert totals[State.DEPT_REVIEW].count == 4


def test_a_department_head_sees_only_the_department(scenario: Scenario) -> None:
    rows = _report(scenario, "head_b")
    assert [row.department for row in rows] == [scenario.org.dept_b, None]
    assert _figures(rows[1]) == _figures(rows[0])


def test_a_month_without_cases_reports_nothing_to_count(scenario: Scenario) -> None:
    a, _b, total = department_kpis(month=date(2025, 6, 1), user=scenario.org["manager"],
                                   now=scenario.clock.now)
    assert a.negative_reviews == 0 and a.on_time.rate is None
    assert a.on_time.meets_target is None and a.meets_targets is None
    assert all(t.count == 0 and t.p90_hours is None for t in total.stage_times)


def test_the_report_takes_a_constant_number_of_queries(scenario: Scenario) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    user = scenario.org["executive"]
    department_kpis(month=MARCH, user=user)  # the scope is then known
    with CaptureQueriesContext(connection) as captured:
        department_kpis(month=MARCH, user=user)
    # Transaction control aside (on PostgreSQL the report turns JIT off in a transaction).
    statements = [q["sql"] for q in captured.captured_queries
                  if not q["sql"].startswith(("SAVEPOINT", "RELEASE", "SET ", "BEGIN",
                                              "COMMIT"))]
    assert len(statements) <= 8, statements


@pytest.mark.django_db
@pytest.mark.parametrize("microsecond", [0, 999_999, 500])
def test_the_repeat_window_starts_exactly_a_window_before_the_review(microsecond: int) -> None:
    from django.db.models import F

    from pingjia.accounts.models import Department
    from pingjia.metrics.selectors import _Before

    written = datetime(2025, 3, 1, 0, 0, 0, microsecond, tzinfo=UTC)
    department = Department.objects.create(code="d", name="部门")
    Department.objects.filter(pk=department.pk).update(created_at=written)
    window = timedelta(days=90, seconds=1)
    start = Department.objects.annotate(start=_Before(F("created_at"), window)).get().start
    # Across the end of February, with the fraction of a second kept (no rounding).
    assert start == written - window


@pytest.mark.django_db
def test_the_report_s_queries_are_not_jit_compiled() -> None:
    from django.db import connection

    from pingjia.metrics.selectors import _not_compiled

    before = list(connection.savepoint_ids)
    with _not_compiled(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SHOW jit")
            assert cursor.fetchone()[0] == "off"
        else:  # nothing to turn off, and no transaction to hold SQLite's write lock
            assert connection.savepoint_ids == before
