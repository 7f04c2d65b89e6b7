"""Every demo login works and sees exactly what its role allows."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from pingjia.accounts.models import Department
from pingjia.core.demo import DEMO_PASSWORD

PAGES = ["case_list", "department_list", "store_list", "audit_list", "system_status", "token_list",
         "admin:index"]
# What each demo login may open (200); other pages answer 403, or send them to log in (admin).
ALLOWED = {
    "manager": {"case_list", "department_list", "store_list", "token_list"},
    "head": {"case_list", "department_list", "store_list"},
    "handler": {"case_list", "department_list", "store_list"},
    "agent": {"case_list", "department_list", "store_list"},
    "supervisor": {"case_list", "department_list", "store_list", "audit_list"},
    "executive": {"case_list", "department_list", "store_list"},
    "admin": {"case_list", "department_list", "store_list", "audit_list", "system_status",
              "token_list", "admin:index"},
}


@pytest.fixture
def demo(db: None) -> None:
    call_command("demo", "--reviews", "0", stdout=StringIO())


@pytest.mark.parametrize("username", sorted(ALLOWED))
def test_demo_login_sees_what_its_role_allows(demo: None, username: str) -> None:
    client = Client()
    response = client.post(reverse("login"), {"username": username, "password": DEMO_PASSWORD})
    assert response.status_code == 302, f"{username} could not log in"
    for page in PAGES:
        status = client.get(reverse(page)).status_code
        expected = {200} if page in ALLOWED[username] else {403, 302}
        assert status in expected, f"{username} on {page}: {status}"


@pytest.mark.parametrize(("username", "departments"), [
    ("head", {"物流部"}), ("handler", {"物流部"}),
    ("agent", None), ("manager", None), ("executive", None),
])
def test_demo_login_sees_its_departments(demo: None, username: str,
                                         departments: set[str] | None) -> None:
    client = Client()
    client.post(reverse("login"), {"username": username, "password": DEMO_PASSWORD})
    html = client.get(reverse("department_list")).content.decode()
    expected = departments or set(Department.objects.values_list("name", flat=True))
    for department in Department.objects.all():
        assert (department.name in html) == (department.name in expected), department.name
