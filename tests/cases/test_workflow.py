"""The case workflow through its services: the whole loop, refusals with reasons, rounds,
pauses, escalation and the stage clock."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from pingjia.cases.models import Case, CaseEvent, CaseStage
from pingjia.cases.services import available_actions, case_act, case_open, case_sweep
from pingjia.cases.workflow import Action, StageStatus, State
from pingjia.core.errors import ApplicationError, ConflictError
from pingjia.reviews.models import Customer
from tests.cases.factories import PATH, case_in, open_case
from tests.conftest import Org
from tests.reviews.factories import make_review


def test_a_case_runs_the_whole_loop_and_keeps_every_step_in_its_timeline(org: Org) -> None:
    case = case_in(org, State.FOLLOW_UP)
    case = case_act(case_id=case.pk, actor=org["manager"], action="follow_up",
                    data={"verdict": "satisfied"})
    assert case.state == State.CLOSED and case.closed_at is not None
    kinds = list(case.events.values_list("kind", flat=True))
    assert kinds == ["opened", *[action for _p, action, _s, _f in PATH], "follow_up"]
    round_ = case.rounds.get()
    assert round_.rectified_on_time is True and round_.verdict == "satisfied"
    assert round_.feedback_root_cause == "灯具老化"
    # Every stage left has its record; none is still open.
    assert not CaseStage.objects.filter(case=case, left_at__isnull=True).exists()
    assert case.stages.count() == 8


def test_an_unsatisfied_customer_starts_a_second_round_and_the_first_stays_intact(
        org: Org) -> None:
    case = case_in(org, State.FOLLOW_UP)
    case = case_act(case_id=case.pk, actor=org["manager"], action="follow_up",
                    data={"verdict": "not_satisfied", "note": "灯还是暗"})
    assert (case.state, case.round) == (State.ASSIGNED, 2)
    first, second = case.rounds.order_by("number")
    assert first.verdict == "not_satisfied" and first.plan_measures == "更换试衣间灯具"
    assert second.plan_measures == "" and second.number == 2
    assert case.lead_department == org.dept_a


def test_each_round_keeps_the_department_that_led_it(org: Org) -> None:
    case = case_in(org, State.FOLLOW_UP)
    assert case.rounds.get().department == org.dept_a
    case_act(case_id=case.pk, actor=org["manager"], action="follow_up",
             data={"verdict": "not_satisfied", "note": "灯还是暗"})
    case = case_act(case_id=case.pk, actor=org["manager"], action="reassign",
                    data={"lead_department": org.dept_b.pk, "reason": "属于餐饮部"})
    first, second = case.rounds.order_by("number")
    # The KPIs count the first round for the department that rectified it.
    assert (first.department, second.department) == (org.dept_a, org.dept_b)


def test_rounds_carry_the_category_the_case_is_assigned_with(org: Org) -> None:
    from pingjia.analysis.models import Category

    quality = Category.objects.get(code="product_quality")
    case = open_case(org)
    case = case_act(case_id=case.pk, actor=org["manager"], action="assign",
                    data={"lead_department": org.dept_a.pk, "category": quality.pk})
    # The repeat rate matches rounds on their case's store and category.
    assert (case.rounds.get().store, case.rounds.get().category) == (org.store_a, quality)


def test_rejection_returns_the_case_to_the_department_with_the_reasons_counted(
        org: Org) -> None:
    case = case_in(org, State.AUDIT)
    case = case_act(case_id=case.pk, actor=org["manager"], action="reject",
                    data={"reason": "没有照片", "requirements": "补充整改前后照片"})
    assert case.state == State.IN_PROGRESS
    assert case.rounds.get().rejections == 1
    event = case.events.order_by("-pk").first()
    assert event is not None and "补充整改前后照片" in event.note


def test_the_wrong_person_is_refused_with_a_reason(org: Org) -> None:
    case = case_in(org, State.ACCEPTED)
    # The head of the department is not the named handler.
    with pytest.raises(PermissionDenied, match="角色"):
        case_act(case_id=case.pk, actor=org["head_a"], action="plan", data={})
    # Another department does not even see the case.
    from django.http import Http404
    with pytest.raises(Http404):
        case_act(case_id=case.pk, actor=org["head_b"], action="note", data={"text": "x"})


def test_an_action_out_of_order_is_refused_as_a_conflict(org: Org) -> None:
    case = open_case(org)
    with pytest.raises(ConflictError, match="不能执行"):
        case_act(case_id=case.pk, actor=org["manager"], action="approve", data={})
    assert Case.objects.get(pk=case.pk).state == State.REGISTERED


def test_missing_fields_are_reported_per_field_and_nothing_changes(org: Org) -> None:
    case = case_in(org, State.ACCEPTED)
    with pytest.raises(ApplicationError) as raised:
        case_act(case_id=case.pk, actor=org["handler_a"], action="plan",
                 data={"measures": "", "deadline": "not a date"})
    assert set(raised.value.details) == {"measures", "deadline", "goal"}
    assert Case.objects.get(pk=case.pk).state == State.ACCEPTED
    assert case.events.count() == 3


def test_acting_on_a_stale_version_is_refused(org: Org) -> None:
    case = open_case(org)
    seen = case.version
    case_act(case_id=case.pk, actor=org["manager"], action="note", data={"text": "已联系"})
    with pytest.raises(ConflictError) as raised:
        case_act(case_id=case.pk, actor=org["manager"], action="assign",
                 data={"lead_department": org.dept_a.pk}, version=seen)
    assert raised.value.code == "stale_version"


def test_waiting_for_the_customer_stops_the_clock_and_resume_restarts_it(org: Org) -> None:
    case = case_in(org, State.ASSIGNED)
    due = case.stage_due_at
    assert due is not None and case.stage_status == StageStatus.ON_TIME
    case = case_act(case_id=case.pk, actor=org["head_a"], action="wait_customer",
                    data={"reason": "顾客出差,下周回复"})
    assert case.stage_status == StageStatus.PAUSED and case.stage_due_at is None
    assert Action.WAIT_CUSTOMER not in available_actions(org["head_a"], case)
    case = case_act(case_id=case.pk, actor=org["head_a"], action="resume", data={})
    assert case.stage_due_at is not None and case.stage_due_at >= due
    assert case.pauses.get().ended_at is not None


def test_a_customers_second_complaint_joins_the_open_case(org: Org) -> None:
    customer = Customer.objects.create(name="王五", phone="13800001111")
    first = make_review(org.store_a, customer=customer)
    second = make_review(org.store_a, customer=customer, channel_id=first.channel_id)
    opened = case_open(actor=org["manager"], review_ids=[first.pk])
    again = case_open(actor=org["manager"], review_ids=[second.pk])
    assert again.attached and again.case.pk == opened.case.pk
    assert set(opened.case.reviews.values_list("pk", flat=True)) == {first.pk, second.pk}


def test_a_review_in_an_open_case_cannot_open_another(org: Org) -> None:
    review = make_review(org.store_a)
    case_open(actor=org["manager"], review_ids=[review.pk])
    with pytest.raises(ConflictError):
        case_open(actor=org["manager"], review_ids=[review.pk])


def test_only_the_review_manager_cancels_and_the_reason_is_kept(org: Org) -> None:
    case = case_in(org, State.ASSIGNED)
    with pytest.raises(PermissionDenied):
        case_act(case_id=case.pk, actor=org["head_a"], action="cancel",
                 data={"reason_code": "duplicate", "note": "重复"})
    case = case_act(case_id=case.pk, actor=org["manager"], action="cancel",
                    data={"reason_code": "malicious", "note": "同行恶意差评"})
    assert case.state == State.CANCELLED and case.cancel_reason == "malicious"
    assert available_actions(org["manager"], case) == []
    assert available_actions(org["supervisor"], case) == [Action.FINDING]


def test_supervisor_findings_must_be_answered_by_the_department(org: Org) -> None:
    case = case_in(org, State.IN_PROGRESS)
    case_act(case_id=case.pk, actor=org["supervisor"], action="finding",
             data={"text": "整改计划缺少验收标准"})
    finding = case.findings.get()
    assert Action.ANSWER_FINDING in available_actions(org["handler_a"], case)
    case_act(case_id=case.pk, actor=org["handler_a"], action="answer_finding",
             data={"finding": finding.pk, "answer": "已补充验收标准"})
    finding.refresh_from_db()
    assert finding.answered_by == org["handler_a"]
    assert Action.ANSWER_FINDING not in available_actions(org["handler_a"], case)


def test_the_sweep_marks_overdue_escalates_and_attributes_lateness(org: Org) -> None:
    case = case_in(org, State.ASSIGNED)
    assert case.stage_due_at is not None and case.stage_risk_at is not None
    counts = case_sweep(now=case.stage_risk_at + timedelta(seconds=1))
    assert counts["at_risk"] == 1
    late = case.stage_due_at + timedelta(seconds=1)
    counts = case_sweep(now=late)
    case.refresh_from_db()
    assert counts["overdue"] == 1 and case.stage_status == StageStatus.OVERDUE
    assert case.escalation_level == 1
    stage = case.stages.get(left_at__isnull=True)
    assert stage.overdue and stage.department == org.dept_a
    # Late by its whole limit again: up to the review manager.
    limit = case.stage_due_at - case.stage_entered_at
    case_sweep(now=case.stage_due_at + limit + timedelta(seconds=1))
    case.refresh_from_db()
    assert case.escalation_level == 2
    assert case_sweep(now=case.stage_due_at + limit * 3) == {
        "at_risk": 0, "overdue": 0, "escalated": 0}
    kinds = list(case.events.filter(actor__isnull=True).values_list("kind", flat=True))
    assert kinds == [CaseEvent.Kind.AT_RISK, CaseEvent.Kind.OVERDUE,
                     CaseEvent.Kind.AUTO_ESCALATED, CaseEvent.Kind.AUTO_ESCALATED]


def test_a_late_rectification_is_recorded_as_not_on_time(org: Org) -> None:
    case = case_in(org, State.AUDIT)
    case.rounds.update(rectify_due_at=timezone.now() - timedelta(hours=1))
    case = case_act(case_id=case.pk, actor=org["manager"], action="approve", data={})
    assert case.rounds.get().rectified_on_time is False


def test_new_negative_reviews_open_cases_automatically_once(org: Org) -> None:
    from pingjia.cases.services import cases_open_automatically

    customer = Customer.objects.create(name="赵六", phone="13900002222")
    first = make_review(org.store_a, rating=1, customer=customer)
    make_review(org.store_a, rating=2, customer=customer)  # the same customer and store
    make_review(org.store_a, rating=5)
    make_review(org.store_a, rating=1, reviewed_at=timezone.now() - timedelta(days=400))
    other = make_review(org.store_b, rating=2)
    assert cases_open_automatically(batch=2) == 3
    cases = Case.objects.order_by("pk")
    assert [c.source for c in cases] == ["automatic", "automatic"]
    assert cases[0].reviews.count() == 2 and cases[0].customer == customer
    assert cases[0].proposed_department == org.dept_a  # the store's department
    assert list(cases[1].reviews.all()) == [other]
    assert first.cases.get().events.filter(kind="review_attached").exists()
    # Nothing is considered twice.
    assert cases_open_automatically() == 0 and Case.objects.count() == 2


def test_customer_service_registers_a_phone_complaint_with_its_case(org: Org) -> None:
    from django.urls import reverse

    from pingjia.reviews.models import Channel
    from tests.conftest import client_for

    response = client_for(org["agent"]).post(reverse("review_register"), {
        "channel": Channel.objects.get(code="phone").pk, "reviewed_at": "2026-11-02T10:30",
        "store": org.store_a.pk, "text": "电话投诉：送货员态度恶劣", "open_case": "on"})
    case = Case.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("case_detail", args=[case.pk])
    assert case.source == Case.Source.COMPLAINT and case.opened_by == org["agent"]
    assert case.reviews.get().registered_by == org["agent"]


def test_the_health_report_warns_when_the_holiday_data_runs_out(db: None) -> None:
    from datetime import date

    from pingjia.core.health import calendar_finding

    assert calendar_finding(today=date(2025, 3, 1)).status == "ok"
    late = calendar_finding(today=date(2099, 3, 1))
    assert late.status == "warning" and "2099" in late.detail and "2100" in late.detail


def test_stage_limits_follow_the_most_specific_rule_and_the_working_calendar(org: Org) -> None:
    from datetime import datetime
    from decimal import Decimal
    from zoneinfo import ZoneInfo

    from pingjia.analysis.models import Category
    from pingjia.cases.models import CalendarDay, StageLimit
    from pingjia.cases.sla import Clocks

    quality = Category.objects.get(code="product_quality")
    StageLimit.objects.create(state=State.ASSIGNED, hours=Decimal(2), priority="urgent")
    StageLimit.objects.create(state=State.ASSIGNED, hours=Decimal(1), category=quality,
                              priority="urgent")
    # Friday 2025-06-06 17:00 in Shanghai; the next Monday is made a company day off.
    entered = datetime(2025, 6, 6, 17, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
    CalendarDay.objects.create(date=entered.date() + timedelta(days=3), working=False)
    clocks = Clocks.load()

    def due(category_id: int | None, priority: str) -> datetime | None:
        return clocks.timing(state=State.ASSIGNED, category_id=category_id, priority=priority,
                             entered=entered, pauses=[], plan_deadline=None, now=entered).due_at

    shanghai = ZoneInfo("Asia/Shanghai")
    # The default: 4 working hours = Friday 17–18, then Tuesday 09:00–12:00.
    assert due(None, "normal") == datetime(2025, 6, 10, 12, 0, tzinfo=shanghai)
    assert due(None, "urgent") == datetime(2025, 6, 10, 10, 0, tzinfo=shanghai)
    assert due(quality.pk, "urgent") == datetime(2025, 6, 6, 18, 0, tzinfo=shanghai)


def test_a_case_is_titled_by_its_reviews_first_sentence(org: Org) -> None:
    text = "等了一个多小时才上菜。服务员态度也很差，叫了好几次都没人理，最后菜还是凉的，非常失望"
    case = open_case(org, text=text)
    assert case.title == "等了一个多小时才上菜。"
    long = open_case(org, text="没" * 100)
    assert long.title == "没" * 40 + "…"


def test_escalation_goes_to_the_head_then_the_review_manager_and_no_further(org: Org) -> None:
    case = case_in(org, State.IN_PROGRESS)
    case = case_act(case_id=case.pk, actor=org["handler_a"], action="escalate",
                    data={"reason": "需要采购部门配合更换灯具"})
    assert case.escalation_level == 1
    case = case_act(case_id=case.pk, actor=org["head_a"], action="escalate",
                    data={"reason": "跨部门协调"})
    assert case.escalation_level == 2
    with pytest.raises(ConflictError, match="已升级"):
        case_act(case_id=case.pk, actor=org["head_a"], action="escalate", data={"reason": "x"})


def test_reassigning_moves_the_case_to_another_department_and_clears_the_handler(
        org: Org) -> None:
    case = case_in(org, State.IN_PROGRESS)
    with pytest.raises(PermissionDenied):
        case_act(case_id=case.pk, actor=org["head_a"], action="reassign",
                 data={"lead_department": org.dept_b.pk, "reason": "不归我们管"})
    case = case_act(case_id=case.pk, actor=org["manager"], action="reassign",
                    data={"lead_department": org.dept_b.pk,
                          "co_departments": [org.dept_a.pk, org.dept_b.pk],
                          "reason": "属于餐饮部"})
    assert (case.state, case.lead_department, case.handler) == (State.ASSIGNED, org.dept_b, None)
    # The lead department is not also a co-department; the old one stays involved.
    assert list(case.co_departments.all()) == [org.dept_a]
    from pingjia.cases.services import access_case

    assert access_case(org["head_b"], case.pk) == case
    # The stage the old department held is closed against it.
    stage = case.stages.filter(department=org.dept_a).order_by("-entered_at").first()
    assert stage is not None and stage.left_at is not None


def test_bulk_assignment_assigns_each_case_and_reports_the_ones_refused(org: Org) -> None:
    from django.urls import reverse

    from tests.conftest import client_for

    waiting = [open_case(org), open_case(org)]
    moved_on = case_in(org, State.ASSIGNED)
    response = client_for(org["manager"]).post(reverse("case_bulk_assign"), {
        "cases": [c.pk for c in [*waiting, moved_on]], "lead_department": org.dept_b.pk},
        follow=True)
    for case in waiting:
        case.refresh_from_db()
        assert (case.state, case.lead_department) == (State.ASSIGNED, org.dept_b)
    moved_on.refresh_from_db()
    assert moved_on.lead_department == org.dept_a
    html = response.content.decode()
    assert moved_on.number in html
