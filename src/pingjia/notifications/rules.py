"""Who is told of a case event: pure functions over the event, the case's state and escalation
level, and the case's people. No queries: the services gather the people once for a batch.

The rule is "whoever must act next" (seed 001 §3): the review managers while a case is being
registered, audited, told to the customer and followed up; the lead department's heads when
it is assigned to them and when the handler has reported; the handler while it is accepted and
being rectified. An escalation goes to the heads (level 1), then to the review managers (level
2); a supervision finding to the lead department's heads and handler, who must answer it.
Nobody is told of their own act.
"""

from __future__ import annotations

from dataclasses import dataclass

from pingjia.cases.models import CaseEvent
from pingjia.cases.workflow import TERMINAL, TRANSITIONS, Action, State
from pingjia.notifications.models import NotificationKind


@dataclass(frozen=True)
class CasePeople:
    """The user ids of the people around one case."""

    managers: frozenset[int]  # hold cases.assign_case organisation-wide
    heads: frozenset[int]  # heads of the lead department
    handler: int | None

    @property
    def department(self) -> frozenset[int]:
        return self.heads | ({self.handler} if self.handler else set())


@dataclass(frozen=True)
class Routing:
    kind: NotificationKind
    user_ids: frozenset[int]


_MANAGERS_ACT = frozenset({State.REGISTERED, State.AUDIT, State.RECTIFIED, State.FOLLOW_UP})
_HEADS_ACT = frozenset({State.ASSIGNED, State.DEPT_REVIEW})
_HANDLER_ACTS = frozenset({State.ACCEPTED, State.IN_PROGRESS})
# Actions that move the case to another state; the others (notes, pauses) tell nobody.
_MOVES = frozenset(action.value for action, transition in TRANSITIONS.items()
                   if transition.target is not None) | {CaseEvent.Kind.OPENED.value}
_ESCALATIONS = frozenset({Action.ESCALATE.value, CaseEvent.Kind.AUTO_ESCALATED.value})
_DEADLINES = {CaseEvent.Kind.AT_RISK.value: NotificationKind.AT_RISK,
              CaseEvent.Kind.OVERDUE.value: NotificationKind.OVERDUE}


def acting_next(state: str, people: CasePeople) -> frozenset[int]:
    """Who must act on a case in `state`."""
    if state in _MANAGERS_ACT:
        return people.managers
    if state in _HEADS_ACT:
        return people.heads
    if state in _HANDLER_ACTS and people.handler:
        return frozenset({people.handler})
    return frozenset()


def escalated_to(level: int, people: CasePeople) -> frozenset[int]:
    if level >= 2:
        return people.managers
    if level == 1:
        return people.heads
    return frozenset()


def route(*, event: str, state: str, escalation_level: int, people: CasePeople,
          actor_id: int | None) -> Routing | None:
    """The kind of notification an event makes and who gets it; None: the event tells nobody
    (a note, a pause, a review joining the case)."""
    routing: Routing | None = None
    if event in _DEADLINES:
        routing = Routing(_DEADLINES[event], acting_next(state, people)
                          | escalated_to(escalation_level, people))
    elif event in _ESCALATIONS:
        routing = Routing(NotificationKind.ESCALATED,
                          escalated_to(max(escalation_level, 1), people))
    elif event == Action.FINDING:
        routing = Routing(NotificationKind.FINDING, people.department)
    elif event in _MOVES and state in TERMINAL:
        routing = Routing(NotificationKind.CLOSED, people.department)
    elif event in _MOVES:
        routing = Routing(NotificationKind.TASK, acting_next(state, people))
    if routing is None:
        return None
    return Routing(routing.kind, routing.user_ids - ({actor_id} if actor_id else set()))
