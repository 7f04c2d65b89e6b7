"""API endpoints for cases: open them, list and read them, and take workflow actions."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from pingjia.accounts.access import require_permission
from pingjia.accounts.models import TokenScope, User
from pingjia.analysis.models import Category
from pingjia.api.auth import caller
from pingjia.api.pagination import Page, paginate
from pingjia.cases import selectors, services
from pingjia.cases.forms import ACTION_FORMS
from pingjia.cases.models import Case, CaseEvent
from pingjia.cases.workflow import Priority, State
from pingjia.core.errors import ApplicationError

router = Router(tags=["cases"])


class Ref(Schema):
    id: int
    name: str


class CaseOut(Schema):
    id: int
    number: str = Field(description="ZG + year + id, as people quote it.")
    title: str
    state: str = Field(description=" / ".join(State.values))
    state_label: str
    round: int
    version: int = Field(description="Send it back with an action to refuse acting on a "
                                     "case that changed meanwhile.")
    priority: str
    category: Ref | None
    store: Ref | None
    lead_department: Ref | None
    handler: Ref | None
    opened_at: datetime
    stage_entered_at: datetime
    stage_due_at: datetime | None
    stage_status: str = Field(description="on_time, at_risk, overdue, paused or none")
    escalation_level: int
    review_ids: list[int]


class EventOut(Schema):
    at: datetime
    round: int
    kind: str
    label: str
    actor: str = Field(description="Empty for the system.")
    state_before: str
    state_after: str
    note: str
    changes: dict[str, list[Any]]


class RoundOut(Schema):
    number: int
    plan_measures: str
    plan_deadline: datetime | None
    plan_goal: str
    report_text: str
    feedback_done: str
    feedback_root_cause: str
    feedback_result: str
    feedback_prevention: str
    rejections: int
    rectified_at: datetime | None
    rectified_on_time: bool | None
    informed_at: datetime | None
    verdict: str


class FieldOut(Schema):
    name: str
    label: str
    required: bool
    type: str


class ActionOut(Schema):
    action: str
    label: str
    fields: list[FieldOut]


class CaseDetailOut(CaseOut):
    co_departments: list[Ref]
    rounds: list[RoundOut]
    timeline: list[EventOut]
    actions: list[ActionOut] = Field(description="What the caller may do now, with the "
                                                 "fields each action takes.")


class CasePage(Page):
    items: list[CaseOut]


class CaseQuery(Schema):
    queue: str = Field(selectors.Queue.ALL, description="mine, department, audit, overdue, "
                                                        "open or all")
    state: str = Field("", description=" / ".join(State.values))
    department: int | None = Field(None, description="Lead department id.")
    category: int | None = None
    store: int | None = None
    overdue: bool = False
    round: int | None = Field(None, ge=1, description="2: cases in a second round or later.")
    cursor: str | None = None
    limit: int = 50


class CaseIn(Schema):
    review_ids: list[int] = Field(default_factory=list, description="Reviews of one customer "
                                  "about one problem; a complaint registered by customer "
                                  "service is a review of channel phone, email, letter or "
                                  "onsite.")
    category: str = Field("", description="Category code.")
    priority: str = Field(Priority.NORMAL, description=" / ".join(Priority.values))
    title: str = ""
    note: str = ""


class OpenedOut(Schema):
    case: CaseOut
    attached: bool = Field(description="True: the reviews joined the customer's open case "
                                       "about the same problem.")


class ActionIn(Schema):
    version: int | None = Field(None, description="The case's version you acted on.")
    fields: dict[str, Any] = Field(default_factory=dict,
                                   description="The action's fields (see `actions` of the case).")


def _ref(obj: Any) -> Ref | None:
    return Ref(id=obj.pk, name=str(obj)) if obj is not None else None


def _case(case: Case) -> CaseOut:
    return CaseOut(
        id=case.pk, number=case.number, title=case.title, state=case.state,
        state_label=case.get_state_display(), round=case.round, version=case.version,
        priority=case.priority, category=_ref(case.category), store=_ref(case.store),
        lead_department=_ref(case.lead_department),
        handler=Ref(id=case.handler.pk, name=case.handler.name) if case.handler else None,
        opened_at=case.opened_at, stage_entered_at=case.stage_entered_at,
        stage_due_at=case.stage_due_at, stage_status=case.stage_status,
        escalation_level=case.escalation_level,
        review_ids=[r.pk for r in case.reviews.all()])


def _event(event: CaseEvent) -> EventOut:
    return EventOut(at=event.at, round=event.round, kind=event.kind, label=event.label,
                    actor=event.actor.name if event.actor else "",
                    state_before=event.state_before, state_after=event.state_after,
                    note=event.note, changes=event.changes)


def _actions(user: User, case: Case) -> list[ActionOut]:
    shown = []
    for action in services.available_actions(user, case):
        form = ACTION_FORMS[action](case=case)
        shown.append(ActionOut(action=action.value, label=str(action.label), fields=[
            FieldOut(name=name, label=str(field.label), required=field.required,
                     type=type(field).__name__) for name, field in form.fields.items()]))
    return shown


def _detail(user: User, case_id: int) -> CaseDetailOut:
    case = selectors.case_detail(user=user, case_id=case_id)
    return CaseDetailOut(
        **_case(case).dict(),
        co_departments=[Ref(id=d.pk, name=d.name) for d in case.co_departments.all()],
        rounds=[RoundOut(number=r.number, plan_measures=r.plan_measures,
                         plan_deadline=r.plan_deadline, plan_goal=r.plan_goal,
                         report_text=r.report_text, feedback_done=r.feedback_done,
                         feedback_root_cause=r.feedback_root_cause,
                         feedback_result=r.feedback_result,
                         feedback_prevention=r.feedback_prevention, rejections=r.rejections,
                         rectified_at=r.rectified_at, rectified_on_time=r.rectified_on_time,
                         informed_at=r.informed_at, verdict=r.verdict)
                for r in case.rounds.all()],
        timeline=[_event(e) for e in case.events.all()],
        actions=_actions(user, case))


@router.get("/cases", response=CasePage, summary="Cases the caller sees, newest first")
def case_list(request: HttpRequest, query: Query[CaseQuery]) -> CasePage:
    user = caller(request, TokenScope.CASES_READ)
    require_permission(user, "cases.view_case")
    filters = selectors.CaseFilter(
        queue=query.queue, state=query.state, department=query.department,
        category=query.category, store=query.store, overdue=query.overdue, round=query.round)
    rows, cursor = paginate(
        selectors.case_list(user=user, filters=filters).prefetch_related("reviews"),
        cursor=query.cursor, limit=query.limit)
    return CasePage(items=[_case(c) for c in rows], next_cursor=cursor)


@router.get("/cases/{case_id}", response=CaseDetailOut,
            summary="A case with its rounds, timeline and the caller's possible actions")
def case_detail(request: HttpRequest, case_id: int) -> CaseDetailOut:
    return _detail(caller(request, TokenScope.CASES_READ), case_id)


@router.post("/cases", response={201: OpenedOut, 200: OpenedOut},
             summary="Open a case from reviews")
def case_open(request: HttpRequest, body: CaseIn) -> Status[OpenedOut]:
    """Answers 201 with a new case, or 200 when the reviews joined the customer's open case
    about the same problem."""
    user = caller(request, TokenScope.CASES_WRITE)
    category = None
    if body.category:
        category = Category.objects.active().filter(code=body.category).first()
        if category is None:
            raise ApplicationError(_("Unknown category: %(code)s.") % {"code": body.category},
                                   code="unknown_category")
    if body.priority not in Priority.values:
        raise ApplicationError(_("Unknown priority: %(code)s.") % {"code": body.priority},
                               code="invalid")
    if not body.review_ids:
        raise ApplicationError(_("Name at least one review."), code="invalid")
    opened = services.case_open(actor=user, review_ids=body.review_ids,
                                category=category, priority=body.priority, title=body.title,
                                note=body.note)
    case = selectors.case_detail(user=user, case_id=opened.case.pk)
    return Status(200 if opened.attached else 201,
                  OpenedOut(case=_case(case), attached=opened.attached))


@router.post("/cases/{case_id}/actions/{action}", response=CaseDetailOut,
             summary="Take a workflow action on a case")
def case_act(request: HttpRequest, case_id: int, action: str, body: ActionIn) -> CaseDetailOut:
    """`action` is one of assign, accept, plan, report, dept_approve, dept_return, approve,
    reject, inform, follow_up, wait_customer, resume, escalate, reassign, cancel, note,
    contact, finding, answer_finding. A refusal says why: 403 for who, 409 for the state or a
    stale `version`, 400 with `details` per field."""
    user = caller(request, TokenScope.CASES_WRITE)
    services.case_act(case_id=case_id, actor=user, action=action, data=body.fields,
                      version=body.version)
    return _detail(user, case_id)

