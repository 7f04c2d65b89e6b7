from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Permission

from pingjia.accounts.access import scope_of


class RoleBackend(ModelBackend):
    """Permissions come from the roles a user holds (memberships) — direct per-user permissions
    are not used — and an object-level check
    `has_perm(perm, obj)` holds only where a role granting `perm` reaches `obj`'s departments.

    Log-in itself goes through `pingjia.accounts.services.login_attempt`, which adds lock-out."""

    def get_user_permissions(self, user_obj: Any, obj: Any = None) -> set[str]:
        return set()  # roles are the only source of permissions

    def get_group_permissions(self, user_obj: Any, obj: Any = None) -> set[str]:
        if obj is not None:
            return set()
        return set(scope_of(user_obj).role_permissions)

    def get_all_permissions(self, user_obj: Any, obj: Any = None) -> set[str]:
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return set()
        if user_obj.is_superuser:
            return {f"{app_label}.{codename}" for app_label, codename in
                    Permission.objects.values_list("content_type__app_label", "codename")}
        return self.get_group_permissions(user_obj)

    def has_perm(self, user_obj: Any, perm: str, obj: Any = None) -> bool:
        if not user_obj.is_active:
            return False
        if obj is None:
            return super().has_perm(user_obj, perm)
        scope_department_ids = getattr(obj, "scope_department_ids", None)
        if scope_department_ids is None:
            return False
        return scope_of(user_obj).allows(perm, scope_department_ids())
