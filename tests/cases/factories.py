"""Cases brought to a state through the real workflow services, one action at a time."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone

from pingjia.cases.models import Case
from pingjia.cases.services import case_act, case_open
from pingjia.cases.workflow import State
from tests.conftest import Org
from tests.reviews.factories import make_review

# The path of a first round, with who acts and the fields of each step.
PATH: list[tuple[str, str, State, Any]] = [
    ("manager", "assign", State.ASSIGNED, lambda o: {"lead_department": o.dept_a.pk}),
    ("head_a", "accept", State.ACCEPTED, lambda o: {"handler": o["handler_a"].pk}),
    ("handler_a", "plan", State.IN_PROGRESS, lambda o: {
        "measures": "更换试衣间灯具", "goal": "镜前照度达到 500 lx",
        "deadline": (timezone.now() + timedelta(days=3)).isoformat()}),
    ("handler_a", "report", State.DEPT_REVIEW, lambda o: {"text": "已更换 6 盏灯"}),
    ("head_a", "dept_approve", State.AUDIT, lambda o: {
        "done": "更换灯具", "root_cause": "灯具老化", "result": "照度达标",
        "prevention": "每季度巡检"}),
    ("manager", "approve", State.RECTIFIED, lambda o: {}),
    ("manager", "inform", State.FOLLOW_UP, lambda o: {"channel": "phone",
                                                       "text": "已告知整改结果"}),
]


def open_case(org: Org, **review_fields: object) -> Case:
    review = make_review(org.store_a, **review_fields)
    return case_open(actor=org["manager"], review_ids=[review.pk]).case


def case_in(org: Org, state: State, **review_fields: object) -> Case:
    """A new case moved along the first round's path until it is in `state`."""
    case = open_case(org, **review_fields)
    for persona, action, reached, fields in PATH:
        if case.state == state:
            break
        case = case_act(case_id=case.pk, actor=org[persona], action=action, data=fields(org))
        assert case.state == reached
    assert case.state == state, f"{state} is not on the first round's path"
    return case
