"""Permission matrix of the API (see tests/permissions.py). The API answers anonymous with 401
in its error shape, never with a log-in redirect."""

from __future__ import annotations

import pytest

from tests.conftest import Org
from tests.permissions import Row, run_row
from tests.reviews.factories import make_review

ROWS = [
    Row("GET /api/v1/health", "GET", lambda o: "/api/v1/health",
        {"anonymous": 200, "handler_a": 200}),
    Row("GET /api/v1/me", "GET", lambda o: "/api/v1/me",
        {"anonymous": 401, "handler_a": 200, "admin": 200}),
    Row("GET /api/v1/departments", "GET", lambda o: "/api/v1/departments",
        {"anonymous": 401, "handler_a": 200, "executive": 200}),
    Row("GET /api/v1/departments/{department_id}", "GET",
        lambda o: f"/api/v1/departments/{o.dept_a.pk}",
        {"anonymous": 401, "head_b": 404, "head_a": 200, "manager": 200}),
    Row("GET /api/v1/stores", "GET", lambda o: "/api/v1/stores",
        {"anonymous": 401, "handler_a": 200, "supervisor": 200}),
    Row("GET /api/v1/audit", "GET", lambda o: "/api/v1/audit",
        {"anonymous": 401, "head_a": 403, "manager": 403, "supervisor": 200, "admin": 200}),
    Row("GET /api/v1/reviews", "GET", lambda o: "/api/v1/reviews",
        {"anonymous": 401, "handler_a": 200, "head_b": 200, "executive": 200}),
    Row("GET /api/v1/reviews/{review_id}", "GET",
        lambda o: f"/api/v1/reviews/{make_review(o.store_a).pk}",
        {"anonymous": 401, "head_b": 404, "head_a": 200, "manager": 200}),
    Row("POST /api/v1/invitations", "POST", lambda o: "/api/v1/invitations",
        {"anonymous": 401, "head_a": 403, "executive": 403, "manager": 201, "agent": 200},
        data=lambda o: {"store_code": o.store_a.code, "external_id": "SO-1"}, json=True),
    Row("POST /api/v1/reviews", "POST", lambda o: "/api/v1/reviews",
        {"anonymous": 401, "head_a": 403, "executive": 403, "manager": 200, "agent": 200},
        data=lambda o: {"channel": "dianping", "external_id": "M1", "text": "出餐慢"},
        json=True),
]


@pytest.mark.parametrize("row", ROWS, ids=str)
def test_permission_matrix(org: Org, row: Row) -> None:
    run_row(org, row)
