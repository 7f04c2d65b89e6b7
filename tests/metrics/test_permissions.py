"""Permission matrix of the KPI page and API (see tests/permissions.py). The report is scoped
rather than refused: a department's head or handler gets their departments' rows only
(tests/metrics/test_views.py), and a person without any role gets 403."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.conftest import Org
from tests.factories import UserFactory
from tests.permissions import Row, run_row

API_ROWS = [
    Row("GET /api/v1/metrics/departments", "GET", lambda o: "/api/v1/metrics/departments",
        {"anonymous": 401, "nobody": 403, "head_b": 200, "handler_a": 200, "executive": 200},
        data=lambda o: {"month": "2025-03"}),
]

ROWS = [
    Row("kpi_month", "GET", lambda o: reverse("kpi_month"),
        {"anonymous": 302, "nobody": 403, "head_b": 200, "handler_a": 200, "supervisor": 200,
         "manager": 200}),
]


@pytest.mark.parametrize("row", API_ROWS + ROWS, ids=str)
def test_permission_matrix(org: Org, row: Row) -> None:
    # Someone with an account and no role at all: the column "role without the right".
    org.people["nobody"] = UserFactory(username="nobody")
    run_row(org, row)
