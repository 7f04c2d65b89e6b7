"""Permission matrix of the case pages and API (see tests/permissions.py)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from pingjia.cases.links import follow_token
from pingjia.cases.workflow import State
from pingjia.reviews.models import Customer
from tests.cases.factories import case_in, open_case
from tests.conftest import Org
from tests.permissions import Row, run_row
from tests.reviews.factories import make_review


def _customer() -> Customer:
    return Customer.objects.create(name="钱七", phone="13612345678")


API_ROWS = [
    Row("GET /api/v1/cases", "GET", lambda o: "/api/v1/cases",
        {"anonymous": 401, "handler_a": 200, "head_b": 200, "executive": 200}),
    Row("GET /api/v1/cases/{case_id}", "GET",
        lambda o: f"/api/v1/cases/{case_in(o, State.ASSIGNED).pk}",
        {"anonymous": 401, "head_b": 404, "head_a": 200, "handler_a": 200,
         "supervisor": 200}),
    Row("POST /api/v1/cases", "POST", lambda o: "/api/v1/cases",
        {"anonymous": 401, "head_a": 403, "supervisor": 403, "manager": 201, "agent": 201},
        data=lambda o: {"review_ids": [make_review(o.store_a).pk]}, json=True),
    # Accepting is the lead department's head's act.
    Row("POST /api/v1/cases/{case_id}/actions/{action}", "POST",
        lambda o: f"/api/v1/cases/{case_in(o, State.ASSIGNED).pk}/actions/accept",
        {"anonymous": 401, "head_b": 404, "handler_a": 403, "manager": 403, "head_a": 200},
        data=lambda o: {"fields": {"handler": o["handler_a"].pk}}, json=True),
    # A note: anyone involved with the case; not the executive, who only reads.
    Row("POST /api/v1/cases/{case_id}/actions/{action} (note)", "POST",
        lambda o: f"/api/v1/cases/{open_case(o).pk}/actions/note",
        {"anonymous": 401, "executive": 403, "agent": 200, "manager": 200},
        data=lambda o: {"fields": {"text": "已电话联系顾客"}}, json=True),
]

def _customer() -> Customer:
    return Customer.objects.create(name="钱七", phone="13612345678")


ROWS = [
    Row("case_list", "GET", lambda o: reverse("case_list"),
        {"anonymous": 302, "admin": 200, "handler_a": 200, "executive": 200}),
    Row("case_detail", "GET", lambda o: reverse("case_detail", args=[open_case(o).pk]),
        {"anonymous": 302, "head_b": 404, "handler_a": 404, "manager": 200,
         "supervisor": 200}),
    Row("case_action", "POST",
        lambda o: reverse("case_action", args=[case_in(o, State.ASSIGNED).pk, "accept"]),
        {"anonymous": 302, "head_b": 404, "handler_a": 403, "head_a": 200},
        data=lambda o: {"handler": o["handler_a"].pk}, htmx=True),
    Row("case_open_from_review", "POST",
        lambda o: reverse("case_open_from_review", args=[make_review(o.store_a).pk]),
        {"anonymous": 302, "head_a": 403, "executive": 403, "agent": 302, "manager": 302}),
    # The customer's phone: the case's department while it is open, and customer service.
    Row("case_customer_phone", "POST",
        lambda o: reverse("case_customer_phone", args=[case_in(o, State.ACCEPTED,
                                                               customer=_customer()).pk]),
        {"anonymous": 302, "head_b": 404, "executive": 403, "handler_a": 200, "agent": 200},
        data=lambda o: {"reason": "回访"}, htmx=True),
    Row("case_follow", "GET",
        lambda o: reverse("case_follow", args=[follow_token(open_case(o))]),
        {"anonymous": 200, "head_b": 200}),
    Row("case_bulk_assign", "POST", lambda o: reverse("case_bulk_assign"),
        {"anonymous": 302, "head_a": 403, "agent": 403, "manager": 302},
        data=lambda o: {"cases": [open_case(o).pk], "lead_department": o.dept_a.pk}),
]


@pytest.mark.parametrize("row", API_ROWS + ROWS, ids=str)
def test_permission_matrix(org: Org, row: Row) -> None:
    run_row(org, row)
