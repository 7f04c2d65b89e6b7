from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils import translation

from pingjia.accounts.access import access_department, scope_of
from pingjia.accounts.models import Department, Store, User
from tests.conftest import Org
from tests.factories import UserFactory


def test_department_roles_see_only_their_departments(org: Org) -> None:
    assert set(Department.objects.visible_to(org["head_a"])) == {org.dept_a}
    assert set(Store.objects.visible_to(org["head_a"])) == {org.store_a}
    assert org["handler_a"] in User.objects.visible_to(org["head_a"])
    assert org["head_b"] not in User.objects.visible_to(org["head_a"])


@pytest.mark.parametrize("persona", ["manager", "supervisor", "executive", "admin"])
def test_organisation_wide_roles_see_every_department(org: Org, persona: str) -> None:
    assert Department.objects.visible_to(org[persona]).count() == Department.objects.count()


def test_no_role_sees_nothing(db: None) -> None:
    assert not Department.objects.visible_to(UserFactory()).exists()


def test_superuser_sees_and_may_do_everything(org: Org) -> None:
    root = UserFactory(is_superuser=True)
    assert Department.objects.visible_to(root).count() == Department.objects.count()
    assert root.has_perm("accounts.view_personal_data", org["head_b"])


def test_object_permission_holds_only_where_the_role_is_held(org: Org) -> None:
    head = org["head_a"]
    assert head.has_perm("accounts.view_personal_data")
    assert head.has_perm("accounts.view_personal_data", org["handler_a"])
    assert not head.has_perm("accounts.view_personal_data", org["head_b"])
    assert not head.has_perm("accounts.view_personal_data", object())


def test_access_answers_404_outside_scope_and_403_for_a_missing_right(org: Org) -> None:
    with pytest.raises(Http404):
        access_department(org["head_b"], org.dept_a.pk)
    with pytest.raises(Http404):
        access_department(org["head_a"], 999_999)
    with translation.override("en"), \
            pytest.raises(PermissionDenied, match="Your roles do not allow this"):
        access_department(org["head_a"], org.dept_a.pk, action="change")
    assert access_department(org["admin"], org.dept_a.pk, action="change") == org.dept_a


def test_scope_is_computed_with_two_queries_and_cached(org: Org,
                                                       django_assert_num_queries: object) -> None:
    user = User.objects.get(pk=org["head_a"].pk)
    with django_assert_num_queries(2):  # type: ignore[operator]
        scope_of(user)
        scope_of(user)
        user.has_perm("accounts.view_department", org.dept_a)


def test_inactive_user_has_no_scope(org: Org) -> None:
    user = org["manager"]
    user.is_active = False
    assert scope_of(user).departments_with("accounts.view_department") == frozenset()
