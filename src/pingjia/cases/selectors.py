"""Reads of cases for the work queues, the case page and the API."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Prefetch, Q, QuerySet
from django.utils.translation import gettext_lazy as _

from pingjia.accounts.access import scope_of
from pingjia.accounts.models import User
from pingjia.accounts.roles import Role
from pingjia.cases.models import Case, CaseEvent, CaseRound, CaseSettings
from pingjia.cases.services import access_case
from pingjia.cases.workflow import OPEN, Action, StageStatus, State


class Queue:
    """The work queues of the case list; `ALL` is every visible case in any state."""

    MINE = "mine"
    DEPARTMENT = "department"
    AUDIT = "audit"
    OVERDUE = "overdue"
    OPEN = "open"
    ALL = "all"

    LABELS = {
        MINE: _("Waiting for me"),
        DEPARTMENT: _("My departments"),
        AUDIT: _("Waiting for my audit"),
        OVERDUE: _("Overdue"),
        OPEN: _("All open"),
        ALL: _("All cases"),
    }


@dataclass(frozen=True)
class CaseFilter:
    queue: str = Queue.OPEN
    state: str = ""
    department: int | None = None
    category: int | None = None
    store: int | None = None
    customer: int | None = None
    round: int | None = None  # 2: cases in their second round or later
    overdue: bool = False


def _waiting_for(user: User) -> Q:
    """The cases where the user's next act is expected, by the roles they hold."""
    scope = scope_of(user)
    waiting = Q(handler=user, state__in=[State.ACCEPTED, State.IN_PROGRESS])
    heads = [m.department_id for m in user.memberships.all() if m.role == Role.DEPARTMENT_HEAD]
    if heads:
        waiting |= Q(lead_department__in=heads) & (
            Q(state__in=[State.ASSIGNED, State.DEPT_REVIEW]) | Q(escalation_level=1))
    if scope.departments_with("cases.assign_case") is None:
        waiting |= Q(state=State.REGISTERED) | Q(escalation_level__gte=2)
    if scope.departments_with("cases.audit_case") is None:
        waiting |= Q(state__in=[State.AUDIT, State.RECTIFIED, State.FOLLOW_UP])
    return waiting


def case_list(*, user: User, filters: CaseFilter) -> QuerySet[Case]:
    # Prefetched, not joined: SQLite joins every matching case before it sorts and takes the
    # page, which at thirteen thousand open cases was most of the queue page's time.
    cases = Case.objects.visible_to(user).prefetch_related(
        "lead_department", "handler", "store", "category")
    if filters.queue != Queue.ALL:
        cases = cases.filter(state__in=OPEN)
    if filters.queue == Queue.MINE:
        cases = cases.filter(_waiting_for(user))
    elif filters.queue == Queue.DEPARTMENT:
        mine = [m.department_id for m in user.memberships.all()]
        cases = cases.filter(lead_department__in=mine)
    elif filters.queue == Queue.AUDIT:
        cases = cases.filter(state=State.AUDIT)
    if filters.queue == Queue.OVERDUE or filters.overdue:
        cases = cases.filter(stage_status=StageStatus.OVERDUE)
    if filters.state:
        cases = cases.filter(state=filters.state)
    if filters.department is not None:
        cases = cases.filter(lead_department=filters.department)
    if filters.category is not None:
        cases = cases.filter(category=filters.category)
    if filters.store is not None:
        cases = cases.filter(store=filters.store)
    if filters.customer is not None:
        cases = cases.filter(customer=filters.customer)
    if filters.round is not None:
        cases = cases.filter(round__gte=filters.round)
    return cases


def case_detail(*, user: User, case_id: int) -> Case:
    """The case with its timeline, rounds, reviews, findings and co-departments."""
    case = access_case(user, case_id)
    return Case.objects.select_related(
        "lead_department", "handler", "category", "store", "customer", "proposed_department",
        "opened_by",
    ).prefetch_related(
        "co_departments", "findings__author", "findings__answered_by",
        Prefetch("events", queryset=CaseEvent.objects.select_related("actor")),
        Prefetch("rounds", queryset=CaseRound.objects.order_by("number")),
        "reviews__channel", "reviews__store",
    ).get(pk=case.pk)


@dataclass(frozen=True)
class Milestone:
    at: datetime
    text: str


def case_for_customer(case_id: int) -> tuple[Case, list[Milestone]]:
    """What the customer sees of their case: its state in plain words and the milestones,
    without internal notes, and without staff names unless the organisation allows them."""
    case = Case.objects.select_related("lead_department", "handler").get(pk=case_id)
    show_names = CaseSettings.current().customer_sees_staff_names
    milestones = [Milestone(case.opened_at, str(_("We received your feedback.")))]
    for event in case.events.filter(kind__in=[Action.ASSIGN, Action.REASSIGN, Action.ACCEPT,
                                              Action.PLAN, Action.APPROVE, Action.INFORM,
                                              Action.FOLLOW_UP, Action.CANCEL]):
        milestones.append(Milestone(event.at, _milestone_text(case, event, show_names)))
    return case, milestones


def _milestone_text(case: Case, event: CaseEvent, show_names: bool) -> str:
    if event.kind in (Action.ASSIGN, Action.REASSIGN):
        return str(_("Passed to %(department)s.") % {
            "department": case.lead_department.name if case.lead_department else ""})
    if event.kind == Action.ACCEPT:
        if show_names and case.handler is not None:
            return str(_("%(name)s is responsible for it.") % {"name": case.handler.name})
        return str(_("A person responsible has been named."))
    if event.kind == Action.PLAN:
        return str(_("A plan to put it right has been made."))
    if event.kind == Action.APPROVE:
        return str(_("It has been put right and checked."))
    if event.kind == Action.INFORM:
        return event.note
    if event.kind == Action.FOLLOW_UP:
        return str(_("Thank you for your answer."))
    return str(_("The case was closed."))
