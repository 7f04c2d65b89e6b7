"""Permission matrix of the system pages (see tests/permissions.py)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.conftest import Org
from tests.permissions import Row, run_row

ROWS = [
    Row("home", "GET", lambda o: reverse("home"), {"anonymous": 302, "handler_a": 200}),
    Row("language_switch", "POST", lambda o: reverse("language_switch"),
        {"anonymous": 302, "executive": 302}, data=lambda o: {"language": "en", "next": "/"}),
    Row("system_status", "GET", lambda o: reverse("system_status"),
        {"anonymous": 302, "manager": 403, "supervisor": 403, "admin": 200}),
    Row("admin:index", "GET", lambda o: reverse("admin:index"),
        {"anonymous": 302, "manager": 302, "admin": 200}),
]


@pytest.mark.parametrize("row", ROWS, ids=str)
def test_permission_matrix(org: Org, row: Row) -> None:
    run_row(org, row)
