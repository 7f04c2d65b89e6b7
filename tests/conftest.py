from __future__ import annotations

import os
import shutil
from dataclasses import dataclass

import pytest
from django.test import Client
from hypothesis import settings

from pingjia.accounts.models import Department, Store, User
from pingjia.accounts.roles import Role
from tests.factories import DepartmentFactory, MembershipFactory, StoreFactory, UserFactory

# CI draws the property tests' examples from a fixed seed, so that whether a change lands does
# not depend on the draw; elsewhere each run explores new examples.
settings.register_profile("ci", derandomize=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))


def require_or_skip(available: bool, what: str, how: str) -> None:
    """Skip a test whose outside part is missing, unless CI demands it (PINGJIA_REQUIRE_ALL)."""
    if available:
        return
    if os.environ.get("PINGJIA_REQUIRE_ALL"):
        pytest.fail(f"{what} is required here (PINGJIA_REQUIRE_ALL is set): {how}")
    pytest.skip(f"{what} not available: {how}")


def pytest_report_header() -> list[str]:
    if not shutil.which("chromium") and not os.path.exists("/usr/bin/chromium"):
        return ["browser tests: SKIPPED, /usr/bin/chromium not found "
                "(install it with: sudo apt-get install chromium)"]
    return ["browser tests: /usr/bin/chromium"]


@dataclass
class Org:
    """A small organisation with one person per role, and two business departments A and B
    for the 'wrong department' column of the permission matrix."""

    review: Department
    dept_a: Department
    dept_b: Department
    store_a: Store
    store_b: Store
    people: dict[str, User]

    def __getitem__(self, persona: str) -> User:
        return self.people[persona]


PERSONAS = {
    "manager": ("review", Role.REVIEW_MANAGER),
    "supervisor": ("review", Role.SUPERVISOR),
    "executive": ("management", Role.EXECUTIVE),
    "admin": ("it", Role.ADMINISTRATOR),
    "agent": ("service", Role.SERVICE_AGENT),
    "head_a": ("a", Role.DEPARTMENT_HEAD),
    "handler_a": ("a", Role.HANDLER),
    "head_b": ("b", Role.DEPARTMENT_HEAD),
}


@pytest.fixture
def org(db: None) -> Org:
    departments = {code: DepartmentFactory(code=code, name=name) for code, name in [
        ("review", "差评管理部"), ("management", "总经办"), ("it", "信息技术部"),
        ("service", "客服部"), ("a", "物流部"), ("b", "餐饮部")]}
    people = {}
    for persona, (department, role) in PERSONAS.items():
        user = UserFactory(username=persona, name=f"{persona}名")
        MembershipFactory(user=user, department=departments[department], role=role)
        people[persona] = user
    return Org(review=departments["review"], dept_a=departments["a"],
               dept_b=departments["b"],
               store_a=StoreFactory(department=departments["a"], name="物流仓"),
               store_b=StoreFactory(department=departments["b"], name="徐家汇餐厅"),
               people=people)


def client_for(user: User | None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client
