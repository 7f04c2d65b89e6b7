"""The notification pages, the header's unread count, and robots in the admin."""

from __future__ import annotations

from typing import Any

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from pingjia.cases.services import case_act
from pingjia.cases.workflow import State
from pingjia.notifications.models import Notification, NotificationPreference, Robot
from tests.cases.factories import case_in, open_case
from tests.conftest import Org, client_for
from tests.notifications.conftest import Webhook


def _notify_head(org: Org, capture: Any, times: int = 1) -> None:
    for _ in range(times):
        case = open_case(org)
        with capture(execute=True):
            case_act(case_id=case.pk, actor=org["manager"], action="assign",
                     data={"lead_department": org.dept_a.pk})


def _count_queries(client: Any, url: str) -> tuple[str, list[str]]:
    with CaptureQueriesContext(connection) as queries:
        html = client.get(url).content.decode()
    return html, [q["sql"] for q in queries.captured_queries
                  if "notifications_notification" in q["sql"]]


def test_every_page_shows_the_unread_count_from_the_cache_or_with_one_query(
        org: Org, django_capture_on_commit_callbacks: Any) -> None:
    from django.core.cache import cache

    client = client_for(org["head_a"])  # logging in counts: 0
    html, counts = _count_queries(client, reverse("home"))
    assert "unread-count" not in html and counts == []
    _notify_head(org, django_capture_on_commit_callbacks, times=2)  # counts again: 2
    html, counts = _count_queries(client, reverse("case_list"))
    assert 'id="unread-count">2</span>' in html and counts == []
    cache.clear()  # a cold cache, e.g. after Redis restarted
    html, counts = _count_queries(client, reverse("home"))
    assert 'id="unread-count">2</span>' in html
    assert len(counts) == 1 and "COUNT" in counts[0]
    _html, counts = _count_queries(client, reverse("home"))
    assert counts == []


def test_the_list_has_a_fixed_number_of_queries(org: Org, django_assert_num_queries: Any,
                                                django_capture_on_commit_callbacks: Any
                                                ) -> None:
    _notify_head(org, django_capture_on_commit_callbacks, times=3)
    client = client_for(org["head_a"])
    client.get(reverse("notification_list"))
    # session, user, the list, the organisation, the scope (2); the unread count is cached
    with django_assert_num_queries(6):
        response = client.get(reverse("notification_list"))
    assert response.content.decode().count('class="list-group-item list-group-item-action') == 3


def test_opening_a_notification_marks_it_read_and_goes_to_the_case(
        org: Org, django_capture_on_commit_callbacks: Any) -> None:
    _notify_head(org, django_capture_on_commit_callbacks)
    notification = Notification.objects.get(user=org["head_a"])
    client = client_for(org["head_a"])
    response = client.get(reverse("notification_open", args=[notification.pk]))
    assert response.status_code == 302
    assert response["Location"] == reverse("case_detail", args=[notification.case_id])
    notification.refresh_from_db()
    assert notification.read_at is not None
    assert "unread-count" not in client.get(reverse("notification_list")).content.decode()


def test_mark_all_read_clears_the_count(org: Org,
                                        django_capture_on_commit_callbacks: Any) -> None:
    _notify_head(org, django_capture_on_commit_callbacks, times=2)
    client = client_for(org["head_a"])
    assert "mark-all-read" in client.get(reverse("notification_list")).content.decode()
    client.post(reverse("notification_read_all"))
    assert not Notification.objects.filter(user=org["head_a"], read_at__isnull=True).exists()


def test_settings_page_saves_each_kinds_ways(org: Org) -> None:
    client = client_for(org["handler_a"])
    page = client.get(reverse("notification_settings")).content.decode()
    assert 'name="task__email"' in page and 'name="finding__in_app"' in page
    response = client.post(reverse("notification_settings"),
                           {"task__in_app": "on", "overdue__email": "on"})
    assert response.status_code == 302
    chosen = {(p.kind, p.in_app, p.email) for p in
              NotificationPreference.objects.filter(user=org["handler_a"])}
    assert ("task", True, False) in chosen and ("overdue", False, True) in chosen
    assert ("finding", False, False) in chosen


def test_an_administrator_adds_a_robot_whose_credentials_are_not_shown_again(
        org: Org, webhook: Webhook) -> None:
    client = client_for(org["admin"])
    url = webhook.url("/cgi-bin/webhook/send?key=k-secret-key")
    response = client.post(reverse("admin:notifications_robot_add"), {
        "name": "物流部群", "department": org.dept_a.pk, "kind": "wecom", "kinds": ["overdue"],
        "per_minute": 20, "is_active": "on", "new_webhook_url": url, "new_secret": ""})
    assert response.status_code == 302, response.content.decode()[:2000]
    robot = Robot.objects.get()
    assert robot.webhook_url == url and robot.kinds == ["overdue"]
    page = client.get(reverse("admin:notifications_robot_change", args=[robot.pk]))
    assert "k-secret-key" not in page.content.decode()

    response = client.post(reverse("admin:notifications_robot_changelist"),
                           {"action": "send_test", "_selected_action": [robot.pk]},
                           follow=True)
    assert len(webhook.requests) == 1
    assert "物流部群" in response.content.decode()


def test_a_department_head_cannot_manage_robots(org: Org) -> None:
    response = client_for(org["head_a"]).get(reverse("admin:notifications_robot_changelist"))
    assert response.status_code == 302  # to the admin's log-in: not staff


def test_a_case_in_audit_lists_for_the_review_manager(
        org: Org, django_capture_on_commit_callbacks: Any) -> None:
    case = case_in(org, State.DEPT_REVIEW)
    with django_capture_on_commit_callbacks(execute=True):
        case_act(case_id=case.pk, actor=org["head_a"], action="dept_approve", data={
            "done": "更换灯具", "root_cause": "灯具老化", "result": "照度达标",
            "prevention": "每季度巡检"})
    html = client_for(org["manager"]).get(reverse("notification_list")).content.decode()
    assert case.number in html
