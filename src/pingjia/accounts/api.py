"""API endpoints about the caller, the organisation and the audit trail."""

from __future__ import annotations

from datetime import datetime

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from pingjia.accounts import selectors
from pingjia.accounts.access import access_department, require_permission
from pingjia.accounts.models import ApiToken, AuditEntry, Department, Store, TokenScope, User
from pingjia.api.auth import require_scope
from pingjia.api.pagination import Page, paginate

router = Router(tags=["organisation"])


class PersonOut(Schema):
    id: int
    username: str
    name: str


class RoleOut(Schema):
    department_id: int
    department_code: str
    department_name: str
    role: str
    role_label: str


class TokenOut(Schema):
    name: str
    scopes: list[str]


class MeOut(PersonOut):
    email: str
    language: str
    is_superuser: bool
    roles: list[RoleOut]
    permissions: list[str]
    token: TokenOut | None = Field(None, description="The token of this call, if any.")


class DepartmentOut(Schema):
    id: int
    code: str
    name: str
    is_active: bool
    heads: list[PersonOut]


class MemberOut(PersonOut):
    role: str
    role_label: str
    phone: str = Field(description="Masked (138****1234).")


class DepartmentDetailOut(DepartmentOut):
    description: str
    members: list[MemberOut]


class DepartmentRef(Schema):
    id: int
    code: str
    name: str


class StoreOut(Schema):
    id: int
    code: str
    name: str
    city: str
    address: str
    is_active: bool
    department: DepartmentRef | None


class AuditEntryOut(Schema):
    id: int
    at: datetime
    actor_id: int | None
    actor_name: str
    action: str
    action_label: str
    target_type: str | None = Field(description="app_label.model")
    target_id: str
    target_repr: str
    changes: dict[str, list[object]]
    note: str
    ip: str | None


class AuditPage(Page):
    items: list[AuditEntryOut]


def _person(user: User) -> PersonOut:
    return PersonOut(id=user.pk, username=user.username, name=user.name)


def _department(department: Department) -> DepartmentOut:
    return DepartmentOut(id=department.pk, code=department.code, name=department.name,
                         is_active=department.is_active,
                         heads=[_person(u) for u in department.heads()])


@router.get("/me", response=MeOut, summary="The caller: roles, permissions and token")
def me(request: HttpRequest) -> MeOut:
    user = request.user
    assert isinstance(user, User)
    memberships = user.memberships.select_related("department")
    auth = getattr(request, "auth", None)
    return MeOut(
        id=user.pk, username=user.username, name=user.name, email=user.email,
        language=user.language, is_superuser=user.is_superuser,
        roles=[RoleOut(department_id=m.department_id, department_code=m.department.code,
                       department_name=m.department.name, role=m.role,
                       role_label=m.get_role_display()) for m in memberships],
        permissions=sorted(user.get_all_permissions()),
        token=TokenOut(name=auth.name, scopes=auth.scopes) if isinstance(auth, ApiToken) else None,
    )


@router.get("/departments", response=list[DepartmentOut], summary="Departments the caller sees")
def department_list(request: HttpRequest, include_inactive: bool = False) -> list[DepartmentOut]:
    require_scope(request, TokenScope.ORG_READ)
    departments = selectors.department_list(user=request.user,  # type: ignore[arg-type]
                                            include_inactive=include_inactive)
    return [_department(d) for d in departments]


@router.get("/departments/{department_id}", response=DepartmentDetailOut,
            summary="A department with its members")
def department_detail(request: HttpRequest, department_id: int) -> DepartmentDetailOut:
    require_scope(request, TokenScope.ORG_READ)
    department = access_department(request.user, department_id)
    return DepartmentDetailOut(
        **_department(department).dict(),
        description=department.description,
        members=[MemberOut(**_person(m.user).dict(), role=m.role,
                           role_label=m.get_role_display(), phone=m.user.phone_masked)
                 for m in selectors.department_members(department)],
    )


@router.get("/stores", response=list[StoreOut], summary="Stores and branches")
def store_list(request: HttpRequest, department_id: int | None = None,
               include_inactive: bool = False) -> list[StoreOut]:
    require_scope(request, TokenScope.ORG_READ)
    stores: list[Store] = list(selectors.store_list(
        user=request.user, department_id=department_id,  # type: ignore[arg-type]
        include_inactive=include_inactive))
    return [StoreOut(id=s.pk, code=s.code, name=s.name, city=s.city, address=s.address,
                     is_active=s.is_active,
                     department=DepartmentRef(id=s.department.pk, code=s.department.code,
                                              name=s.department.name) if s.department else None)
            for s in stores]


class AuditQuery(Schema):
    actor: int | None = None
    action: str = ""
    target_type: str = Field("", description="app_label.model, e.g. accounts.user")
    target_id: str = ""
    since: datetime | None = None
    until: datetime | None = None
    cursor: str | None = None
    limit: int = 50


@router.get("/audit", response=AuditPage, summary="The audit trail, newest first",
            tags=["audit"])
def audit_list(request: HttpRequest, query: Query[AuditQuery]) -> AuditPage:
    require_scope(request, TokenScope.AUDIT_READ)
    require_permission(request.user, "accounts.view_auditentry")
    entries = selectors.audit_entries(
        user=request.user,  # type: ignore[arg-type]
        filters=selectors.AuditFilter(actor=query.actor, action=query.action,
                                      target_type=query.target_type, target_id=query.target_id,
                                      since=query.since, until=query.until))
    rows, next_cursor = paginate(entries, cursor=query.cursor, limit=query.limit)
    return AuditPage(items=[_audit_entry(e) for e in rows], next_cursor=next_cursor)


def _audit_entry(entry: AuditEntry) -> AuditEntryOut:
    target_type = entry.target_type
    return AuditEntryOut(
        id=entry.pk, at=entry.at, actor_id=entry.actor_id, actor_name=entry.actor_name,
        action=entry.action, action_label=entry.get_action_display(),
        target_type=f"{target_type.app_label}.{target_type.model}" if target_type else None,
        target_id=entry.target_id, target_repr=entry.target_repr, changes=entry.changes,
        note=entry.note, ip=entry.ip,
    )
