"""Every change to a case: opening it, and each action of the workflow (`case_act`).

Each action runs in one transaction that locks the case row, checks who may act, the state and
the version the caller saw, validates the fields (`forms.ACTION_FORMS`), changes the case and
its round, moves the stage clock and appends one timeline event. A refusal raises before
anything is written: PermissionDenied (403) or Http404 for who, ConflictError (409) for the
state or a stale version, ApplicationError (400) with the fields' errors.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from pingjia.accounts.access import get_visible_or_404, require_permission, scope_of
from pingjia.accounts.models import Department, Store, User
from pingjia.analysis.models import Category
from pingjia.cases import sla
from pingjia.cases.forms import ACTION_FORMS
from pingjia.cases.models import (
    Case,
    CaseEvent,
    CasePause,
    CaseRound,
    CaseSettings,
    CaseStage,
    Finding,
    RoutingRule,
)
from pingjia.cases.workflow import (
    DEPARTMENT_STAGES,
    OPEN,
    TERMINAL,
    TRANSITIONS,
    Action,
    Actor,
    Priority,
    StageStatus,
    State,
    Transition,
    Verdict,
)
from pingjia.core.errors import ApplicationError, ConflictError
from pingjia.reviews.models import Customer, Review

# --- who may act -----------------------------------------------------------------------------


def access_case(user: User, case_id: int, *, lock: bool = False) -> Case:
    """The case if the user may see it, else 404. `lock` takes the row lock (PostgreSQL; on
    SQLite the write that follows serialises instead)."""
    cases = Case.objects.select_related("lead_department", "handler", "category", "store",
                                        "customer")
    if lock:
        cases = cases.select_for_update(of=("self",))
    case: Case = get_visible_or_404(cases, user, pk=case_id)
    return case


def refusal(user: User, case: Case, action: Action) -> str | None:
    """Why `user` may not take `action` on `case` now; None when they may."""
    transition = TRANSITIONS[action]
    if not _holds(user, case, transition):
        return _("Your roles do not allow this on this case.")
    if case.state not in transition.sources:
        return _("A case that is %(state)s cannot do this: %(action)s.") % {
            "state": case.get_state_display(), "action": action.label}
    return _state_rule(case, action)


def available_actions(user: User, case: Case) -> list[Action]:
    return [action for action in Action if refusal(user, case, action) is None]


def _holds(user: User, case: Case, transition: Transition) -> bool:
    scope = scope_of(user)
    if transition.actor is Actor.ORGANISATION:
        return scope.allows(transition.permission, ()) or scope.departments_with(
            transition.permission) is None
    if transition.actor is Actor.INVOLVED:
        return scope.allows(transition.permission, case.scope_department_ids())
    lead = [case.lead_department_id] if case.lead_department_id else []
    if not scope.allows(transition.permission, lead):
        return False
    return transition.actor is not Actor.HANDLER or case.handler_id == user.pk


def _state_rule(case: Case, action: Action) -> str | None:
    """The rules beyond the transition table: pauses, escalation levels, open findings."""
    if action is Action.WAIT_CUSTOMER and case.is_paused:
        return _("The case is already waiting for the customer.")
    if action is Action.RESUME and not case.is_paused:
        return _("The case is not waiting for the customer.")
    if action is Action.ESCALATE and case.escalation_level >= 2:
        return _("The case is already escalated to the review manager.")
    if action is Action.ANSWER_FINDING and not case.findings.filter(
            answered_at__isnull=True).exists():
        return _("The case has no open finding.")
    return None


# --- opening cases ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Opened:
    case: Case
    attached: bool  # the reviews joined an open case of the same customer and problem


def case_open(*, actor: User | None, review_ids: Sequence[int] = (),
              customer: Customer | None = None, store: Store | None = None,
              category: Category | None = None, priority: str = Priority.NORMAL,
              title: str = "", note: str = "", source: str = Case.Source.REVIEW) -> Opened:
    """Open a case for reviews (or a complaint that customer service registered as a
    review). A customer's reviews about the same problem — same category, or same store where
    the category is unknown — join that customer's open case instead of opening another."""
    if actor is not None:
        require_permission(actor, "cases.add_case")
    reviews = _reviews_for(actor, review_ids)
    customers = {r.customer_id for r in reviews if r.customer_id}
    if len(customers) > 1:
        raise ApplicationError(_("A case is about one customer; these reviews are from "
                                 "%(count)d customers.") % {"count": len(customers)},
                               code="several_customers")
    customer = customer or next((r.customer for r in reviews if r.customer_id), None)
    store = store or next((r.store for r in reviews if r.store_id), None)
    with transaction.atomic():
        existing = _open_case_of(customer, category, store)
        if existing is not None:
            _attach(existing, reviews, actor)
            return Opened(existing, attached=True)
        case = _create(actor=actor, reviews=reviews, customer=customer, store=store,
                       category=category, priority=priority, title=title, note=note,
                       source=source)
    return Opened(case, attached=False)


def _reviews_for(actor: User | None, review_ids: Sequence[int]) -> list[Review]:
    if not review_ids:
        return []
    reviews = Review.objects.select_related("store", "customer").filter(pk__in=review_ids)
    if actor is not None:
        reviews = reviews.visible_to(actor)
    found = list(reviews)
    missing = set(review_ids) - {r.pk for r in found}
    if missing:
        raise ApplicationError(_("No such review: %(ids)s.") % {
            "ids": ", ".join(map(str, sorted(missing)))}, code="not_found")
    in_case = Case.objects.open().filter(reviews__in=found).values_list("reviews", flat=True)
    taken = sorted(set(in_case) & {r.pk for r in found})
    if taken:
        raise ConflictError(_("Review %(ids)s is already in an open case.") % {
            "ids": ", ".join(map(str, taken))}, code="review_in_case")
    return found


def _open_case_of(customer: Customer | None, category: Category | None,
                  store: Store | None) -> Case | None:
    if customer is None:
        return None
    cases = Case.objects.open().filter(customer=customer)
    if category is not None:
        cases = cases.filter(Q(category=category) | Q(category__isnull=True))
    if store is not None:
        cases = cases.filter(store=store)
    return cases.order_by("opened_at").select_for_update().first()


def _create(*, actor: User | None, reviews: list[Review], customer: Customer | None,
            store: Store | None, category: Category | None, priority: str, title: str,
            note: str, source: str) -> Case:
    now = timezone.now()
    text = next((r.text for r in reviews if r.text), "")
    case = Case(title=(title or _summary(text) or _("Complaint"))[:120], source=source,
                category=category, priority=priority, store=store, customer=customer,
                opened_at=now, opened_by=actor, stage_entered_at=now)
    case.proposed_department = propose_department(category=category, store=store)[0]
    case.save()
    case.reviews.add(*reviews)
    CaseRound.objects.create(case=case, number=1, started_at=now, store=store,
                             category=category)
    clock = sla.Clocks.load()
    _enter_stage(case, State.REGISTERED, now, clock)
    case.save(update_fields=["stage_entered_at", "stage_due_at", "stage_risk_at",
                             "stage_status"])
    _event(case, actor, CaseEvent.Kind.OPENED, now, after=State.REGISTERED, note=note,
           changes={"reviews": [None, [r.pk for r in reviews]]})
    return case


def _summary(text: str, limit: int = 40) -> str:
    """A case's title from its review: the text up to `limit` characters, cut at a sentence
    end where there is one."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = max(text.rfind(mark, 0, limit) for mark in "。！？!?；;")
    return text[:cut + 1] if cut >= 5 else text[:limit] + "…"


def _attach(case: Case, reviews: list[Review], actor: User | None) -> None:
    new = [r for r in reviews if not case.reviews.filter(pk=r.pk).exists()]
    if not new:
        return
    case.reviews.add(*new)
    _event(case, actor, CaseEvent.Kind.REVIEW_ATTACHED, timezone.now(),
           changes={"reviews": [None, [r.pk for r in new]]})


def propose_department(*, category: Category | None, store: Store | None
                       ) -> tuple[Department | None, list[Department]]:
    """The routing rules' lead and co-departments for a case, else the store's department."""
    rules = RoutingRule.objects.prefetch_related("co_departments").select_related(
        "lead_department").filter(
        Q(category=category) | Q(category__isnull=True),
        Q(store=store) | Q(store__isnull=True), lead_department__is_active=True)
    for rule in rules:
        return rule.lead_department, list(rule.co_departments.all())
    return (store.department if store is not None else None), []


def cases_open_automatically(*, batch: int = 1000) -> int:
    """Open (or join) a case for every new negative review, by the organisation's rule
    (CaseSettings): at most `negative_max_rating` stars, reviewed in the last
    `auto_open_within_days` days (an imported history opens no cases). Reviews are taken in
    id order after the last one considered, so each is considered once, whichever way it
    arrived. The settings row is written first, so two runs take turns."""
    opened = 0
    while True:
        with transaction.atomic():
            settings = CaseSettings.current()
            CaseSettings.objects.filter(pk=settings.pk).update(auto_open=F("auto_open"))
            settings.refresh_from_db()
            new = list(Review.objects.filter(pk__gt=settings.auto_open_checked_id)
                       .order_by("pk").values_list("pk", flat=True)[:batch])
            if not new:
                return opened
            if settings.auto_open:
                opened += _open_for_negative(new, settings)
            CaseSettings.objects.filter(pk=settings.pk).update(auto_open_checked_id=new[-1])


def _open_for_negative(review_ids: list[int], settings: CaseSettings) -> int:
    """Negative: as the analysis decided (the stars where there are stars, else the text);
    by the stars alone for a review not analysed yet. The case takes the analysis's category
    when it is a complaint category."""
    since = timezone.now() - timedelta(days=settings.auto_open_within_days)
    negative = Review.objects.filter(pk__in=review_ids, reviewed_at__gte=since,
                                     cases__isnull=True).filter(
        Q(analysis__is_negative=True)
        | Q(analysis__isnull=True, rating__lte=settings.negative_max_rating),
    ).select_related("store", "customer", "analysis__category").order_by("pk")
    count = 0
    for review in negative:
        analysis = getattr(review, "analysis", None)
        category = analysis.category if analysis is not None else None
        if category is not None and not category.is_complaint:
            category = None
        existing = _open_case_of(review.customer, category, review.store)
        if existing is not None:
            _attach(existing, [review], None)
        else:
            _create(actor=None, reviews=[review], customer=review.customer, store=review.store,
                    category=category, priority=Priority.NORMAL, title="", note="",
                    source=Case.Source.AUTOMATIC)
        count += 1
    return count


def complaint_register(*, actor: User, open_case: bool, **fields: Any) -> tuple[Review,
                                                                                Case | None]:
    """A complaint received by phone, e-mail, letter or on site, registered by customer
    service (reviews.services.review_register) and, when asked, its case opened at once —
    both or neither."""
    from pingjia.reviews.services import review_register

    with transaction.atomic():
        review = review_register(actor=actor, **fields)
        if not open_case:
            return review, None
        opened = case_open(actor=actor, review_ids=[review.pk],
                           source=Case.Source.COMPLAINT)
    return review, opened.case


# --- the workflow ----------------------------------------------------------------------------


def case_act(*, case_id: int, actor: User, action: str, data: Mapping[str, Any],
             version: int | None = None) -> Case:
    """Take `action` on the case with the fields in `data` (see forms.ACTION_FORMS)."""
    try:
        act = Action(action)
    except ValueError:
        raise ApplicationError(_("Unknown action: %(action)s.") % {"action": action},
                               code="unknown_action") from None
    with transaction.atomic():
        case = access_case(actor, case_id, lock=True)
        reason = refusal(actor, case, act)
        if reason is not None:
            if not _holds(actor, case, TRANSITIONS[act]):
                raise PermissionDenied(reason)
            raise ConflictError(reason, code="not_allowed_now")
        case.require_version(version)
        form = ACTION_FORMS[act](data, case=case)
        if not form.is_valid():
            raise ApplicationError(_("Please correct the fields."), code="invalid",
                                   details=form.errors.get_json_data())
        now = timezone.now()
        before = case.state
        _HANDLERS[act](case, actor, form.cleaned_data, now)
        case.version += 1
        case.save()
        _event(case, actor, act, now, before=before, after=case.state,
               note=_event_note(act, form.cleaned_data),
               changes=_changes(act, form.cleaned_data))
    return case


def _current_round(case: Case) -> CaseRound:
    return case.rounds.get(number=case.round)


def _lead(case: Case, department: Department) -> None:
    """Make `department` the case's lead department, and the current round's."""
    case.lead_department = department
    CaseRound.objects.filter(case=case, number=case.round).update(department=department)


def _assign(case: Case, actor: User, data: dict[str, Any], now: datetime) -> None:
    _lead(case, data["lead_department"])
    case.co_departments.set(data["co_departments"])
    if data.get("category") is not None:
        case.category = data["category"]
        case.rounds.update(category=case.category)
    if data.get("priority"):
        case.priority = data["priority"]
    _move(case, State.ASSIGNED, now)


def _reassign(case: Case, actor: User, data: dict[str, Any], now: datetime) -> None:
    _lead(case, data["lead_department"])
    case.co_departments.set(data["co_departments"])
    case.handler = None
    case.escalation_level = 0
    _move(case, State.ASSIGNED, now)


def _accept(case: Case, actor: User, data: dict[str, Any], now: datetime) -> None:
    case.handler = data["handler"]
    _move(case, State.ACCEPTED, now)


def _plan(case: Case, actor: User, data: dict[str, Any], now: datetime) -> None:
    round_ = _current_round(case)
    round_.plan_measures = data["measures"]
    round_.plan_deadline = round_.rectify_due_at = data["deadline"]
    round_.plan_goal = data["goal"]
    round_.planned_at = now
    round_.save()
    _move(case, State.IN_PROGRESS, now)


def _report(case: Case, actor: User, data: dict[str, Any], now: datetime) -> None:
    round_ = _current_round(case)
    round_.report_text = data["text"]
    round_.report_evidence = data["evidence"]
    round_.reported_at = now
    round_.save()
    _move(case, State.DEPT_REVIEW, now)


def _dept_approve(case: Case, actor: User, data: dict[str, Any], now: datetime) -> None:
    round_ = _current_round(case)
    round_.feedback_done = data["done"]
    round_.feedback_root_cause = data["root_cause"]
    round_.feedback_result = data["result"]
    round_.feedback_prevention = data["prevention"]
    round_.dept_approved_at = now
    round_.save()
    _move(case, State.AUDIT, now)


def _back_to_handler(case: Case, actor: User, data: dict[str, Any], now: datetime) -> None:
    _move(case, State.IN_PROGRESS, now)


def _reject(case: Case, actor: User, data: dict[str, Any], now: datetime) -> None:
    CaseRound.objects.filter(case=case, number=case.round).update(
        rejections=F("rejections") + 1)
    _move(case, State.IN_PROGRESS, now)


def _approve(case: Case, actor: User, data: dict[str, Any], now: datetime) -> None:
    round_ = _current_round(case)
    round_.rectified_at = now
    round_.rectified_on_time = round_.rectify_due_at is None or now <= round_.rectify_due_at
    round_.save()
    _move(case, State.RECTIFIED, now)


def _inform(case: Case, actor: User, data: dict[str, Any], now: datetime) -> None:
    round_ = _current_round(case)
    round_.informed_at = now
    round_.inform_channel = data["channel"]
    round_.inform_text = data["text"]
    round_.save()
    _move(case, State.FOLLOW_UP, now)


def _follow_up(case: Case, actor: User, data: dict[str, Any], now: datetime) -> None:
    round_ = _current_round(case)
    round_.followed_up_at = now
    round_.verdict = data["verdict"]
    round_.save()
    if data["verdict"] == Verdict.SATISFIED:
        case.closed_at = now
        _move(case, State.CLOSED, now)
        return
    # 二次整改: a new round with the same lead department; the earlier round stays intact.
    case.round += 1
    case.escalation_level = 0
    CaseRound.objects.create(case=case, number=case.round, started_at=now,
                             department=case.lead_department, store=case.store,
                             category=case.category)
    _move(case, State.ASSIGNED, now)


def _wait_customer(case: Case, actor: User, data: dict[str, Any], now: datetime) -> None:
    CasePause.objects.create(case=case, started_at=now, reason=data["reason"])
    case.paused_since = now
    case.stage_status = StageStatus.PAUSED
    case.stage_due_at = case.stage_risk_at = None


def _resume(case: Case, actor: User, data: dict[str, Any], now: datetime) -> None:
    assert case.paused_since is not None
    paused_for = now - case.paused_since
    CasePause.objects.filter(case=case, ended_at__isnull=True).update(ended_at=now)
    # The plan's deadline moves by the time the customer kept the case waiting.
    CaseRound.objects.filter(case=case, number=case.round,
                             rectify_due_at__isnull=False).update(
        rectify_due_at=F("rectify_due_at") + paused_for)
    case.paused_since = None
    _time_stage(case, sla.Clocks.load(), now)
    CaseStage.objects.filter(case=case, left_at__isnull=True).update(due_at=case.stage_due_at)


def _escalate(case: Case, actor: User, data: dict[str, Any], now: datetime) -> None:
    case.escalation_level += 1


def _cancel(case: Case, actor: User, data: dict[str, Any], now: datetime) -> None:
    case.cancel_reason = data["reason_code"]
    case.closed_at = now
    _move(case, State.CANCELLED, now)


def _nothing(case: Case, actor: User, data: dict[str, Any], now: datetime) -> None:
    """Notes and customer contacts live in the timeline event alone."""


def _finding(case: Case, actor: User, data: dict[str, Any], now: datetime) -> None:
    Finding.objects.create(case=case, author=actor, text=data["text"], created_at=now)


def _answer_finding(case: Case, actor: User, data: dict[str, Any], now: datetime) -> None:
    Finding.objects.filter(pk=data["finding"].pk, case=case).update(
        answer=data["answer"], answered_by=actor, answered_at=now)


_HANDLERS: dict[Action, Callable[[Case, User, dict[str, Any], datetime], None]] = {
    Action.ASSIGN: _assign,
    Action.ACCEPT: _accept,
    Action.PLAN: _plan,
    Action.REPORT: _report,
    Action.DEPT_APPROVE: _dept_approve,
    Action.DEPT_RETURN: _back_to_handler,
    Action.APPROVE: _approve,
    Action.REJECT: _reject,
    Action.INFORM: _inform,
    Action.FOLLOW_UP: _follow_up,
    Action.WAIT_CUSTOMER: _wait_customer,
    Action.RESUME: _resume,
    Action.ESCALATE: _escalate,
    Action.REASSIGN: _reassign,
    Action.CANCEL: _cancel,
    Action.NOTE: _nothing,
    Action.CONTACT: _nothing,
    Action.FINDING: _finding,
    Action.ANSWER_FINDING: _answer_finding,
}


def _event_note(action: Action, data: dict[str, Any]) -> str:
    for key in ("text", "reason", "note", "answer", "measures"):
        if data.get(key):
            text = str(data[key])
            if action is Action.REJECT:
                text += "\n" + _("Required: %(requirements)s") % {
                    "requirements": data["requirements"]}
            return text
    return ""


def _changes(action: Action, data: dict[str, Any]) -> dict[str, list[Any]]:
    """The action's fields as the timeline shows them, people and departments by name."""
    shown: dict[str, list[Any]] = {}
    for key, value in data.items():
        if key in ("text", "reason", "note", "answer") or value in (None, "", []):
            continue
        if isinstance(value, datetime):
            value = value.isoformat()
        elif isinstance(value, list):
            value = [str(v) for v in value]
        elif not isinstance(value, int | str):
            value = str(value)
        shown[key] = [None, value]
    return shown


def _event(case: Case, actor: User | None, kind: str, at: datetime, *, before: str = "",
           after: str = "", note: str = "", changes: dict[str, list[Any]] | None = None
           ) -> CaseEvent:
    event = CaseEvent.objects.create(case=case, round=case.round, at=at, actor=actor,
                                     kind=kind, state_before=before, state_after=after,
                                     note=note, changes=changes or {})
    from pingjia.notifications.tasks import notify_case_events  # notifications imports cases

    transaction.on_commit(lambda: notify_case_events([event.pk]), robust=True)
    return event


# --- the stage clock -------------------------------------------------------------------------


def _move(case: Case, state: State, now: datetime) -> None:
    if state in TERMINAL:
        CasePause.objects.filter(case=case, ended_at__isnull=True).update(ended_at=now)
        case.paused_since = None
    case.state = state
    _enter_stage(case, state, now, sla.Clocks.load())


def _enter_stage(case: Case, state: State, now: datetime, clocks: sla.Clocks) -> None:
    """Close the current stage record and open one for `state` with its deadline."""
    for stage in CaseStage.objects.filter(case=case, left_at__isnull=True):
        stage.left_at = now
        stage.overdue = stage.overdue or (stage.due_at is not None and now > stage.due_at)
        stage.save(update_fields=["left_at", "overdue"])
    case.stage_entered_at = now
    if state in TERMINAL:
        case.stage_due_at = case.stage_risk_at = None
        case.stage_status = StageStatus.NONE
        return
    _time_stage(case, clocks, now)
    department = case.lead_department if state in DEPARTMENT_STAGES else None
    CaseStage.objects.create(case=case, round=case.round, state=state, department=department,
                             entered_at=now, due_at=case.stage_due_at)


def _time_stage(case: Case, clocks: sla.Clocks, now: datetime) -> None:
    """Set the current stage's deadline and status from its history (entry and pauses)."""
    if case.paused_since is not None:
        case.stage_due_at = case.stage_risk_at = None
        case.stage_status = StageStatus.PAUSED
        return
    pauses = list(CasePause.objects.filter(case=case).filter(
        Q(ended_at__isnull=True) | Q(ended_at__gt=case.stage_entered_at)).values_list(
        "started_at", "ended_at"))
    plan_deadline = None
    if case.state == State.IN_PROGRESS:
        plan_deadline = _current_round(case).plan_deadline
    timing = clocks.timing(state=State(case.state), category_id=case.category_id,
                           priority=case.priority, entered=case.stage_entered_at,
                           pauses=pauses, plan_deadline=plan_deadline, now=now)
    case.stage_due_at, case.stage_risk_at, case.stage_status = (
        timing.due_at, timing.risk_at, timing.status)


def case_sweep(*, now: datetime | None = None, batch: int = 1000) -> dict[str, int]:
    """Mark stages at risk and overdue, escalate overdue ones — to the department head when a
    stage becomes overdue, to the review manager when it is overdue by its whole limit again —
    and record the late stage against the department that held it. Reads and writes in
    batches with a constant number of queries each."""
    now = now or timezone.now()
    counts = {"at_risk": 0, "overdue": 0, "escalated": 0}
    at_risk = Case.objects.filter(state__in=OPEN, stage_status=StageStatus.ON_TIME,
                                  stage_risk_at__lte=now)
    ids = list(at_risk.values_list("pk", flat=True)[:batch])
    while ids:
        Case.objects.filter(pk__in=ids).update(stage_status=StageStatus.AT_RISK,
                                               version=F("version") + 1)
        _system_events(ids, CaseEvent.Kind.AT_RISK, now)
        counts["at_risk"] += len(ids)
        ids = list(at_risk.values_list("pk", flat=True)[:batch])
    overdue = Case.objects.filter(state__in=OPEN, stage_due_at__lte=now).exclude(
        stage_status=StageStatus.OVERDUE)
    ids = list(overdue.values_list("pk", flat=True)[:batch])
    while ids:
        Case.objects.filter(pk__in=ids).update(stage_status=StageStatus.OVERDUE,
                                               version=F("version") + 1)
        CaseStage.objects.filter(case__in=ids, left_at__isnull=True).update(overdue=True)
        _system_events(ids, CaseEvent.Kind.OVERDUE, now)
        counts["overdue"] += len(ids)
        ids = list(overdue.values_list("pk", flat=True)[:batch])
    counts["escalated"] = _escalate_overdue(now, batch)
    return counts


def _escalate_overdue(now: datetime, batch: int) -> int:
    """Level 0 → 1 (the head) as soon as a stage is overdue; 1 → 2 (the review manager) once
    it is late by its whole limit again."""
    escalated, last = 0, 0
    while True:
        rows = list(Case.objects.filter(
            state__in=OPEN, stage_status=StageStatus.OVERDUE, escalation_level__lt=2,
            pk__gt=last).order_by("pk").values_list(
            "pk", "escalation_level", "stage_entered_at", "stage_due_at")[:batch])
        if not rows:
            return escalated
        last = rows[-1][0]
        for level in (0, 1):
            ids = [pk for pk, held, entered, due in rows if held == level and (
                level == 0 or (due is not None and now >= due + (due - entered)))]
            if not ids:
                continue
            Case.objects.filter(pk__in=ids).update(escalation_level=level + 1,
                                                   version=F("version") + 1)
            _system_events(ids, CaseEvent.Kind.AUTO_ESCALATED, now,
                           changes={"escalation_level": [level, level + 1]})
            escalated += len(ids)


def _system_events(case_ids: list[int], kind: str, at: datetime,
                   changes: dict[str, list[Any]] | None = None) -> None:
    rounds = dict(Case.objects.filter(pk__in=case_ids).values_list("pk", "round"))
    events = CaseEvent.objects.bulk_create(
        CaseEvent(case_id=pk, round=rounds[pk], at=at, kind=kind, changes=changes or {})
        for pk in case_ids)
    from pingjia.notifications.tasks import notify_case_events  # notifications imports cases

    event_ids = [event.pk for event in events]
    transaction.on_commit(lambda: notify_case_events(event_ids), robust=True)
