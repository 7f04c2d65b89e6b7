from __future__ import annotations

import pytest
from django.contrib import admin
from django.urls import reverse

from pingjia.accounts.models import AuditAction, AuditEntry, Department, Membership
from pingjia.accounts.roles import Role
from tests.conftest import Org, client_for


@pytest.mark.parametrize("model", [m for m in admin.site._registry],
                         ids=lambda m: m._meta.label)
def test_administrator_sees_every_admin_list(org: Org, model: type) -> None:
    opts = model._meta  # type: ignore[attr-defined]
    url = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
    assert client_for(org["admin"]).get(url).status_code == 200


def test_department_saved_in_the_admin_is_audited_with_before_and_after(org: Org) -> None:
    department = org.dept_a
    url = reverse("admin:accounts_department_change", args=[department.pk])
    response = client_for(org["admin"]).post(url, {
        "code": department.code, "name": "物流配送部", "description": "", "sort_order": 5,
        "is_active": "on",
        "memberships-TOTAL_FORMS": 0, "memberships-INITIAL_FORMS": 0,
        "memberships-MIN_NUM_FORMS": 0, "memberships-MAX_NUM_FORMS": 1000,
    })
    assert response.status_code == 302, response.content.decode()[:2000]
    entry = AuditEntry.objects.get(action=AuditAction.CHANGED, target_id=str(department.pk))
    assert entry.actor == org["admin"]
    assert entry.changes["name"] == ["物流部", "物流配送部"]
    assert entry.changes["sort_order"] == [100, 5]


def test_role_added_in_the_admin_goes_through_the_service(org: Org) -> None:
    user = org["agent"]
    url = reverse("admin:accounts_user_change", args=[user.pk])
    existing = Membership.objects.get(user=user)
    response = client_for(org["admin"]).post(url, {
        "username": user.username, "name": user.name, "email": "", "language": "",
        "is_active": "on", "new_phone": "", "password": user.password,
        "memberships-TOTAL_FORMS": 2, "memberships-INITIAL_FORMS": 1,
        "memberships-MIN_NUM_FORMS": 0, "memberships-MAX_NUM_FORMS": 1000,
        "memberships-0-id": existing.pk, "memberships-0-user": user.pk,
        "memberships-0-department": existing.department_id,
        "memberships-0-role": existing.role,
        "memberships-1-user": user.pk, "memberships-1-department": org.dept_b.pk,
        "memberships-1-role": Role.HANDLER,
    })
    assert response.status_code == 302, response.content.decode()[:3000]
    assert Membership.objects.filter(user=user, department=org.dept_b,
                                     role=Role.HANDLER).exists()
    entry = AuditEntry.objects.get(action=AuditAction.ROLE_GRANTED, target_id=str(user.pk))
    assert entry.changes["role"] == [None, f"{org.dept_b.code}:handler"]


def test_user_admin_shows_the_phone_masked_and_only_replaces_it(org: Org) -> None:
    user = org["agent"]
    url = reverse("admin:accounts_user_change", args=[user.pk])
    html = client_for(org["admin"]).get(url).content.decode()
    assert user.phone not in html and user.phone_masked in html


def test_department_deleted_in_the_admin_is_audited(org: Org) -> None:
    department = Department.objects.create(code="temp", name="临时部门")
    url = reverse("admin:accounts_department_delete", args=[department.pk])
    assert client_for(org["admin"]).post(url, {"post": "yes"}).status_code == 302
    entry = AuditEntry.objects.get(action=AuditAction.DELETED, target_id=str(department.pk))
    assert entry.changes["name"] == ["临时部门", None]
