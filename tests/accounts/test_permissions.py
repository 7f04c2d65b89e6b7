"""Permission matrix of the organisation, account and audit pages (see tests/permissions.py).

Pages answer anonymous with a redirect to log in (302), a role without the right with 403, and
an object outside the user's departments with 404."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.conftest import Org
from tests.permissions import Row, run_row

ROWS = [
    Row("login", "GET", lambda o: reverse("login"), {"anonymous": 200, "manager": 200}),
    Row("logout", "POST", lambda o: reverse("logout"), {"anonymous": 302, "handler_a": 302}),
    Row("account", "GET", lambda o: reverse("account"),
        {"anonymous": 302, "handler_a": 200, "executive": 200}),
    Row("password_change", "GET", lambda o: reverse("password_change"),
        {"anonymous": 302, "agent": 200}),
    Row("token_list", "GET", lambda o: reverse("token_list"),
        {"anonymous": 302, "handler_a": 403, "supervisor": 403, "manager": 200, "admin": 200}),
    Row("token_revoke", "POST", lambda o: reverse("token_revoke", args=[999_999]),
        {"anonymous": 302, "manager": 404}),
    Row("department_list", "GET", lambda o: reverse("department_list"),
        {"anonymous": 302, "handler_a": 200, "executive": 200}),
    Row("department_detail", "GET",
        lambda o: reverse("department_detail", args=[o.dept_a.pk]),
        {"anonymous": 302, "head_b": 404, "handler_a": 200, "head_a": 200,
         "agent": 200, "executive": 200, "supervisor": 200}),
    Row("phone_reveal", "POST", lambda o: reverse("phone_reveal", args=[o["handler_a"].pk]),
        {"anonymous": 302, "head_b": 404, "executive": 403, "supervisor": 403, "head_a": 200,
         "manager": 200},
        data=lambda o: {"reason": "回访客户前核对联系人"}, htmx=True),
    Row("store_list", "GET", lambda o: reverse("store_list"),
        {"anonymous": 302, "handler_a": 200, "manager": 200}),
    Row("audit_list", "GET", lambda o: reverse("audit_list"),
        {"anonymous": 302, "head_a": 403, "manager": 403, "executive": 403, "supervisor": 200,
         "admin": 200}),
]


@pytest.mark.parametrize("row", ROWS, ids=str)
def test_permission_matrix(org: Org, row: Row) -> None:
    run_row(org, row)
