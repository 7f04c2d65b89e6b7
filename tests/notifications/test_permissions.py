"""Permission matrix of the notification pages (see tests/permissions.py). They are each
person's own: everyone signed in may use them, and nobody opens another's notification."""

from __future__ import annotations

import pytest
from django.urls import reverse

from pingjia.cases.workflow import Action, State
from pingjia.notifications.models import Notification
from pingjia.notifications.services import case_events_notify
from tests.cases.factories import case_in
from tests.conftest import Org
from tests.permissions import Row, run_row


def _handlers_notification(org: Org) -> int:
    case = case_in(org, State.ACCEPTED)
    case_events_notify(event_ids=[case.events.get(kind=Action.ACCEPT).pk])
    return Notification.objects.get(user=org["handler_a"], case=case).pk


ROWS = [
    Row("notification_list", "GET", lambda o: reverse("notification_list"),
        {"anonymous": 302, "handler_a": 200, "executive": 200, "admin": 200}),
    # Another person's notification is not found, whatever their roles.
    Row("notification_open", "GET",
        lambda o: reverse("notification_open", args=[_handlers_notification(o)]),
        {"anonymous": 302, "head_b": 404, "head_a": 404, "manager": 404, "handler_a": 302}),
    Row("notification_read_all", "POST", lambda o: reverse("notification_read_all"),
        {"anonymous": 302, "agent": 302, "handler_a": 302}),
    Row("notification_settings", "GET", lambda o: reverse("notification_settings"),
        {"anonymous": 302, "supervisor": 200, "handler_a": 200}),
    Row("notification_settings (save)", "POST", lambda o: reverse("notification_settings"),
        {"anonymous": 302, "executive": 302, "handler_a": 302},
        data=lambda o: {"task__in_app": "on"}),
]


@pytest.mark.parametrize("row", ROWS, ids=str)
def test_permission_matrix(org: Org, row: Row) -> None:
    run_row(org, row)
