"""The one place that decides what a user may see and do.

A user's *scope* is computed once per request from their memberships: for each permission, either
every department (it comes from an organisation-wide role, or the user is a superuser) or the set
of departments where a role granting it is held. Querysets filter with it (`visible_to`), the
permission backend answers `has_perm(perm, obj)` with it, and the `access_*` functions turn it
into 404 (not visible) or 403 (visible, but the act is not allowed).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol

from django.contrib.auth.models import Permission
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils.translation import gettext as _

from pingjia.accounts.roles import ORGANISATION_WIDE


class Scoped(Protocol):
    def scope_department_ids(self) -> set[int]: ...


@dataclass(frozen=True)
class Scope:
    everything: bool = False
    roles: frozenset[str] = frozenset()
    role_permissions: frozenset[str] = frozenset()  # of every role held, anywhere
    organisation_permissions: frozenset[str] = frozenset()
    department_permissions: dict[int, frozenset[str]] = field(default_factory=dict)

    def departments_with(self, perm: str) -> frozenset[int] | None:
        """Departments where `perm` is held; None means all of them."""
        if self.everything or perm in self.organisation_permissions:
            return None
        return frozenset(d for d, perms in self.department_permissions.items() if perm in perms)

    def allows(self, perm: str, department_ids: Iterable[int]) -> bool:
        if self.everything or perm in self.organisation_permissions:
            return True
        return any(perm in self.department_permissions.get(d, ()) for d in department_ids)

    def allows_anywhere(self, perm: str) -> bool:
        departments = self.departments_with(perm)
        return departments is None or bool(departments)


NO_SCOPE = Scope()


def scope_of(user: Any) -> Scope:
    """The user's scope, computed with two queries and kept on the user object."""
    if user is None or not user.is_authenticated or not user.is_active:
        return NO_SCOPE
    cached: Scope | None = getattr(user, "_pingjia_scope", None)
    if cached is not None:
        return cached
    memberships = list(user.memberships.values_list("department_id", "role"))
    roles = {role for _department, role in memberships}
    granted: dict[str, set[str]] = defaultdict(set)
    for role, app_label, codename in Permission.objects.filter(group__name__in=roles).values_list(
        "group__name", "content_type__app_label", "codename"
    ):
        granted[role].add(f"{app_label}.{codename}")
    organisation: set[str] = set()
    departments: dict[int, set[str]] = defaultdict(set)
    for department_id, role in memberships:
        if role in ORGANISATION_WIDE:
            organisation |= granted[role]
        else:
            departments[department_id] |= granted[role]
    scope = Scope(
        everything=user.is_superuser,
        roles=frozenset(roles),
        role_permissions=frozenset().union(*granted.values()),
        organisation_permissions=frozenset(organisation),
        department_permissions={d: frozenset(p) for d, p in departments.items()},
    )
    user._pingjia_scope = scope
    return scope


def forget_scope(user: Any) -> None:
    """Drop the cached scope after the user's memberships changed."""
    user.__dict__.pop("_pingjia_scope", None)


def require_permission(user: Any, perm: str, obj: Scoped | None = None) -> None:
    """PermissionDenied, with the reason, unless the user holds `perm` (on `obj`)."""
    if not user.has_perm(perm, obj):
        app_label, codename = perm.split(".", 1)
        permission = Permission.objects.filter(content_type__app_label=app_label,
                                               codename=codename).first()
        label = permission.name if permission else perm
        raise PermissionDenied(_("Your roles do not allow this: %(permission)s.") % {
            "permission": label})


def get_visible_or_404(queryset: Any, user: Any, **lookup: Any) -> Any:
    try:
        return queryset.visible_to(user).get(**lookup)
    except (queryset.model.DoesNotExist, ValueError):
        raise Http404(_("Not found.")) from None


def access_department(user: Any, department_id: int, *, action: str = "view") -> Any:
    from pingjia.accounts.models import Department

    department = get_visible_or_404(
        Department.objects.prefetch_related("memberships__user"), user, pk=department_id
    )
    if action != "view":
        require_permission(user, f"accounts.{action}_department", department)
    return department


def access_user(user: Any, user_id: int) -> Any:
    from pingjia.accounts.models import User

    return get_visible_or_404(User.objects.all(), user, pk=user_id)

