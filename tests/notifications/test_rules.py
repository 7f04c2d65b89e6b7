"""Who is told of each case event: the pure rule, and the same rule through the real workflow."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from pingjia.accounts.models import User
from pingjia.cases.models import Case, CaseEvent
from pingjia.cases.services import case_act, case_sweep
from pingjia.cases.workflow import Action, State
from pingjia.notifications.models import Notification, NotificationKind
from pingjia.notifications.rules import CasePeople, acting_next, route
from tests.cases.factories import PATH, case_in, open_case
from tests.conftest import Org

PEOPLE = CasePeople(managers=frozenset({1, 2}), heads=frozenset({3}), handler=4)


@pytest.mark.parametrize(("state", "expected"), [
    (State.REGISTERED, {1, 2}), (State.ASSIGNED, {3}), (State.ACCEPTED, {4}),
    (State.IN_PROGRESS, {4}), (State.DEPT_REVIEW, {3}), (State.AUDIT, {1, 2}),
    (State.RECTIFIED, {1, 2}), (State.FOLLOW_UP, {1, 2}), (State.CLOSED, set()),
    (State.CANCELLED, set()),
])
def test_whoever_must_act_next_in_each_state(state: State, expected: set[int]) -> None:
    assert acting_next(state, PEOPLE) == expected


def test_the_actor_is_never_told_of_their_own_act() -> None:
    routing = route(event=Action.APPROVE, state=State.RECTIFIED, escalation_level=0,
                    people=PEOPLE, actor_id=1)
    assert routing is not None and routing.user_ids == {2}


@pytest.mark.parametrize(("level", "expected"), [(1, {3}), (2, {1, 2})])
def test_an_escalation_goes_to_the_head_then_to_the_review_managers(level: int,
                                                                    expected: set[int]) -> None:
    for event in (Action.ESCALATE, CaseEvent.Kind.AUTO_ESCALATED):
        routing = route(event=event, state=State.IN_PROGRESS, escalation_level=level,
                        people=PEOPLE, actor_id=None)
        assert routing is not None
        assert routing.kind is NotificationKind.ESCALATED and routing.user_ids == expected


def test_a_finding_goes_to_the_lead_departments_heads_and_handler() -> None:
    routing = route(event=Action.FINDING, state=State.AUDIT, escalation_level=0,
                    people=PEOPLE, actor_id=9)
    assert routing is not None and routing.kind is NotificationKind.FINDING
    assert routing.user_ids == {3, 4}


def test_an_overdue_alert_goes_to_whoever_must_act_and_whom_it_was_escalated_to() -> None:
    routing = route(event=CaseEvent.Kind.OVERDUE, state=State.IN_PROGRESS,
                    escalation_level=1, people=PEOPLE, actor_id=None)
    assert routing is not None and routing.kind is NotificationKind.OVERDUE
    assert routing.user_ids == {3, 4}


@pytest.mark.parametrize("event", [Action.NOTE, Action.CONTACT, Action.WAIT_CUSTOMER,
                                   Action.RESUME, CaseEvent.Kind.REVIEW_ATTACHED])
def test_notes_pauses_and_attached_reviews_tell_nobody(event: str) -> None:
    assert route(event=event, state=State.IN_PROGRESS, escalation_level=0, people=PEOPLE,
                 actor_id=None) is None


# --- through the workflow --------------------------------------------------------------------

# Who is told when the path of tests/cases/factories.py reaches each state. A review manager
# acts on registered, rectified and follow-up cases, so the other review manager is told.
TOLD_ON_REACHING = {
    State.ASSIGNED: {"head_a"},
    State.ACCEPTED: {"handler_a"},
    State.IN_PROGRESS: set(),  # the handler filed the plan: the next act is their own
    State.DEPT_REVIEW: {"head_a"},
    State.AUDIT: {"manager", "manager2"},
    State.RECTIFIED: {"manager2"},
    State.FOLLOW_UP: {"manager2"},
}


def _told(org: Org, run: Callable[[], Any], capture: Any) -> set[str]:
    names = {user.pk: persona for persona, user in org.people.items()}
    before = set(Notification.objects.values_list("pk", flat=True))
    with capture(execute=True):
        run()
    return {names[user_id] for user_id in Notification.objects.exclude(pk__in=before)
            .values_list("user_id", flat=True)}


@pytest.mark.parametrize("step", range(len(PATH)), ids=[p[1] for p in PATH])
def test_each_step_of_the_path_tells_whoever_must_act_next(
        org: Org, manager2: User, step: int,
        django_capture_on_commit_callbacks: Any) -> None:
    persona, action, reached, fields = PATH[step]
    case = case_in(org, PATH[step - 1][2]) if step else open_case(org)
    told = _told(org, lambda: case_act(case_id=case.pk, actor=org[persona], action=action,
                                       data=fields(org)), django_capture_on_commit_callbacks)
    assert told == TOLD_ON_REACHING[reached]
    kinds = set(Notification.objects.values_list("kind", flat=True))
    assert kinds <= {NotificationKind.TASK}


def test_a_new_case_tells_the_review_managers(org: Org, manager2: User,
                                              django_capture_on_commit_callbacks: Any) -> None:
    assert _told(org, lambda: open_case(org), django_capture_on_commit_callbacks) == {"manager2"}


def test_a_satisfied_customer_closes_the_case_and_tells_the_department(
        org: Org, manager2: User, django_capture_on_commit_callbacks: Any) -> None:
    case = case_in(org, State.FOLLOW_UP)
    told = _told(org, lambda: case_act(case_id=case.pk, actor=org["manager"],
                                       action="follow_up", data={"verdict": "satisfied"}),
                 django_capture_on_commit_callbacks)
    assert told == {"head_a", "handler_a"}
    assert set(Notification.objects.values_list("kind", flat=True)) == {"closed"}


def test_a_second_round_goes_back_to_the_head(org: Org, manager2: User,
                                              django_capture_on_commit_callbacks: Any) -> None:
    case = case_in(org, State.FOLLOW_UP)
    told = _told(org, lambda: case_act(case_id=case.pk, actor=org["manager"],
                                       action="follow_up", data={"verdict": "not_satisfied"}),
                 django_capture_on_commit_callbacks)
    assert told == {"head_a"}


def test_escalations_reach_the_head_then_the_review_managers(
        org: Org, manager2: User, django_capture_on_commit_callbacks: Any) -> None:
    case = case_in(org, State.IN_PROGRESS)
    first = _told(org, lambda: case_act(case_id=case.pk, actor=org["handler_a"],
                                        action="escalate", data={"reason": "需要采购支持"}),
                  django_capture_on_commit_callbacks)
    second = _told(org, lambda: case_act(case_id=case.pk, actor=org["head_a"],
                                         action="escalate", data={"reason": "跨部门"}),
                   django_capture_on_commit_callbacks)
    assert first == {"head_a"} and second == {"manager", "manager2"}


def test_a_supervision_finding_tells_the_head_and_the_handler(
        org: Org, django_capture_on_commit_callbacks: Any) -> None:
    case = case_in(org, State.IN_PROGRESS)
    told = _told(org, lambda: case_act(case_id=case.pk, actor=org["supervisor"],
                                       action="finding", data={"text": "整改措施不具体"}),
                 django_capture_on_commit_callbacks)
    assert told == {"head_a", "handler_a"}
    assert set(Notification.objects.values_list("kind", flat=True)) == {"finding"}


def test_the_sweep_tells_whoever_must_act_now_and_escalates_to_the_head(
        org: Org, django_capture_on_commit_callbacks: Any) -> None:
    case = case_in(org, State.ACCEPTED)  # the handler must file the plan
    _told(org, lambda: case_sweep(now=timezone.now() + timedelta(days=30)),
          django_capture_on_commit_callbacks)
    rows = set(Notification.objects.filter(case=case).values_list("user__username", "kind"))
    assert rows == {("handler_a", "at_risk"), ("handler_a", "overdue"),
                    ("head_a", "overdue"), ("head_a", "at_risk"), ("head_a", "escalated")}
    assert Case.objects.get(pk=case.pk).escalation_level == 1


def test_telling_twice_tells_nobody_twice(org: Org) -> None:
    from pingjia.notifications.services import case_events_notify

    case = case_in(org, State.ASSIGNED)
    event = case.events.get(kind=Action.ASSIGN)
    assert case_events_notify(event_ids=[event.pk]) == 1
    case_events_notify(event_ids=[event.pk])
    assert Notification.objects.filter(event=event).count() == 1
