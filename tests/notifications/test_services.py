"""The ways people are told: their choices, e-mail without customer data, the in-app list."""

from __future__ import annotations

from typing import Any

import pytest
from django.core import mail
from django.test import override_settings

from pingjia.cases.services import case_act
from pingjia.cases.workflow import State
from pingjia.notifications import selectors, services
from pingjia.notifications.models import Notification, NotificationKind, Way
from pingjia.reviews.models import Customer
from tests.cases.factories import case_in, open_case
from tests.conftest import Org

PHONE = "13812345678"


def _assign(org: Org, capture: Any, **review_fields: object) -> None:
    case = open_case(org, **review_fields)
    with capture(execute=True):
        case_act(case_id=case.pk, actor=org["manager"], action="assign",
                 data={"lead_department": org.dept_a.pk})


@pytest.fixture
def head_with_email(org: Org) -> Org:
    org["head_a"].email = "head.a@example.com"
    org["head_a"].save(update_fields=["email"])
    return org


@override_settings(PINGJIA_PUBLIC_URL="https://pingjia.example.com")
def test_the_email_links_back_and_carries_no_customer_data(
        head_with_email: Org, django_capture_on_commit_callbacks: Any) -> None:
    org = head_with_email
    customer = Customer.objects.create(name="王小明", phone=PHONE)
    _assign(org, django_capture_on_commit_callbacks, customer=customer,
            text=f"服务太差，请打电话 {PHONE} 给我，王小明")
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["head.a@example.com"]
    text = message.subject + message.body
    for personal in (PHONE, "王小明", "5678 给我"):
        assert personal not in text
    assert "https://pingjia.example.com/cases/" in message.body
    assert "https://pingjia.example.com/notifications/settings/" in message.body
    assert "物流部" in message.body  # the lead department, which is not personal data
    assert Notification.objects.get(user=org["head_a"]).emailed_at is not None


def test_an_email_is_sent_once_however_often_the_task_runs(
        head_with_email: Org, django_capture_on_commit_callbacks: Any) -> None:
    _assign(head_with_email, django_capture_on_commit_callbacks)
    ids = list(Notification.objects.values_list("pk", flat=True))
    assert services.notification_emails_send(notification_ids=ids) == 0
    assert len(mail.outbox) == 1


def test_chosen_ways_are_respected(head_with_email: Org,
                                   django_capture_on_commit_callbacks: Any) -> None:
    org = head_with_email
    services.notification_preferences_save(user=org["head_a"], ways={
        NotificationKind.TASK: {Way.EMAIL}})
    _assign(org, django_capture_on_commit_callbacks)
    assert len(mail.outbox) == 1
    assert selectors.unread_count(org["head_a"]) == 0  # not in the application

    services.notification_preferences_save(user=org["head_a"], ways={
        NotificationKind.TASK: set()})
    _assign(org, django_capture_on_commit_callbacks)
    assert len(mail.outbox) == 1
    assert Notification.objects.filter(user=org["head_a"]).count() == 1  # only the first


def test_by_default_a_task_is_shown_and_emailed_and_a_near_deadline_only_shown(
        org: Org) -> None:
    ways = selectors.notification_preferences(user=org["handler_a"])
    assert ways[NotificationKind.TASK] == {Way.IN_APP, Way.EMAIL}
    assert ways[NotificationKind.AT_RISK] == {Way.IN_APP}


def test_nothing_is_emailed_to_someone_without_an_address(
        org: Org, django_capture_on_commit_callbacks: Any) -> None:
    _assign(org, django_capture_on_commit_callbacks)
    assert mail.outbox == []
    assert selectors.unread_count(org["head_a"]) == 1


def test_opening_marks_one_read_and_mark_all_read_the_rest(
        org: Org, django_capture_on_commit_callbacks: Any) -> None:
    _assign(org, django_capture_on_commit_callbacks)
    _assign(org, django_capture_on_commit_callbacks)
    head = org["head_a"]
    assert selectors.unread_count(head) == 2
    first = Notification.objects.filter(user=head).first()
    assert first is not None
    opened = services.notification_open(user=head, notification_id=first.pk)
    assert opened.read_at is not None and selectors.unread_count(head) == 1
    assert services.notifications_mark_all_read(user=head) == 1
    assert selectors.unread_count(head) == 0


def test_nobody_opens_another_persons_notification(
        org: Org, django_capture_on_commit_callbacks: Any) -> None:
    from django.http import Http404

    _assign(org, django_capture_on_commit_callbacks)
    notification = Notification.objects.get(user=org["head_a"])
    with pytest.raises(Http404):
        services.notification_open(user=org["head_b"], notification_id=notification.pk)
    assert Notification.objects.get(pk=notification.pk).read_at is None


def test_the_list_is_newest_first(org: Org, django_capture_on_commit_callbacks: Any) -> None:
    case = case_in(org, State.ASSIGNED)
    with django_capture_on_commit_callbacks(execute=True):
        case_act(case_id=case.pk, actor=org["head_a"], action="accept",
                 data={"handler": org["handler_a"].pk})
        case_act(case_id=case.pk, actor=org["supervisor"], action="finding",
                 data={"text": "请补充证据"})
    kinds = [n.kind for n in selectors.notification_list(user=org["handler_a"])]
    assert kinds == [NotificationKind.FINDING, NotificationKind.TASK]


def test_telling_of_a_sweep_takes_the_same_queries_for_few_or_many_cases(org: Org) -> None:
    from datetime import timedelta

    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from pingjia.cases.models import CaseEvent
    from pingjia.cases.services import case_sweep

    def queries_for(count: int, days: int) -> int:
        for _ in range(count):
            case_in(org, State.ACCEPTED)
        case_sweep(now=timezone.now() + timedelta(days=days))
        ids = list(CaseEvent.objects.filter(kind=CaseEvent.Kind.OVERDUE, at__gt=timezone.now()
                                            + timedelta(days=days - 1))
                   .values_list("pk", flat=True))
        assert len(ids) == count
        with CaptureQueriesContext(connection) as queries:
            services.case_events_notify(event_ids=ids)
        return len(queries.captured_queries)

    assert queries_for(2, 30) == queries_for(6, 60)
