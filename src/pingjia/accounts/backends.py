from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Permission
from django.db.models import QuerySet

from pingjia.accounts.access import scope_of


class RoleBackend(ModelBackend):
    """Permissions come from the roles a user holds (memberships), and an object-level check
    `has_perm(perm, obj)` holds only where a role granting `perm` reaches `obj`'s departments.

    Log-in itself goes through `pingjia.accounts.services.login_attempt`, which adds lock-out."""

    def _get_group_permissions(self, user_obj: Any) -> QuerySet[Permission]:
        return Permission.objects.filter(group__name__in=scope_of(user_obj).roles)

    def has_perm(self, user_obj: Any, perm: str, obj: Any = None) -> bool:
        if not user_obj.is_active:
            return False
        if obj is None:
            return super().has_perm(user_obj, perm)
        scope_department_ids = getattr(obj, "scope_department_ids", None)
        if scope_department_ids is None:
            return False
        return scope_of(user_obj).allows(perm, scope_department_ids())
