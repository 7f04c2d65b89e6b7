"""The case pages beyond the permission matrix: the queues, the customer's link."""

from __future__ import annotations

from django.test import Client
from django.urls import reverse

from pingjia.cases.links import follow_token
from pingjia.cases.models import CaseSettings
from pingjia.cases.services import case_act
from pingjia.cases.workflow import State
from tests.cases.factories import case_in, open_case
from tests.conftest import Org, client_for


def test_the_customer_follows_the_case_in_plain_words_without_internal_notes(org: Org) -> None:
    case = case_in(org, State.AUDIT)
    case_act(case_id=case.pk, actor=org["manager"], action="reject",
             data={"reason": "内部:处理草率", "requirements": "重做"})
    html = Client().get(reverse("case_follow", args=[follow_token(case)])).content.decode()
    assert "We are putting it right." in html or "正在" in html
    assert "物流部" in html  # the department it was passed to
    assert "内部" not in html and "handler_a名" not in html and "更换试衣间灯具" not in html


def test_the_customer_sees_the_handlers_name_only_when_the_organisation_allows(
        org: Org) -> None:
    case = case_in(org, State.ACCEPTED)
    url = reverse("case_follow", args=[follow_token(case)])
    assert "handler_a名" not in Client().get(url).content.decode()
    CaseSettings.objects.update(customer_sees_staff_names=True)
    assert "handler_a名" in Client().get(url).content.decode()


def test_a_forged_customer_link_is_not_found(org: Org) -> None:
    case = open_case(org)
    forged = follow_token(case).replace(str(case.pk), str(case.pk + 1), 1)
    assert Client().get(reverse("case_follow", args=[forged])).status_code == 404
    assert Client().get(reverse("case_follow", args=["nonsense"])).status_code == 404


def test_staff_who_talk_to_the_customer_see_the_link_on_the_case_page(org: Org) -> None:
    case = open_case(org)
    token = follow_token(case)
    assert token in client_for(org["agent"]).get(
        reverse("case_detail", args=[case.pk])).content.decode()
    assert token not in client_for(org["supervisor"]).get(
        reverse("case_detail", args=[case.pk])).content.decode()


def test_queues_show_each_role_what_waits_for_them(org: Org) -> None:
    registered = open_case(org)
    assigned = case_in(org, State.ASSIGNED)
    planned = case_in(org, State.IN_PROGRESS)

    def listed(persona: str, queue: str) -> set[str]:
        html = client_for(org[persona]).get(reverse("case_list"), {"queue": queue})
        return {c.number for c in (registered, assigned, planned)
                if c.number in html.content.decode()}

    assert listed("manager", "mine") == {registered.number}
    assert listed("head_a", "mine") == {assigned.number}
    assert listed("handler_a", "mine") == {planned.number}
    assert listed("head_b", "open") == set()
    assert listed("executive", "open") == {registered.number, assigned.number, planned.number}


def test_the_case_list_runs_the_same_queries_for_three_cases_as_for_eight(org: Org) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = client_for(org["manager"])

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(reverse("case_list"), {"queue": "open"}).status_code == 200
        return len(captured)

    for _ in range(3):
        case_in(org, State.ACCEPTED)
    few = queries()
    for _ in range(5):
        case_in(org, State.ACCEPTED)
    assert queries() == few
