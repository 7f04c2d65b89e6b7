"""Reads that feed the pages and the API about the organisation and the audit trail."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Q, QuerySet

from pingjia.accounts.models import AuditEntry, Department, Membership, Store, User
from pingjia.accounts.roles import Role


def department_list(*, user: User, include_inactive: bool = False) -> QuerySet[Department]:
    departments = Department.objects.visible_to(user).prefetch_related("memberships__user")
    if not include_inactive:
        departments = departments.filter(is_active=True)
    return departments


def department_members(department: Department) -> list[Membership]:
    """Memberships of the department, heads first; uses the prefetched memberships."""
    memberships = list(department.memberships.all())
    return sorted(memberships, key=lambda m: (m.role != Role.DEPARTMENT_HEAD, m.user.username))


def store_list(*, user: User, department_id: int | None = None,
               include_inactive: bool = False) -> QuerySet[Store]:
    stores = Store.objects.visible_to(user).select_related("department")
    if department_id is not None:
        stores = stores.filter(department_id=department_id)
    if not include_inactive:
        stores = stores.filter(is_active=True)
    return stores


@dataclass(frozen=True)
class AuditFilter:
    actor: int | None = None
    action: str = ""
    target_type: str = ""  # "app_label.model"
    target_id: str = ""
    since: datetime | None = None
    until: datetime | None = None
    text: str = ""


def audit_entries(*, user: User, filters: AuditFilter) -> QuerySet[AuditEntry]:
    entries = AuditEntry.objects.visible_to(user).select_related("target_type")
    if filters.actor is not None:
        entries = entries.filter(actor_id=filters.actor)
    if filters.action:
        entries = entries.filter(action=filters.action)
    if filters.target_type:
        app_label, _, model = filters.target_type.partition(".")
        entries = entries.filter(target_type__app_label=app_label, target_type__model=model)
    if filters.target_id:
        entries = entries.filter(target_id=filters.target_id)
    if filters.since is not None:
        entries = entries.filter(at__gte=filters.since)
    if filters.until is not None:
        entries = entries.filter(at__lt=filters.until)
    if filters.text:
        entries = entries.filter(Q(target_repr__icontains=filters.text)
                                 | Q(actor_name__icontains=filters.text)
                                 | Q(note__icontains=filters.text))
    return entries


def audit_target_types() -> list[tuple[str, str]]:
    """(app_label.model, verbose name) of every object type that has audit entries."""
    from django.contrib.contenttypes.models import ContentType

    ids = AuditEntry.objects.exclude(target_type=None).values("target_type").distinct()
    types: list[Any] = list(ContentType.objects.filter(pk__in=ids))
    return sorted((f"{t.app_label}.{t.model}", str(t.name)) for t in types)
