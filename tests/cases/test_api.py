"""The case API: a whole loop driven over HTTP with tokens, refusals in the error shape, and
two people acting on one case at the same moment."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone

from pingjia.cases.models import Case
from pingjia.cases.services import case_act
from pingjia.cases.workflow import State
from pingjia.core.errors import ConflictError
from tests.api.test_api import bearer, token_for
from tests.cases.factories import case_in
from tests.conftest import Org
from tests.reviews.factories import make_review


def _act(client: Client, case_id: int, action: str, fields: dict[str, Any],
         version: int | None = None) -> Any:
    return client.post(f"/api/v1/cases/{case_id}/actions/{action}",
                       {"fields": fields, "version": version}, content_type="application/json")


def test_a_case_goes_round_the_loop_through_the_api(org: Org) -> None:
    clients = {p: bearer(token_for(org, p, "cases:read", "cases:write"))
               for p in ("manager", "head_a", "handler_a")}
    review = make_review(org.store_a, text="试衣间镜子太暗了")
    response = clients["manager"].post("/api/v1/cases", {"review_ids": [review.pk],
                                                         "category": "product_quality"},
                                       content_type="application/json")
    assert response.status_code == 201, response.content
    case = response.json()["case"]
    assert case["state"] == "registered" and case["review_ids"] == [review.pk]
    assert case["category"]["name"] == "产品质量"
    deadline = (timezone.now() + timedelta(days=2)).isoformat()
    steps = [
        ("manager", "assign", {"lead_department": org.dept_a.pk}, "assigned"),
        ("head_a", "accept", {"handler": org["handler_a"].pk}, "accepted"),
        ("handler_a", "plan", {"measures": "换灯", "deadline": deadline, "goal": "明亮"},
         "in_progress"),
        ("handler_a", "report", {"text": "已换灯"}, "dept_review"),
        ("head_a", "dept_approve", {"done": "换灯", "root_cause": "灯管老化",
                                    "result": "明亮", "prevention": "巡检"}, "audit"),
        ("manager", "reject", {"reason": "缺照片", "requirements": "补照片"}, "in_progress"),
        ("handler_a", "report", {"text": "已补照片", "evidence": "照片 3 张"}, "dept_review"),
        ("head_a", "dept_approve", {"done": "换灯", "root_cause": "灯管老化",
                                    "result": "明亮", "prevention": "巡检"}, "audit"),
        ("manager", "approve", {}, "rectified"),
        ("manager", "inform", {"channel": "phone", "text": "已整改"}, "follow_up"),
        ("manager", "follow_up", {"verdict": "satisfied"}, "closed"),
    ]
    version = case["version"]
    for persona, action, fields, state in steps:
        response = _act(clients[persona], case["id"], action, fields, version)
        assert response.status_code == 200, (action, response.content)
        body = response.json()
        assert body["state"] == state
        version = body["version"]
    assert body["rounds"][0]["rejections"] == 1
    assert [e["kind"] for e in body["timeline"]][-2:] == ["inform", "follow_up"]
    assert body["actions"] == []


def test_the_case_detail_lists_the_callers_actions_with_their_fields(org: Org) -> None:
    case = case_in(org, State.ASSIGNED)
    body = bearer(token_for(org, "head_a", "cases:read")).get(
        f"/api/v1/cases/{case.pk}").json()
    actions = {a["action"]: a for a in body["actions"]}
    assert "accept" in actions and "assign" not in actions
    assert {f["name"]: f["required"] for f in actions["accept"]["fields"]} == {
        "handler": True, "note": False}


def test_refusals_use_the_error_shape_with_their_reason(org: Org) -> None:
    case = case_in(org, State.ASSIGNED)
    manager = bearer(token_for(org, "manager", "cases:read", "cases:write"))
    response = _act(manager, case.pk, "approve", {})
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "not_allowed_now"
    response = _act(manager, case.pk, "fly", {})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "unknown_action"
    head = bearer(token_for(org, "head_a", "cases:read", "cases:write"))
    response = _act(head, case.pk, "accept", {"handler": org["head_b"].pk})
    assert response.status_code == 400 and "handler" in response.json()["error"]["details"]
    response = _act(head, case.pk, "accept", {"handler": org["handler_a"].pk},
                    version=case.version - 1)
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "stale_version"
    read_only = bearer(token_for(org, "head_a", "cases:read"))
    assert _act(read_only, case.pk, "note", {"text": "x"}).status_code == 403


def test_the_case_list_filters_by_queue_state_and_department(org: Org) -> None:
    assigned = case_in(org, State.ASSIGNED)
    audit = case_in(org, State.AUDIT)
    manager = bearer(token_for(org, "manager", "cases:read"))
    ids = {c["id"] for c in manager.get("/api/v1/cases?queue=audit").json()["items"]}
    assert ids == {audit.pk}
    ids = {c["id"] for c in manager.get("/api/v1/cases?state=assigned").json()["items"]}
    assert ids == {assigned.pk}
    head = bearer(token_for(org, "head_a", "cases:read"))
    ids = {c["id"] for c in head.get("/api/v1/cases?queue=mine").json()["items"]}
    assert ids == {assigned.pk}
    head_b = bearer(token_for(org, "head_b", "cases:read"))
    assert head_b.get("/api/v1/cases").json()["items"] == []


@pytest.mark.django_db(transaction=True)
def test_two_people_acting_at_once_cannot_both_succeed(org: Org) -> None:
    """Two connections accept the same case at the same moment: one wins, the other is told
    the case moved on, and the timeline has one acceptance."""
    case = case_in(org, State.ASSIGNED)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def accept(handler_persona: str) -> None:
        try:
            barrier.wait(timeout=10)
            case_act(case_id=case.pk, actor=org["head_a"], action="accept",
                     data={"handler": org[handler_persona].pk}, version=case.version)
            outcomes.append("ok")
        except ConflictError as error:
            outcomes.append(error.code)
        finally:
            connection.close()

    threads = [threading.Thread(target=accept, args=(p,)) for p in ("handler_a", "head_a")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(outcomes) == ["not_allowed_now", "ok"] or sorted(outcomes) == [
        "ok", "stale_version"]
    case = Case.objects.get(pk=case.pk)
    assert case.state == State.ACCEPTED and case.version == 3
    assert case.events.filter(kind="accept").count() == 1


# The actions the loop above does not take, each through the API by the person who may.
OTHER_ACTIONS = [
    (State.IN_PROGRESS, "head_a", "wait_customer", lambda o: {"reason": "顾客出差"},
     lambda c: c.paused_since is not None),
    (State.IN_PROGRESS, "handler_a", "escalate", lambda o: {"reason": "需要采购配合"},
     lambda c: c.escalation_level == 1),
    (State.IN_PROGRESS, "manager", "reassign",
     lambda o: {"lead_department": o.dept_b.pk, "reason": "属于餐饮部"},
     lambda c: c.state == State.ASSIGNED and c.lead_department_id is not None),
    (State.ASSIGNED, "manager", "cancel", lambda o: {"reason_code": "duplicate",
                                                     "note": "与另一单重复"},
     lambda c: c.state == State.CANCELLED and c.cancel_reason == "duplicate"),
    (State.ACCEPTED, "agent", "note", lambda o: {"text": "顾客来电催促"},
     lambda c: c.events.filter(kind="note").exists()),
    (State.ACCEPTED, "agent", "contact", lambda o: {"channel": "phone", "text": "已致歉"},
     lambda c: c.events.filter(kind="contact").exists()),
    (State.ACCEPTED, "supervisor", "finding", lambda o: {"text": "计划缺少验收标准"},
     lambda c: c.findings.filter(answered_at__isnull=True).exists()),
    (State.DEPT_REVIEW, "head_a", "dept_return", lambda o: {"reason": "照片不清楚"},
     lambda c: c.state == State.IN_PROGRESS),
]


@pytest.mark.parametrize(("state", "persona", "action", "fields", "check"), OTHER_ACTIONS,
                         ids=[row[2] for row in OTHER_ACTIONS])
def test_each_other_action_through_the_api(org: Org, state: State, persona: str,
                                           action: str, fields: Any, check: Any) -> None:
    case = case_in(org, state)
    client = bearer(token_for(org, persona, "cases:read", "cases:write"))
    response = _act(client, case.pk, action, fields(org), case.version)
    assert response.status_code == 200, response.content
    assert check(Case.objects.get(pk=case.pk))


def test_resume_and_answer_a_finding_through_the_api(org: Org) -> None:
    case = case_in(org, State.IN_PROGRESS)
    handler = bearer(token_for(org, "handler_a", "cases:read", "cases:write"))
    assert _act(handler, case.pk, "wait_customer", {"reason": "等顾客回复"}).status_code == 200
    assert _act(handler, case.pk, "resume", {}).status_code == 200
    case_act(case_id=case.pk, actor=org["supervisor"], action="finding",
             data={"text": "请补充验收标准"})
    finding = case.findings.get()
    response = _act(handler, case.pk, "answer_finding",
                    {"finding": finding.pk, "answer": "已补充"})
    assert response.status_code == 200
    finding.refresh_from_db()
    assert finding.answer == "已补充" and Case.objects.get(pk=case.pk).paused_since is None
