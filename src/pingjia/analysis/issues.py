"""Recurring issues (问题线索): the stored grouping of complaints, kept current as reviews
arrive, the staff decisions on it, and spikes.

`issues_recompute` groups every complaint from scratch (nightly); `issues_assign_new` places
the complaints analysed since into the stored groups (after each analysis pass). Staff
decisions live on the groups (a name, a merge, a dismissal) and as `IssueMove`s (a split), and
every recompute is given them as `GroupDecisions`, so they stick. The grouping itself is pure
(`analysis.text.grouping`); this module reads and writes it in batches.
"""

from __future__ import annotations

import secrets
import time
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Count, Max, Min, Q, QuerySet
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from pingjia.accounts.access import require_permission, scope_of
from pingjia.accounts.models import AuditAction, User
from pingjia.accounts.services import audit_record
from pingjia.analysis.engine import taxonomy as engine_taxonomy
from pingjia.analysis.models import (
    Category,
    GroupingState,
    IssueMember,
    IssueMove,
    RecurringIssue,
    ReviewAnalysis,
)
from pingjia.analysis.services import analysis_text
from pingjia.analysis.text import grouping
from pingjia.analysis.text.category import named_category
from pingjia.analysis.text.normalise import normalise
from pingjia.analysis.text.taxonomy import CategoryDef, CategoryKind
from pingjia.core.errors import ApplicationError

# A complaint made once is not yet a recurring issue.
MIN_MEMBERS = 2
BATCH = 5000
# The latest week and the ten before it: `detect_spike`'s default window.
SPIKE_WEEKS = 11
VIEW_PERMISSION = "reviews.view_review"
DECIDE_PERMISSION = "analysis.change_recurringissue"
# Negative reviews, and any review with a negative aspect (a hidden complaint under good
# stars). The JSON text holds `"negative"` only as a polarity: phrases are stored escaped.
_COMPLAINTS = Q(is_negative=True) | Q(aspects__icontains='"negative"')


def week_of(moment: datetime) -> date:
    """The Monday of the moment's date in the organisation's time zone."""
    local = timezone.localtime(moment).date()
    return local - timedelta(days=local.weekday())


# --- reading complaints ----------------------------------------------------------------------

@dataclass(frozen=True)
class _Complaints:
    items: list[grouping.GroupItem]
    facts: dict[int, tuple[date, int | None]]  # review id → (week, store id)


def _complaints(analyses: QuerySet[ReviewAnalysis]) -> _Complaints:
    """The complaints among these analyses, as the grouping reads them, in review order."""
    items: list[grouping.GroupItem] = []
    facts: dict[int, tuple[date, int | None]] = {}
    rows = analyses.filter(_COMPLAINTS).order_by("review_id").values_list(
        "review_id", "aspects", "category__code", "category__kind", "review__text",
        "review__append_text", "review__reviewed_at", "review__store_id")
    for (review_id, aspects, category, kind, text, append, reviewed_at,
         store_id) in rows.iterator(chunk_size=BATCH):
        # A negative issue named in a review classed as praise (好吃，就是分量少) counts for
        # its group, but does not make the group's category "not a complaint".
        complaint_category = None if kind == CategoryKind.NOT_A_COMPLAINT else category
        phrases = tuple(str(a.get("text", "")) for a in aspects or ()
                        if a.get("polarity") != "positive" and a.get("text"))
        if not phrases:
            continue
        items.append(grouping.GroupItem(review_id, phrases,
                                        normalise(analysis_text(text, append)),
                                        complaint_category))
        facts[review_id] = (week_of(reviewed_at), store_id)
    return _Complaints(items, facts)


def _decisions(stored: Iterable[RecurringIssue]) -> grouping.GroupDecisions:
    stored = list(stored)
    key_of = {issue.pk: issue.key for issue in stored}
    return grouping.GroupDecisions(
        merged={i.key: key_of[i.merged_into_id] for i in stored
                if i.merged_into_id in key_of},
        renamed={i.key: i.name_override for i in stored if i.name_override},
        dismissed=frozenset(i.key for i in stored if i.dismissed),
        moves=tuple(grouping.Move(review_id, from_key, to_key or None)
                    for review_id, from_key, to_key in IssueMove.objects.order_by("pk")
                    .values_list("review_id", "from_key", "to_key")))


# --- recompute -------------------------------------------------------------------------------

@dataclass(frozen=True)
class RecomputeOutcome:
    complaints: int
    issues: int
    members: int
    seconds: dict[str, float]  # read, group, write


def issues_recompute(*, min_members: int = MIN_MEMBERS) -> RecomputeOutcome:
    """Group every complaint from scratch and store the groups and their members.

    Stored keys of recurring groups and every key a decision names are passed as known keys,
    so groups keep their key (and their page, and their decisions) from one recompute to the
    next. The members are replaced in one transaction; a decision taken while the grouping
    runs shows in full after the next recompute (its own service already moved the members)."""
    started = time.perf_counter()
    # Reviews arriving while this runs are above the mark: the incremental pass takes them.
    mark = ReviewAnalysis.objects.aggregate(last=Max("review_id"))["last"] or 0
    complaints = _complaints(ReviewAnalysis.objects.filter(review_id__lte=mark))
    stored = list(RecurringIssue.objects.all())
    decisions = _decisions(stored)
    known = {i.key for i in stored if i.member_count >= min_members or i.has_decision()}
    read = time.perf_counter()
    result = grouping.recompute(complaints.items, decisions, known_keys=known,
                                min_size=min_members)
    grouped = time.perf_counter()
    with transaction.atomic():
        issue_ids = _store_issues(result, stored, decisions)
        # Members above the mark were placed by an incremental pass while this ran.
        IssueMember.objects.filter(review_id__lte=mark).delete()
        members = _add_members(
            ((issue_ids[issue.key], review_id) for issue in result.issues
             for review_id in issue.member_ids), complaints.facts)
        state = GroupingState.current()
        state.idf, state.rare_idf = dict(result.idf), result.rare_idf
        state.last_review_id = max(state.last_review_id, mark)
        state.recomputed_at = timezone.now()
        state.complaints = len(complaints.items)
        state.recompute_seconds = time.perf_counter() - started
        state.save()
    written = time.perf_counter()
    return RecomputeOutcome(len(complaints.items), len(result.issues), members, {
        "read": read - started, "group": grouped - read, "write": written - grouped})


def _category(issue: grouping.RecurringIssue, taxonomy: Sequence[CategoryDef]) -> str:
    """What a group is about by its own phrases where they name a category (价格贵 is 其他,
    服务差 服务态度, even when most of its reviews are classed by their other complaints);
    else the most common category of its members."""
    return named_category(issue.phrases, taxonomy) or issue.category or ""


_AUTOMATIC = ["name", "category", "signatures", "leader_target", "profile", "phrases",
              "member_count", "updated_at"]


def _store_issues(result: grouping.Grouping, stored: list[RecurringIssue],
                  decisions: grouping.GroupDecisions) -> dict[str, int]:
    """Write the groups' automatic fields; staff fields are left as staff set them. Returns
    the id of each group's row."""
    by_key = {issue.key: issue for issue in stored}
    categories = dict(Category.objects.values_list("code", "pk"))
    taxonomy = engine_taxonomy()
    moved_keys = {m.from_key for m in decisions.moves} | {
        m.to_key for m in decisions.moves if m.to_key}
    now = timezone.now()
    created, changed = [], []
    for issue in result.issues:
        row = by_key.pop(issue.key, None)
        if row is None:
            row = RecurringIssue(key=issue.key, created_at=now)
            created.append(row)
        else:
            changed.append(row)
        # A group staff split off has no phrases of its own: it keeps the name it was given.
        row.name = (issue.phrases[0][0] if issue.phrases else row.name or issue.name)[:60]
        row.category_id = categories.get(_category(issue, taxonomy), row.category_id)
        row.signatures = list(issue.signatures)
        row.leader_target = issue.leader_target[:60]
        row.profile = [[term, round(weight, 6)] for term, weight in issue.profile]
        row.phrases = [[phrase, count] for phrase, count in issue.phrases]
        row.member_count = len(issue.member_ids)
        row.updated_at = now
    # Groups that are gone: kept empty where a decision names them, so that the decision
    # still finds its group if the complaints come back; forgotten otherwise.
    gone = list(by_key.values())
    kept = [row for row in gone if row.has_decision() or row.key in moved_keys]
    for row in kept:
        row.member_count, row.updated_at = 0, now
    RecurringIssue.objects.filter(pk__in=[r.pk for r in gone if r not in kept]).delete()
    # One upsert on the unique key writes new and existing groups alike: far faster than
    # bulk_update's CASE expressions with tens of thousands of groups.
    RecurringIssue.objects.bulk_create(changed + kept + created, batch_size=500,
                                       update_conflicts=True, unique_fields=["key"],
                                       update_fields=_AUTOMATIC)
    return dict(RecurringIssue.objects.values_list("key", "pk"))


def _add_members(pairs: Iterable[tuple[int, grouping.ItemId]],
                 facts: dict[int, tuple[date, int | None]]) -> int:
    """Insert (issue id, review id) members in batches; returns how many."""
    batch: list[IssueMember] = []
    count = 0
    for issue_id, review_id in pairs:
        week, store_id = facts[int(review_id)]
        batch.append(IssueMember(issue_id=issue_id, review_id=review_id, week=week,
                                 store_id=store_id))
        if len(batch) >= BATCH:
            IssueMember.objects.bulk_create(batch, ignore_conflicts=True)
            count += len(batch)
            batch = []
    IssueMember.objects.bulk_create(batch, ignore_conflicts=True)
    return count + len(batch)


# --- incremental -----------------------------------------------------------------------------

@dataclass(frozen=True)
class AssignOutcome:
    complaints: int
    added: int  # memberships in existing groups
    new_issues: int


def _stored_grouping(stored: list[RecurringIssue], state: GroupingState) -> grouping.Grouping:
    return grouping.Grouping(
        tuple(grouping.RecurringIssue(
            key=row.key, name=row.display_name, member_ids=(),
            signatures=tuple(row.signatures), category=None,
            phrases=tuple((str(p), int(n)) for p, n in row.phrases),
            leader_target=row.leader_target,
            profile=tuple((str(t), float(w)) for t, w in row.profile),
            dismissed=row.dismissed) for row in stored),
        state.idf, state.rare_idf)


def issues_assign_new(*, review_ids: Sequence[int] | None = None) -> AssignOutcome:
    """Place complaints into the stored groups by the recompute's own rule, or make new groups
    of them. `review_ids` None: the reviews analysed since the last pass. Before the first
    recompute there is nothing to place into: the first pass is a recompute."""
    state = GroupingState.current()
    if state.recomputed_at is None:
        outcome = issues_recompute()
        return AssignOutcome(outcome.complaints, 0, outcome.issues)
    analyses = ReviewAnalysis.objects.all()
    mark = state.last_review_id
    if review_ids is None:
        mark = analyses.aggregate(last=Max("review_id"))["last"] or mark
        analyses = analyses.filter(review_id__gt=state.last_review_id, review_id__lte=mark)
    else:
        analyses = analyses.filter(review_id__in=list(review_ids))
    complaints = _complaints(analyses)
    if not complaints.items:
        _advance(mark)
        return AssignOutcome(0, 0, 0)
    stored = list(RecurringIssue.objects.all())
    assignment = grouping.assign(complaints.items, _stored_grouping(stored, state),
                                 _decisions(stored))
    categories = dict(Category.objects.values_list("code", "pk"))
    taxonomy = engine_taxonomy()
    with transaction.atomic():
        by_key = {row.key: row.pk for row in stored}
        now = timezone.now()
        created = [RecurringIssue(
            key=issue.key, name=issue.name[:60],
            category_id=categories.get(_category(issue, taxonomy)),
            signatures=list(issue.signatures), leader_target=issue.leader_target[:60],
            phrases=[[p, n] for p, n in issue.phrases], created_at=now, updated_at=now)
            for issue in assignment.new_issues if issue.key not in by_key]
        RecurringIssue.objects.bulk_create(created)
        by_key.update({row.key: row.pk for row in created})
        pairs = [(by_key[key], review_id) for key, ids in assignment.added.items()
                 for review_id in ids if key in by_key]
        pairs += [(by_key[issue.key], review_id) for issue in assignment.new_issues
                  for review_id in issue.member_ids]
        _add_members(pairs, complaints.facts)
        _recount({issue_id for issue_id, _review in pairs})
        _advance(mark)
    return AssignOutcome(len(complaints.items),
                         sum(len(ids) for ids in assignment.added.values()),
                         len(assignment.new_issues))


def _advance(mark: int) -> None:
    GroupingState.objects.filter(pk=GroupingState.current().pk,
                                 last_review_id__lt=mark).update(last_review_id=mark)


def _recount(issue_ids: Iterable[int]) -> None:
    issue_ids = set(issue_ids)
    counts = dict(IssueMember.objects.filter(issue__in=issue_ids).values("issue")
                  .annotate(n=Count("pk")).values_list("issue", "n"))
    rows = list(RecurringIssue.objects.filter(pk__in=issue_ids).only("pk"))
    now = timezone.now()
    for row in rows:
        row.member_count, row.updated_at = counts.get(row.pk, 0), now
    RecurringIssue.objects.bulk_update(rows, ["member_count", "updated_at"], batch_size=500)


# --- who sees and decides --------------------------------------------------------------------

def issue_visible(user: Any, issue: RecurringIssue) -> bool:
    """Organisation-wide viewers of reviews see every issue; department roles the issues with
    a review in their departments."""
    departments = scope_of(user).departments_with(VIEW_PERMISSION)
    if departments is None:
        return True
    return bool(departments) and IssueMember.objects.filter(
        issue=issue, store__department__in=departments).exists()


def access_issue(user: Any, issue_id: int, *, decide: bool = False,
                 lock: bool = False) -> RecurringIssue:
    """The issue, or 404 when the user may not see it; with `decide`, 403 unless the user may
    decide on issues for the whole organisation (a group spans every department)."""
    issues = RecurringIssue.objects.select_related("category", "merged_into")
    if lock:
        issues = issues.select_for_update(of=("self",))
    issue = issues.filter(pk=issue_id).first()
    if issue is None or not issue_visible(user, issue):
        raise Http404(_("Not found."))
    if decide:
        require_permission(user, DECIDE_PERMISSION)
        if scope_of(user).departments_with(DECIDE_PERMISSION) is not None:
            raise PermissionDenied(_("Recurring issues span every department: only an "
                                     "organisation-wide role may change them."))
    return issue


def surviving_issue(issue: RecurringIssue) -> RecurringIssue:
    """The issue a merged one lives in now (merges may chain)."""
    seen = {issue.pk}
    while issue.merged_into_id is not None and issue.merged_into_id not in seen:
        seen.add(issue.merged_into_id)
        issue = RecurringIssue.objects.get(pk=issue.merged_into_id)
    return issue


# --- staff decisions -------------------------------------------------------------------------

@transaction.atomic
def issue_rename(*, actor: User, issue_id: int, name: str) -> RecurringIssue:
    """Give the issue a name; an empty name goes back to the automatic one."""
    issue = access_issue(actor, issue_id, decide=True, lock=True)
    before = issue.display_name
    issue.name_override = name.strip()[:60]
    issue.save(update_fields=["name_override"])
    audit_record(actor=actor, action=AuditAction.ISSUE_RENAMED, target=issue,
                 changes={"name": [before, issue.display_name]})
    return issue


@transaction.atomic
def issue_dismiss(*, actor: User, issue_id: int, dismissed: bool = True) -> RecurringIssue:
    """Hide the issue from the lists (not a real issue, or dealt with); it stays grouped, so
    that its complaints do not come back as a new issue."""
    issue = access_issue(actor, issue_id, decide=True, lock=True)
    if issue.dismissed != dismissed:
        issue.dismissed = dismissed
        issue.save(update_fields=["dismissed"])
        audit_record(actor=actor, action=AuditAction.ISSUE_DISMISSED, target=issue,
                     changes={"dismissed": [not dismissed, dismissed]})
    return issue


@transaction.atomic
def issue_merge(*, actor: User, issue_id: int, into_id: int) -> RecurringIssue:
    """Merge the issue into another: its reviews move there now, and every recompute puts its
    complaints there. Returns the issue merged into."""
    issue = access_issue(actor, issue_id, decide=True, lock=True)
    into = surviving_issue(access_issue(actor, into_id, decide=True, lock=True))
    if into.pk == issue.pk or issue.merged_into_id is not None:
        raise ApplicationError(_("An issue cannot be merged into itself, nor merged twice."),
                               code="invalid")
    issue.merged_into = into
    issue.save(update_fields=["merged_into"])
    IssueMember.objects.filter(issue=issue, review__in=IssueMember.objects.filter(
        issue=into).values("review")).delete()
    IssueMember.objects.filter(issue=issue).update(issue=into)
    _recount([issue.pk, into.pk])
    audit_record(actor=actor, action=AuditAction.ISSUE_MERGED, target=issue,
                 changes={"merged_into": [None, f"{into.display_name} ({into.key})"]})
    return into


@transaction.atomic
def issue_split(*, actor: User, issue_id: int, review_ids: Sequence[int],
                name: str) -> RecurringIssue:
    """Move the chosen reviews of an issue into a new issue of the given name; each move is
    kept, so every recompute does it again. Returns the new issue."""
    issue = access_issue(actor, issue_id, decide=True, lock=True)
    name = name.strip()[:60]
    if not name:
        raise ApplicationError(_("Give the new issue a name."), code="invalid")
    moving = sorted(set(IssueMember.objects.filter(issue=issue, review_id__in=list(review_ids))
                        .values_list("review_id", flat=True)))
    if not moving:
        raise ApplicationError(_("Choose reviews of this issue to split off."), code="invalid")
    now = timezone.now()
    # Not a signature ("target|defect"): a made-up key only the moves lead to.
    new = RecurringIssue.objects.create(
        key=f"split:{secrets.token_hex(6)}", name=name, name_override=name,
        category=issue.category, created_at=now, updated_at=now)
    IssueMove.objects.bulk_create(IssueMove(review_id=review_id, from_key=issue.key,
                                            to_key=new.key, moved_by=actor, moved_at=now)
                                  for review_id in moving)
    IssueMember.objects.filter(issue=issue, review_id__in=moving).update(issue=new)
    _recount([issue.pk, new.pk])
    audit_record(actor=actor, action=AuditAction.ISSUE_SPLIT, target=issue,
                 changes={"split_off": [None, {"issue": f"{name} ({new.key})",
                                               "reviews": moving}]})
    return new


# --- spikes ----------------------------------------------------------------------------------

def issues_check_spikes(*, now: datetime | None = None) -> list[int]:
    """Flag each live issue whose current week is far above its usual level, and tell the
    review managers once per issue and spike week. Returns the issues newly flagged.

    The history starts no earlier than the first week with any complaint grouped, so that an
    organisation's first weeks are not compared with weeks it has no data for."""
    from pingjia.notifications.services import issue_spike_notify  # notifications build on us

    now = now or timezone.now()
    this_week = week_of(now)
    first = IssueMember.objects.aggregate(first=Min("week"))["first"]
    if first is None:
        return []
    start = max(this_week - timedelta(weeks=SPIKE_WEEKS - 1), first)
    weeks = (this_week - start).days // 7 + 1
    series: dict[int, dict[date, int]] = defaultdict(dict)
    for issue_id, week, count in IssueMember.objects.filter(
            week__gte=start, week__lte=this_week, issue__merged_into__isnull=True,
            issue__dismissed=False).values("issue", "week").annotate(
            n=Count("pk")).values_list("issue", "week", "n"):
        series[issue_id][week] = count
    flagged = []
    for issue_id, counts in sorted(series.items()):
        check = grouping.detect_spike(
            [counts.get(start + timedelta(weeks=i), 0) for i in range(weeks)])
        if not check.is_spike:
            continue
        with transaction.atomic():
            issue = RecurringIssue.objects.select_for_update(of=("self",)).filter(
                pk=issue_id).first()
            if issue is None or issue.spike_week == this_week:
                continue
            issue.spike_week, issue.spike_notified_at = this_week, now
            issue.save(update_fields=["spike_week", "spike_notified_at"])
            issue_spike_notify(issue_name=issue.display_name,
                               url=reverse("issue_detail", args=[issue.pk]),
                               week_count=check.latest, baseline=check.baseline)
        flagged.append(issue_id)
    return flagged
