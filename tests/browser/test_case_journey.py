"""One case driven through the real pages, from a negative review to a satisfied customer,
with each role logged in in turn."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from pingjia.cases.models import Case
from pingjia.cases.services import case_act
from pingjia.cases.workflow import State
from tests.browser.test_journeys import log_in
from tests.conftest import Org
from tests.reviews.factories import make_review

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _as(page: Any, base: str, persona: str, case_id: int) -> None:
    page.context.clear_cookies()
    log_in(page, base, persona)
    page.wait_for_url(f"{base}/")
    page.goto(f"{base}/cases/{case_id}/")


def _act(page: Any, action: str, fields: dict[str, str], selects: dict[str, str] | None = None
         ) -> None:
    page.click(f"#open-{action}")
    page.wait_for_selector(f"#form-{action}.show")  # the form has finished opening
    for name, value in fields.items():
        page.fill(f"#id_{action}_{name}", value)
    for name, value in (selects or {}).items():
        page.select_option(f"#id_{action}_{name}", value)
    with page.expect_response(lambda r: r.request.method == "POST"
                              and r.url.endswith(f"/{action}/")) as answer:
        page.click(f"#submit-{action}")
    assert answer.value.status == 200, answer.value.status
    # The case body is swapped in place; its form for this action goes away.
    page.wait_for_selector(f"#submit-{action}", state="detached")


def test_a_case_from_review_to_satisfied_customer(live_server: Any, page: Any,
                                                  org: Org) -> None:
    base = live_server.url
    review = make_review(org.store_a, text="试衣间的镜子太暗了,看不清颜色", rating=1)
    page.context.clear_cookies()
    log_in(page, base, "manager")
    page.wait_for_url(f"{base}/")
    page.goto(f"{base}/reviews/{review.pk}/")
    page.click("#open-case")
    page.wait_for_url(f"{base}/cases/*/")
    case = Case.objects.get()
    assert "镜子太暗" in page.locator("h1").inner_text()
    _act(page, "assign", {}, {"lead_department": str(org.dept_a.pk)})
    assert page.locator("#lead-department").inner_text() == "物流部"

    _as(page, base, "head_a", case.pk)
    _act(page, "accept", {}, {"handler": str(org["handler_a"].pk)})
    assert "handler_a名" in page.locator("#handler").inner_text()

    _as(page, base, "handler_a", case.pk)
    deadline = timezone.localtime() + timedelta(days=3)
    _act(page, "plan", {"measures": "更换试衣间灯具", "goal": "镜前照明充足",
                        "deadline": deadline.strftime("%Y-%m-%dT%H:%M")})
    _act(page, "report", {"text": "已更换 6 盏灯具"})

    _as(page, base, "head_a", case.pk)
    _act(page, "dept_approve", {"done": "更换灯具", "root_cause": "灯具老化",
                                "result": "照明达标", "prevention": "每季度巡检"})

    _as(page, base, "manager", case.pk)
    # Someone else acts while the page is open: the rejection made on the older view is
    # refused on the page with the reason, and nothing changes.
    case_act(case_id=case.pk, actor=org["agent"], action="contact",
             data={"channel": "phone", "text": "顾客来电询问进度"})
    page.click("#open-reject")
    page.fill("#id_reject_reason", "缺少照片")
    page.fill("#id_reject_requirements", "补充照片")
    page.click("#submit-reject")
    page.wait_for_selector("#case-error")
    assert Case.objects.get().state == State.AUDIT
    page.goto(f"{base}/cases/{case.pk}/")
    _act(page, "approve", {})
    _act(page, "inform", {"text": "已更换灯具,欢迎再次光临"}, {"channel": "phone"})
    _act(page, "follow_up", {}, {"verdict": "satisfied"})

    case.refresh_from_db()
    assert case.state == State.CLOSED
    assert case.rounds.get().feedback_root_cause == "灯具老化"
    timeline = page.locator("#timeline").inner_text()
    assert "manager名" in timeline and "handler_a名" in timeline
    assert page.locator("#case-actions").count() == 0
