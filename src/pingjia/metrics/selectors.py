"""Department KPIs per calendar month (seed 001 §5(二)); `docs/kpis.md` explains each figure.

Every figure belongs to a case's lead department, except overdue stages, which belong to the
department that held the stage. A month is a calendar month in `settings.TIME_ZONE`, and every
filter is a range condition on an indexed time column: nothing is truncated to a month per row.
Cancelled cases (duplicates, malicious reviews, withdrawn complaints) count in no figure: they
were nobody's to rectify. The whole report takes a constant number of queries, whatever the
number of departments, cases or reviews.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
from django.conf import settings
from django.db import connection, transaction
from django.db.models import (
    Aggregate,
    Count,
    DateTimeField,
    Exists,
    F,
    FloatField,
    Func,
    IntegerField,
    OuterRef,
    Q,
    TextField,
    Value,
)
from django.db.models.functions import Cast, Round
from django.utils import timezone
from django.utils.translation import gettext as _

from pingjia.accounts.access import scope_of
from pingjia.accounts.models import Department, User
from pingjia.cases.models import Case, CaseEvent, CaseRound, CaseSettings, CaseStage
from pingjia.cases.workflow import TERMINAL, Action, State, Verdict
from pingjia.core.errors import ApplicationError
from pingjia.metrics.months import month_bounds, parse_month

# The stages whose time is reported, in the order of the workflow.
STAGES: tuple[State, ...] = tuple(state for state in State if state not in TERMINAL)
_ESCALATIONS = (Action.ESCALATE.value, CaseEvent.Kind.AUTO_ESCALATED.value)


@dataclass(frozen=True)
class Ratio:
    """A rate as its numerator and denominator, with the organisation's target if it has one.
    `at_most`: the target is a ceiling (repeat negative rate) rather than a floor."""

    numerator: int
    denominator: int
    target: float | None = None
    at_most: bool = False

    @property
    def rate(self) -> float | None:
        return self.numerator / self.denominator if self.denominator else None

    @property
    def meets_target(self) -> bool | None:
        """None when there is no target or nothing was counted."""
        rate = self.rate
        if self.target is None or rate is None:
            return None
        return rate <= self.target if self.at_most else rate >= self.target

    def __add__(self, other: Ratio) -> Ratio:
        return Ratio(self.numerator + other.numerator, self.denominator + other.denominator,
                     self.target, self.at_most)


@dataclass(frozen=True)
class StageTime:
    """Time spent in one stage by the stages that ended in the month, in calendar hours
    (waiting for the customer included)."""

    state: State
    count: int
    average_hours: float | None
    p90_hours: float | None


@dataclass(frozen=True)
class DepartmentKpi:
    """One lead department's figures for a month; `department` None is the totals row: the
    sums of the rows' numerators and denominators, and the stage times of all their stages
    plus, for those who see every department, the review management's own stages."""

    department: Department | None
    negative_reviews: int
    on_time: Ratio
    satisfaction: Ratio
    repeat: Ratio
    first_pass: Ratio
    second_round: Ratio
    overdue_stages: Ratio
    rejections: int
    escalations: int
    stage_times: tuple[StageTime, ...]

    @property
    def is_total(self) -> bool:
        return self.department is None

    @property
    def meets_targets(self) -> bool | None:
        """False if any KPI with a target misses it; None when none could be judged."""
        verdicts = [r.meets_target for r in (self.on_time, self.satisfaction, self.repeat)
                    if r.meets_target is not None]
        return all(verdicts) if verdicts else None


class _Epoch(Func):
    """Seconds since 1970 of a datetime column, computed by the database: fetching a float is
    far cheaper than parsing a datetime per row in Python. (On PostgreSQL date_part, not
    EXTRACT: since version 14 EXTRACT computes in numeric, which took half of the stage
    durations' query.)"""

    arity = 1
    output_field = FloatField()
    template = "date_part('epoch', %(expressions)s)"

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        # Django stores UTC datetimes as text that julianday() reads; 2440587.5 is 1970-01-01.
        return self.as_sql(compiler, connection,
                           template="((julianday(%(expressions)s) - 2440587.5) * 86400.0)",
                           **extra)


class _Before(Func):
    """A datetime column moved back by a whole number of seconds, computed by the database.
    On SQLite, Django's datetime arithmetic calls a Python function per row. Here only the
    whole seconds of the text Django stores ('YYYY-MM-DD HH:MM:SS[.ffffff]') go through
    SQLite's datetime(), which would round a fraction; the fraction is kept as written."""

    arity = 1
    output_field = DateTimeField()

    def __init__(self, expression: Any, window: timedelta) -> None:
        super().__init__(expression)
        self.seconds = int(window.total_seconds())

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        sql, params = compiler.compile(self.source_expressions[0])
        return f"({sql} - %s * INTERVAL '1 second')", [*params, self.seconds]

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        sql, params = compiler.compile(self.source_expressions[0])
        return (f"(datetime(substr({sql}, 1, 19), %s) || substr({sql}, 20))",
                [*params, f"-{self.seconds} seconds", *params])


def _in(field: str, start: datetime, end: datetime) -> Q:
    return Q(**{f"{field}__gte": start, f"{field}__lt": end})


def kpi_month(text: str | None) -> date:
    """The month asked for as `YYYY-MM`; the current month (in the organisation's time zone)
    when none is given. ApplicationError for anything else."""
    if not text:
        return timezone.localdate().replace(day=1)
    try:
        return parse_month(text)
    except ValueError:
        raise ApplicationError(_("Not a month: %(text)s. Write it as YYYY-MM, e.g. 2025-03.")
                               % {"text": text}, code="invalid_month") from None


def _visible(user: User | None) -> frozenset[int] | None:
    """The departments whose cases the user sees; None: all (user None: commands and
    scheduled reports)."""
    return None if user is None else scope_of(user).departments_with("cases.view_case")


def kpi_departments(user: User | None) -> list[Department]:
    """The active departments that lead some case, limited to those whose cases the user
    sees."""
    departments = Department.objects.active().filter(
        Exists(Case.objects.filter(lead_department=OuterRef("pk"))))
    visible = _visible(user)
    if visible is not None:
        departments = departments.filter(pk__in=visible)
    return list(departments)


def department_kpis(*, month: date, user: User | None,
                    now: datetime | None = None) -> list[DepartmentKpi]:
    """The KPIs of `month` (its first day) for every department the user may see, then the
    totals row. Definitions (calendar months in settings.TIME_ZONE; a round's department is
    the department that led it, `CaseRound.department`; an event's is its case's lead
    department):

    - negative reviews (差评数量): reviews written in the month (`reviewed_at`) that belong to a
      case led by the department. A review counts as negative when it is at most
      `CaseSettings.negative_max_rating` stars or is in a case at all; one without a case has
      no department yet and appears in no row.
    - on-time rectification rate (整改及时率): rounds whose rectification deadline
      (`CaseRound.rectify_due_at`, the plan's deadline moved by pauses) falls in the month and
      has passed, or that are rectified already; on time when `rectified_at` is at or before
      the deadline. Target: `target_on_time` or more.
    - customer satisfaction (客户满意度): rounds followed up in the month (`followed_up_at`)
      with the verdict satisfied / rounds followed up in the month. Target:
      `target_satisfaction` or more.
    - repeat negative rate (重复差评率): the month's negative reviews of the department whose
      case has a store and a category, and that were written within
      `repeat_window_days` after a round led by the same department, of a case of the same
      store and category, was rectified (this case's earlier round included) / the month's
      negative reviews.
      Target: `target_repeat` or less.
    - first-pass audit approval: rounds rectified in the month with no rejection / rounds
      rectified in the month.
    - second-round share (二次整改): rounds started in the month that are a case's second or
      later round / rounds started in the month.
    - overdue stages: stages held by the department (`CaseStage.department`) whose deadline
      fell in the month and has passed, marked overdue / those stages.
    - rejections: audit rejections (events `reject`) in the month; escalations: events
      `escalate` and `auto_escalated` in the month.
    - stage times: average and 90th percentile (nearest rank) of `left_at - entered_at` per
      state, over the stages that ended in the month, by the department that held them (the
      department's stages: assigned, accepted, rectifying, department review; the review
      management's stages count in the totals of organisation-wide viewers).
    """
    now = now or timezone.now()
    start, end = month_bounds(month, ZoneInfo(settings.TIME_ZONE))
    case_settings = CaseSettings.current()
    departments = kpi_departments(user)
    ids = frozenset(d.pk for d in departments)
    live = ~Q(case__state=State.CANCELLED)
    # Rounds and stage records carry their department, so they skip the join to the case;
    # a subquery of the (few) cancelled cases keeps the same rule.
    not_cancelled = ~Q(case__in=Case.objects.filter(state=State.CANCELLED).values("pk"))

    with _not_compiled():
        reviews = _negative_reviews(ids, start, end, live,
                                    timedelta(days=case_settings.repeat_window_days))
        rounds = _round_counts(ids, start, end, min(end, now), not_cancelled)
        events = _event_counts(ids, start, end, live)
        stages_due = _stage_deadlines(ids, start, min(end, now), not_cancelled)
        # The review management's own stages (no department) join the totals of those who
        # see every department.
        durations = _stage_durations(ids, _visible(user) is None, start, end, not_cancelled)

    def ratio(numerator: int, denominator: int, target: float | None = None,
              at_most: bool = False) -> Ratio:
        return Ratio(numerator, denominator, target, at_most)

    rows = []
    for department in departments:
        pk = department.pk
        counts = rounds.get(pk, {})
        negatives, repeats = reviews.get(pk, (0, 0))
        rows.append(DepartmentKpi(
            department=department,
            negative_reviews=negatives,
            on_time=ratio(counts.get("on_time", 0), counts.get("due", 0),
                          case_settings.target_on_time),
            satisfaction=ratio(counts.get("satisfied", 0), counts.get("followed_up", 0),
                               case_settings.target_satisfaction),
            repeat=ratio(repeats, negatives, case_settings.target_repeat,
                         at_most=True),
            first_pass=ratio(counts.get("first_pass", 0), counts.get("rectified", 0)),
            second_round=ratio(counts.get("later_round", 0), counts.get("started", 0)),
            overdue_stages=ratio(*stages_due.get(pk, (0, 0))),
            rejections=events.get(pk, {}).get("rejections", 0),
            escalations=events.get(pk, {}).get("escalations", 0),
            stage_times=_stage_times(durations.get(pk, {}))))
    rows.append(_totals(rows, durations, case_settings))
    return rows


@contextmanager
def _not_compiled() -> Iterator[None]:
    """The report's queries without PostgreSQL's JIT compilation. Their estimated costs pass
    `jit_above_cost`, so the negative-review query was compiled on every run (24 ms of its
    146 at a million reviews), and past the inlining and optimising thresholds compiling
    takes far longer than running. SET LOCAL needs a transaction; on SQLite none is opened,
    as IMMEDIATE transactions would hold the write lock for the whole report."""
    if connection.vendor != "postgresql":
        yield
        return
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL jit = off")
        yield


def _by_department(rows: Iterable[dict[str, Any]], key: str, ids: frozenset[int]
                   ) -> dict[int, dict[str, Any]]:
    """Grouped rows of the departments in `ids`. The queries group every department and the
    rows are picked here: a department condition in SQL would tempt SQLite's planner (which
    has no statistics unless ANALYZE ran) onto the department index instead of the far more
    selective time range."""
    picked = {}
    for row in rows:
        department = row.pop(key)
        if department in ids:
            picked[department] = row
    return picked


def _negative_reviews(ids: frozenset[int], start: datetime, end: datetime, live: Q,
                      window: timedelta) -> dict[int, tuple[int, int]]:
    """Per department: (negative reviews, repeats among them) of the month, in one query.
    A review in two cases of one department counts once. A review is a repeat when a
    round led by its case's department, of a case of the same store and category, was
    rectified within `window` before the review was written: one seek in the rounds'
    (department, store, category, rectified_at) index per review of the month."""
    earlier = CaseRound.objects.filter(
        # Cancelled through a join (one row per seek): a subquery of the cancelled ids in
        # here made PostgreSQL cost each seek so high that it compiled the query (JIT, 0.7 s).
        live, department=OuterRef("case__lead_department"),
        store=OuterRef("case__store"), category=OuterRef("case__category"),
        rectified_at__lt=OuterRef("review__reviewed_at"),
        rectified_at__gte=_Before(OuterRef("review__reviewed_at"), window))
    # One row per review and case, counted here: grouped in SQL, PostgreSQL's planner walked
    # every case in department order to save itself a sort.
    repeat: dict[int, dict[int, bool]] = defaultdict(dict)
    for review, department, is_repeat in Case.reviews.through.objects.filter(
            live, _in("review__reviewed_at", start, end), case__lead_department__isnull=False,
    ).order_by().values_list("review", "case__lead_department", Exists(earlier)):
        if department in ids:
            repeat[department][review] = repeat[department].get(review, False) or is_repeat
    return {department: (len(by_review), sum(by_review.values()))
            for department, by_review in repeat.items()}


def _round_counts(ids: frozenset[int], start: datetime, end: datetime, passed: datetime,
                  live: Q) -> dict[int, dict[str, int]]:
    """Per department that led the rounds, the round figures of the month; `passed` is the
    month's end or now, whichever is earlier (a deadline still ahead is not yet missed). One
    query: a grouped count per time column, each read from its own covering index."""
    rounds = CaseRound.objects.filter(live, department__in=ids).order_by()
    parts = {  # figure: (its rounds, the name of the subset counted beside it, the subset)
        "due": (rounds.filter(_in("rectify_due_at", start, end),
                              Q(rectify_due_at__lt=passed) | Q(rectified_at__isnull=False)),
                "on_time", Q(rectified_at__lte=F("rectify_due_at"))),
        "rectified": (rounds.filter(_in("rectified_at", start, end)),
                      "first_pass", Q(rejections=0)),
        "followed_up": (rounds.filter(_in("followed_up_at", start, end)),
                        "satisfied", Q(verdict=Verdict.SATISFIED)),
        "started": (rounds.filter(_in("started_at", start, end)),
                    "later_round", Q(number__gte=2)),
    }
    counted = [query.values_list("department").annotate(
        figure=Value(name), count=Count("pk"), subset=Count("pk", filter=subset))
        for name, (query, _subset_name, subset) in parts.items()]
    found: dict[int, dict[str, int]] = defaultdict(dict)
    for department, name, count, subset in counted[0].union(*counted[1:], all=True):
        found[department][name] = count
        found[department][parts[name][1]] = subset
    return found


def _event_counts(ids: frozenset[int], start: datetime, end: datetime, live: Q
                  ) -> dict[int, dict[str, int]]:
    rows = CaseEvent.objects.filter(
        live, _in("at", start, end), kind__in=[Action.REJECT.value, *_ESCALATIONS],
    ).order_by().values("case__lead_department").annotate(
        rejections=Count("pk", filter=Q(kind=Action.REJECT.value)),
        escalations=Count("pk", filter=Q(kind__in=_ESCALATIONS)),
    )
    return _by_department(rows, "case__lead_department", ids)


def _stage_deadlines(ids: frozenset[int], start: datetime, passed: datetime, live: Q
                     ) -> dict[int, tuple[int, int]]:
    """Per department that held the stages: (overdue, due) of the stages whose deadline fell
    in the month before `passed`."""
    rows = CaseStage.objects.filter(live, _in("due_at", start, passed), department__in=ids
                                    ).order_by().values("department").annotate(
        due=Count("pk"), overdue=Count("pk", filter=Q(overdue=True)))
    return {row["department"]: (row["overdue"], row["due"]) for row in rows}


class _JoinedSeconds(Aggregate):
    """A group's durations in whole seconds, as one comma-separated text. A month's stages
    are over a hundred thousand rows at scale; fetched one row each, they cost a microsecond
    apiece in Python, while one text per group is parsed by numpy at C speed (measured: a
    third of the time)."""

    function = "GROUP_CONCAT"
    output_field = TextField()

    def __init__(self, expression: Any) -> None:
        # Rounded: julianday() arithmetic leaves 3599.9997 for an hour.
        super().__init__(Cast(Round(expression), IntegerField()))

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(compiler, connection,
                           template="STRING_AGG(CAST(%(expressions)s AS text), ',')", **extra)


def _stage_durations(ids: frozenset[int], management: bool, start: datetime, end: datetime,
                     live: Q) -> dict[int | None, dict[str, np.ndarray]]:
    """Per department that held the stages (None: the review management, when `management`)
    and state, the seconds of the stages that ended in the month; the averages and
    percentiles are then exact, for the totals row too. The department and state conditions
    let the index hand the rows over already grouped (department, state, left_at)."""
    stages = CaseStage.objects.filter(live, _in("left_at", start, end), state__in=STAGES)
    held = [stages.filter(department__in=ids)]
    if management:
        held.append(stages.filter(department__isnull=True))
    grouped = [query.order_by().values_list("department", "state").annotate(
        seconds=_JoinedSeconds(_Epoch("left_at") - _Epoch("entered_at"))) for query in held]
    durations: dict[int | None, dict[str, np.ndarray]] = defaultdict(dict)
    for department, state, seconds in grouped[0].union(*grouped[1:], all=True):
        durations[department][state] = np.array(seconds.split(","), dtype=np.float64)
    return durations


def _stage_times(by_state: dict[str, np.ndarray]) -> tuple[StageTime, ...]:
    times = []
    for state in STAGES:
        seconds = by_state.get(state)
        if seconds is None or not len(seconds):
            times.append(StageTime(state, 0, None, None))
            continue
        # Nearest rank: the smallest value with at least 90% of the values at or below it.
        rank = math.ceil(0.9 * len(seconds)) - 1
        p90 = float(np.partition(seconds, rank)[rank])
        times.append(StageTime(state, len(seconds), float(seconds.mean()) / 3600, p90 / 3600))
    return tuple(times)


def _totals(rows: Iterable[DepartmentKpi],
            durations: dict[int | None, dict[str, np.ndarray]],
            case_settings: CaseSettings) -> DepartmentKpi:
    rows = list(rows)
    empty = Ratio(0, 0)

    def total(name: str, target: float | None = None, at_most: bool = False) -> Ratio:
        summed = sum((getattr(row, name) for row in rows), empty)
        return Ratio(summed.numerator, summed.denominator, target, at_most)

    merged: dict[str, list[np.ndarray]] = defaultdict(list)
    for by_state in durations.values():
        for state, seconds in by_state.items():
            merged[state].append(seconds)
    return DepartmentKpi(
        department=None,
        negative_reviews=sum(row.negative_reviews for row in rows),
        on_time=total("on_time", case_settings.target_on_time),
        satisfaction=total("satisfaction", case_settings.target_satisfaction),
        repeat=total("repeat", case_settings.target_repeat, at_most=True),
        first_pass=total("first_pass"),
        second_round=total("second_round"),
        overdue_stages=total("overdue_stages"),
        rejections=sum(row.rejections for row in rows),
        escalations=sum(row.escalations for row in rows),
        stage_times=_stage_times({state: np.concatenate(parts)
                                  for state, parts in merged.items()}))
