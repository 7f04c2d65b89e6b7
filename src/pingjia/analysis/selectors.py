"""Reads of recurring issues for the pages: counts per week and per month, stores touched,
the reviews behind an issue. Counts are of the reviews the user may see, so a department role
sees its own departments' share of an organisation-wide issue."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, Literal

from django.db.models import Count, QuerySet

from pingjia.accounts.models import Store
from pingjia.analysis.models import (
    SOURCE_PERSON,
    IssueMember,
    RecurringIssue,
    ReviewAnalysis,
    TextModel,
)
from pingjia.analysis.text.aspects import parse_aspect
from pingjia.analysis.text.heldout import MIN_EXAMPLES
from pingjia.reviews.models import Review

WEEKS = 12  # the sparkline's weeks
MONTHS = 3
LIST_LIMIT = 50
STORES_SHOWN = 3
Order = Literal["volume", "volume_months", "growth"]


def _month_start(day: date, back: int = 0) -> date:
    month = day.year * 12 + day.month - 1 - back
    return date(month // 12, month % 12 + 1, 1)


@dataclass(frozen=True)
class Trend:
    """Counts of one issue: per week (Mondays, oldest first) and per calendar month (a week
    counts in the month its Monday falls in). The latest week and month are still running."""

    weeks: tuple[date, ...]
    weekly: tuple[int, ...]
    months: tuple[date, ...]
    monthly: tuple[int, ...]

    @property
    def last_four_weeks(self) -> int:
        return sum(self.weekly[-4:])

    @property
    def four_complete_weeks(self) -> int:
        """The last four weeks before this one, which is still running."""
        return sum(self.weekly[-5:-1])

    @property
    def four_weeks_before(self) -> int:
        return sum(self.weekly[-9:-5])

    @property
    def last_months(self) -> int:
        return sum(self.monthly)

    @property
    def months_counts(self) -> list[tuple[date, int]]:
        return list(zip(self.months, self.monthly, strict=True))

    @property
    def weeks_counts(self) -> list[tuple[date, int]]:
        return list(zip(self.weeks, self.weekly, strict=True))

    @property
    def growth(self) -> float:
        """Change of the last four complete weeks over the four before, as a fraction: the
        running week is left out, or every issue would seem to fall on a Monday."""
        return (self.four_complete_weeks - self.four_weeks_before) / max(self.four_weeks_before, 1)

    @property
    def growth_percent(self) -> int:
        return round(100 * self.growth)

    def _points(self, width: int = 120, height: int = 28) -> list[str]:
        """The weekly counts as polyline points, scaled to the box (SVG y grows down)."""
        top = max(self.weekly, default=0) or 1
        step = width / max(len(self.weekly) - 1, 1)
        return [f"{i * step:.1f},{height - 2 - (height - 4) * n / top:.1f}"
                for i, n in enumerate(self.weekly)]

    @property
    def sparkline(self) -> str:
        """The complete weeks' line."""
        return " ".join(self._points()[:-1])

    @property
    def sparkline_running(self) -> str:
        """The line from the last complete week to the running one, drawn apart (dashed): its
        count is still growing."""
        return " ".join(self._points()[-2:])


def _trend(counts: dict[date, int], this_week: date, weeks: int, months: int) -> Trend:
    mondays = tuple(this_week - timedelta(weeks=weeks - 1 - i) for i in range(weeks))
    firsts = tuple(_month_start(this_week, back) for back in range(months - 1, -1, -1))
    by_month: Counter[date] = Counter()
    for week, count in counts.items():
        by_month[_month_start(week)] += count
    return Trend(mondays, tuple(counts.get(m, 0) for m in mondays), firsts,
                 tuple(by_month.get(f, 0) for f in firsts))


def _since(this_week: date, weeks: int, months: int) -> date:
    first_month = _month_start(this_week, months - 1)
    # The Monday on or before the first of the month: its week counts in the previous month.
    return min(this_week - timedelta(weeks=weeks - 1), first_month)


@dataclass(frozen=True)
class IssueFilter:
    category: int | None = None
    store: int | None = None
    spikes_only: bool = False
    order: Order = "volume"


@dataclass
class IssueRow:
    issue: RecurringIssue
    trend: Trend
    stores: list[Store] = field(default_factory=list)
    store_count: int = 0
    spiking: bool = False

    @property
    def departments(self) -> list[str]:
        return sorted({s.department.name for s in self.stores if s.department is not None})


def _members(user: Any, this_week: date) -> QuerySet[IssueMember]:
    return IssueMember.objects.visible_to(user).filter(week__lte=this_week)


def issue_list(*, user: Any, filters: IssueFilter, this_week: date,
               limit: int = LIST_LIMIT) -> list[IssueRow]:
    """The recurring issues with complaints in the last three months, by volume or growth:
    four queries whatever the number of issues."""
    since = _since(this_week, WEEKS, MONTHS)
    members = _members(user, this_week).filter(
        week__gte=since, issue__merged_into__isnull=True, issue__dismissed=False,
        issue__member_count__gte=2)
    if filters.category is not None:
        members = members.filter(issue__category_id=filters.category)
    if filters.store is not None:
        members = members.filter(store_id=filters.store)
    if filters.spikes_only:
        members = members.filter(issue__spike_week__gte=this_week - timedelta(days=7))
    counts: dict[int, dict[date, int]] = defaultdict(dict)
    for issue_id, week, count in members.values("issue", "week").annotate(
            n=Count("pk")).values_list("issue", "week", "n"):
        counts[issue_id][week] = count
    trends = {issue_id: _trend(weeks, this_week, WEEKS, MONTHS)
              for issue_id, weeks in counts.items()}
    key = {
        "volume": lambda i: (-trends[i].last_four_weeks, -trends[i].last_months, i),
        "volume_months": lambda i: (-trends[i].last_months, -trends[i].last_four_weeks, i),
        "growth": lambda i: (-trends[i].growth, -trends[i].last_four_weeks, i),
    }[filters.order]
    chosen = sorted(trends, key=key)[:limit]
    issues = RecurringIssue.objects.select_related("category").in_bulk(chosen)
    rows = {i: IssueRow(issues[i], trends[i], spiking=issues[i].is_spiking(this_week))
            for i in chosen if i in issues}
    _add_stores(rows, members.filter(issue__in=chosen))
    return [rows[i] for i in chosen if i in rows]


def _add_stores(rows: dict[int, IssueRow], members: QuerySet[IssueMember]) -> None:
    by_issue: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for issue_id, store_id, count in members.filter(store__isnull=False).values(
            "issue", "store").annotate(n=Count("pk")).values_list("issue", "store", "n"):
        by_issue[issue_id].append((count, store_id))
    shown = {issue_id: [s for _n, s in sorted(pairs, key=lambda p: (-p[0], p[1]))[:STORES_SHOWN]]
             for issue_id, pairs in by_issue.items()}
    stores = Store.objects.select_related("department").in_bulk(
        {s for ids in shown.values() for s in ids})
    for issue_id, row in rows.items():
        row.stores = [stores[s] for s in shown.get(issue_id, []) if s in stores]
        row.store_count = len(by_issue.get(issue_id, []))


@dataclass(frozen=True)
class IssueDetail:
    trend: Trend
    stores: list[tuple[str, str, int]]  # store, department, reviews
    total: int  # reviews of the issue the user may see


DETAIL_WEEKS = 26
DETAIL_MONTHS = 6


def issue_detail(*, user: Any, issue: RecurringIssue, this_week: date) -> IssueDetail:
    members = _members(user, this_week).filter(issue=issue)
    since = _since(this_week, DETAIL_WEEKS, DETAIL_MONTHS)
    counts = dict(members.filter(week__gte=since).values("week").annotate(
        n=Count("pk")).values_list("week", "n"))
    stores = [(store or "—", department or "—", n) for store, department, n in
              members.values("store__name", "store__department__name").annotate(
                  n=Count("pk")).order_by("-n", "store__name").values_list(
                  "store__name", "store__department__name", "n")[:20]]
    return IssueDetail(_trend(counts, this_week, DETAIL_WEEKS, DETAIL_MONTHS), stores,
                       members.count())


def issue_reviews(*, user: Any, issue: RecurringIssue) -> QuerySet[Review]:
    """The reviews behind an issue that the user may see, newest first."""
    return (Review.objects.visible_to(user).filter(issue_memberships__issue=issue)
            .order_by("-reviewed_at", "-pk"))


def merge_targets(*, issue: RecurringIssue, limit: int = 200) -> QuerySet[RecurringIssue]:
    return (RecurringIssue.objects.shown().exclude(pk=issue.pk)
            .only("pk", "key", "name", "name_override", "member_count")
            .order_by("-member_count", "key")[:limit])


def issue_terms(issue: RecurringIssue) -> list[str]:
    """The words of the issue's phrases (价格贵 → 价格, 贵), to mark in its reviews."""
    terms: dict[str, None] = {}
    for phrase, _count in issue.phrases:
        parts = parse_aspect(phrase)
        terms.update(dict.fromkeys(t for t in (parts.target, parts.predicate) if t))
    return list(terms)


@dataclass(frozen=True)
class ModelKind:
    """One kind of model (sentiment, category): every one trained, newest first, and whether
    the organisation uses one of them or the built-in one. `labels` counts what teaches the
    category model, staff corrections, where there are too few yet to train one."""

    kind: str
    label: str
    models: list[TextModel]
    labels: int = 0
    labels_missing: int = 0

    @property
    def active(self) -> TextModel | None:
        return next((m for m in self.models if m.is_active), None)


def text_models() -> list[ModelKind]:
    """The models page: two queries, without the weights."""
    stored = list(TextModel.objects.defer("weights").select_related("trained_by")
                  .order_by("kind", "-trained_at", "-pk"))
    corrected = ReviewAnalysis.objects.filter(category_source=SOURCE_PERSON,
                                              category__isnull=False).count()
    kinds = [ModelKind(kind, str(label), [m for m in stored if m.kind == kind])
             for kind, label in TextModel.Kind.choices if kind != TextModel.Kind.CATEGORY]
    return [*kinds, ModelKind(TextModel.Kind.CATEGORY, str(TextModel.Kind.CATEGORY.label),
                              [m for m in stored if m.kind == TextModel.Kind.CATEGORY],
                              corrected, max(0, MIN_EXAMPLES - corrected))]
