"""The states of a rectification case (整改单) and the one table of what may happen in each.

Seed 001 §3 is the specification: a case is registered, assigned to a lead department, accepted
by its head who names a handler, planned, carried out and reported, reviewed by the department,
audited by the review manager, the customer is informed and followed up; a customer who is not
satisfied starts a new round. No state or action name appears as a literal anywhere else.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import models
from django.utils.translation import gettext_lazy as _


class State(models.TextChoices):
    REGISTERED = "registered", _("Registered")
    ASSIGNED = "assigned", _("Assigned")
    ACCEPTED = "accepted", _("Accepted")
    IN_PROGRESS = "in_progress", _("Rectifying")
    DEPT_REVIEW = "dept_review", _("Department review")
    AUDIT = "audit", _("Awaiting audit")
    RECTIFIED = "rectified", _("Rectified")
    FOLLOW_UP = "follow_up", _("Following up")
    CLOSED = "closed", _("Closed")
    CANCELLED = "cancelled", _("Cancelled")


# What the customer reads on their private link: plain words, no internal stages.
CUSTOMER_WORDS = {
    State.REGISTERED: _("We have received your feedback."),
    State.ASSIGNED: _("Your feedback has been passed to the department responsible."),
    State.ACCEPTED: _("The department responsible is working out how to put it right."),
    State.IN_PROGRESS: _("We are putting it right."),
    State.DEPT_REVIEW: _("We are putting it right and checking the result."),
    State.AUDIT: _("We are checking that it has been put right."),
    State.RECTIFIED: _("It has been put right; we will tell you what was done."),
    State.FOLLOW_UP: _("We have told you what was done and would like to hear whether you "
                       "are satisfied."),
    State.CLOSED: _("Done. Thank you for helping us improve."),
    State.CANCELLED: _("This case has been closed."),
}

TERMINAL = frozenset({State.CLOSED, State.CANCELLED})
OPEN = frozenset(State) - TERMINAL
# The stages in which the lead department holds the case: their lateness is the department's.
DEPARTMENT_STAGES = frozenset({State.ASSIGNED, State.ACCEPTED, State.IN_PROGRESS,
                               State.DEPT_REVIEW})
# Before the department has filed its result the case can still move to another department.
REASSIGNABLE = frozenset({State.ASSIGNED, State.ACCEPTED, State.IN_PROGRESS, State.DEPT_REVIEW})


class Action(models.TextChoices):
    ASSIGN = "assign", _("Assign")
    ACCEPT = "accept", _("Accept")
    PLAN = "plan", _("File the plan")
    REPORT = "report", _("Report the result")
    DEPT_APPROVE = "dept_approve", _("Approve for audit")
    DEPT_RETURN = "dept_return", _("Return to the handler")
    APPROVE = "approve", _("Approve")
    REJECT = "reject", _("Reject")
    INFORM = "inform", _("Inform the customer")
    FOLLOW_UP = "follow_up", _("Record the follow-up")
    WAIT_CUSTOMER = "wait_customer", _("Wait for the customer")
    RESUME = "resume", _("Resume")
    ESCALATE = "escalate", _("Escalate")
    REASSIGN = "reassign", _("Reassign")
    CANCEL = "cancel", _("Cancel")
    NOTE = "note", _("Add a progress note")
    CONTACT = "contact", _("Record a customer contact")
    FINDING = "finding", _("Leave a finding")
    ANSWER_FINDING = "answer_finding", _("Answer a finding")


class Actor(models.TextChoices):
    """Who may take an action, besides holding its permission: the review manager acts on
    every case, the head on the lead department's, the handler on their own, and the
    co-departments see and comment."""

    ORGANISATION = "organisation"  # an organisation-wide permission
    LEAD_DEPARTMENT = "lead"  # the permission in the lead department
    HANDLER = "handler"  # the permission in the lead department, and named handler
    INVOLVED = "involved"  # the permission in the lead department or a co-department


@dataclass(frozen=True)
class Transition:
    sources: frozenset[State]
    target: State | None  # None: the state does not change (a note, a pause, an escalation)
    permission: str
    actor: Actor


def _from(*states: State) -> frozenset[State]:
    return frozenset(states)


TRANSITIONS: dict[Action, Transition] = {
    Action.ASSIGN: Transition(_from(State.REGISTERED), State.ASSIGNED,
                              "cases.assign_case", Actor.ORGANISATION),
    Action.ACCEPT: Transition(_from(State.ASSIGNED), State.ACCEPTED,
                              "cases.accept_case", Actor.LEAD_DEPARTMENT),
    Action.PLAN: Transition(_from(State.ACCEPTED), State.IN_PROGRESS,
                            "cases.handle_case", Actor.HANDLER),
    Action.REPORT: Transition(_from(State.IN_PROGRESS), State.DEPT_REVIEW,
                              "cases.handle_case", Actor.HANDLER),
    Action.DEPT_APPROVE: Transition(_from(State.DEPT_REVIEW), State.AUDIT,
                                    "cases.accept_case", Actor.LEAD_DEPARTMENT),
    Action.DEPT_RETURN: Transition(_from(State.DEPT_REVIEW), State.IN_PROGRESS,
                                   "cases.accept_case", Actor.LEAD_DEPARTMENT),
    Action.APPROVE: Transition(_from(State.AUDIT), State.RECTIFIED,
                               "cases.audit_case", Actor.ORGANISATION),
    Action.REJECT: Transition(_from(State.AUDIT), State.IN_PROGRESS,
                              "cases.audit_case", Actor.ORGANISATION),
    Action.INFORM: Transition(_from(State.RECTIFIED), State.FOLLOW_UP,
                              "cases.audit_case", Actor.ORGANISATION),
    # Satisfied: closed. Not satisfied: a new round, back to `assigned` (services decide).
    Action.FOLLOW_UP: Transition(_from(State.FOLLOW_UP), State.CLOSED,
                                 "cases.audit_case", Actor.ORGANISATION),
    Action.WAIT_CUSTOMER: Transition(OPEN, None, "cases.comment_case", Actor.INVOLVED),
    Action.RESUME: Transition(OPEN, None, "cases.comment_case", Actor.INVOLVED),
    Action.ESCALATE: Transition(OPEN - {State.REGISTERED}, None,
                                "cases.handle_case", Actor.LEAD_DEPARTMENT),
    Action.REASSIGN: Transition(REASSIGNABLE, State.ASSIGNED,
                                "cases.assign_case", Actor.ORGANISATION),
    Action.CANCEL: Transition(OPEN, State.CANCELLED, "cases.cancel_case", Actor.ORGANISATION),
    Action.NOTE: Transition(OPEN, None, "cases.comment_case", Actor.INVOLVED),
    Action.CONTACT: Transition(OPEN, None, "cases.comment_case", Actor.INVOLVED),
    Action.FINDING: Transition(frozenset(State), None, "cases.inspect_case",
                               Actor.ORGANISATION),
    Action.ANSWER_FINDING: Transition(frozenset(State), None, "cases.handle_case",
                                      Actor.LEAD_DEPARTMENT),
}


class CancelReason(models.TextChoices):
    DUPLICATE = "duplicate", _("Duplicate")
    MALICIOUS = "malicious", _("Malicious review")
    WITHDRAWN = "withdrawn", _("Withdrawn by the customer")


class Priority(models.TextChoices):
    LOW = "low", _("Low")
    NORMAL = "normal", _("Normal")
    HIGH = "high", _("High")
    URGENT = "urgent", _("Urgent")


class Verdict(models.TextChoices):
    SATISFIED = "satisfied", _("Satisfied")
    NOT_SATISFIED = "not_satisfied", _("Not satisfied")


class StageStatus(models.TextChoices):
    ON_TIME = "on_time", _("On time")
    AT_RISK = "at_risk", _("At risk")
    OVERDUE = "overdue", _("Overdue")
    PAUSED = "paused", _("Waiting for the customer")
    NONE = "none", _("No deadline")
