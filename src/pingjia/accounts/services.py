"""Acts on the organisation, people, tokens and the audit trail. Each one writes its audit entry."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth.password_validation import validate_password
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from pingjia.accounts.access import forget_scope, require_permission
from pingjia.accounts.models import (
    ApiToken,
    AuditAction,
    AuditEntry,
    Department,
    Membership,
    Store,
    TokenScope,
    User,
)
from pingjia.accounts.roles import Role
from pingjia.core.errors import ApplicationError
from pingjia.core.fields import EncryptedTextField

# --- audit trail ---------------------------------------------------------------------------------

# Secrets, derived values and bookkeeping never go into the trail.
_NOT_AUDITED = frozenset({"id", "password", "digest", "phone_hash", "last_login",
                          "failed_logins", "date_joined", "created_at"})
_EMPTY: tuple[object, ...] = (None, "", [], {})


def snapshot(obj: models.Model) -> dict[str, Any]:
    """The object's concrete field values, as the audit trail stores them."""
    values: dict[str, Any] = {}
    for field in obj._meta.concrete_fields:
        if field.name in _NOT_AUDITED:
            continue
        value = getattr(obj, field.attname)
        if isinstance(value, datetime):
            value = value.isoformat()
        elif not isinstance(value, (str, int, float, bool, list, dict, type(None))):
            value = str(value)
        values[field.name] = value
    return values


def changes_between(model: type[models.Model], before: dict[str, Any],
                    after: dict[str, Any]) -> dict[str, list[Any]]:
    """`{field: [before, after]}` for the fields that differ; personal data shows as a mask."""
    changes: dict[str, list[Any]] = {}
    for name in sorted(set(before) | set(after)):
        old, new = before.get(name), after.get(name)
        if old == new or (old in _EMPTY and new in _EMPTY):
            continue
        field = model._meta.get_field(name)
        if isinstance(field, EncryptedTextField):
            old, new = ("•••" if old else ""), ("•••" if new else "")
        changes[name] = [old, new]
    return changes


def audit_record(*, actor: User | None, action: str, target: models.Model | None = None,
                 changes: dict[str, list[Any]] | None = None, note: str = "",
                 ip: str | None = None) -> AuditEntry:
    """Append one entry. `actor` None means the system itself (a command, a scheduled task)."""
    return AuditEntry.objects.create(
        actor=actor,
        actor_name=str(actor) if actor else _("System"),
        action=action,
        target_type=ContentType.objects.get_for_model(target) if target is not None else None,
        target_id=str(target.pk) if target is not None else "",
        target_repr=str(target)[:200] if target is not None else "",
        changes=changes or {},
        note=note,
        ip=ip,
    )


# --- log-in --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class _LoginOutcome:
    user: User | None
    error: ApplicationError | None


def login_attempt(*, username: str, password: str, ip: str | None = None) -> User:
    """The user, if the password is right and the account is not locked.

    Each wrong password counts; the `PINGJIA_LOGIN_MAX_FAILURES`-th in a row locks the account
    for `PINGJIA_LOGIN_LOCK_MINUTES`. The counters are written even though the attempt fails, so
    the error is raised after the transaction has committed."""
    outcome = _login_attempt(username=username, password=password, ip=ip)
    if outcome.error is not None:
        raise outcome.error
    assert outcome.user is not None
    return outcome.user


@transaction.atomic
def _login_attempt(*, username: str, password: str, ip: str | None) -> _LoginOutcome:
    now = timezone.now()
    wrong = ApplicationError(_("Wrong username or password."), code="invalid_credentials")
    user = User.objects.select_for_update().filter(username=username).first()
    if user is not None and user.is_locked(now):
        audit_record(actor=user, action=AuditAction.LOGIN_FAILED, target=user, ip=ip,
                     note=_("Account is locked."))
        return _LoginOutcome(None, _locked_error(user))
    authenticated = authenticate(username=username, password=password)
    if authenticated is None:
        if user is None or not user.is_active:
            return _LoginOutcome(None, wrong)
        user.failed_logins += 1
        if user.failed_logins >= settings.PINGJIA_LOGIN_MAX_FAILURES:
            user.locked_until = now + timedelta(minutes=settings.PINGJIA_LOGIN_LOCK_MINUTES)
            user.failed_logins = 0
            user.save(update_fields=["failed_logins", "locked_until"])
            audit_record(actor=user, action=AuditAction.LOGIN_LOCKED, target=user, ip=ip)
            return _LoginOutcome(None, _locked_error(user))
        user.save(update_fields=["failed_logins"])
        audit_record(actor=user, action=AuditAction.LOGIN_FAILED, target=user, ip=ip)
        return _LoginOutcome(None, wrong)
    assert isinstance(authenticated, User)
    if authenticated.failed_logins or authenticated.locked_until:
        authenticated.failed_logins = 0
        authenticated.locked_until = None
        authenticated.save(update_fields=["failed_logins", "locked_until"])
    audit_record(actor=authenticated, action=AuditAction.LOGIN, target=authenticated, ip=ip)
    return _LoginOutcome(authenticated, None)


def _locked_error(user: User) -> ApplicationError:
    assert user.locked_until is not None
    until = date_format(timezone.localtime(user.locked_until), "Y-m-d H:i")
    return ApplicationError(
        _("Too many failed log-ins: this account is locked until %(time)s. "
          "An administrator can unlock it sooner.") % {"time": until},
        code="account_locked",
    )


def user_logged_out(*, user: User, ip: str | None = None) -> None:
    audit_record(actor=user, action=AuditAction.LOGOUT, target=user, ip=ip)


@transaction.atomic
def user_unlock(*, actor: User | None, user: User) -> User:
    user.failed_logins = 0
    user.locked_until = None
    user.save(update_fields=["failed_logins", "locked_until"])
    audit_record(actor=actor, action=AuditAction.ACCOUNT_UNLOCKED, target=user)
    return user


# --- people and roles ----------------------------------------------------------------------------

def _check_password(password: str, user: User) -> None:
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise ApplicationError(" ".join(exc.messages), code="weak_password") from None


@transaction.atomic
def user_create(*, actor: User | None, username: str, name: str, password: str | None = None,
                email: str = "", phone: str = "", is_superuser: bool = False,
                check_password: bool = True) -> User:
    """A new user; without a password the account cannot log in until one is set."""
    if User.objects.filter(username=username).exists():
        raise ApplicationError(_("The username %(username)s is taken.") % {"username": username},
                               code="username_taken")
    user = User(username=username, name=name, email=email, phone=phone,
                is_superuser=is_superuser)
    if password:
        if check_password:
            _check_password(password, user)
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.save()
    audit_record(actor=actor, action=AuditAction.CREATED, target=user,
                 changes=changes_between(User, {}, snapshot(user)))
    return user


@transaction.atomic
def user_set_password(*, actor: User | None, user: User, password: str,
                      ip: str | None = None) -> User:
    _check_password(password, user)
    user.set_password(password)
    user.save(update_fields=["password"])
    audit_record(actor=actor, action=AuditAction.PASSWORD_CHANGED, target=user, ip=ip)
    return user


def user_set_language(*, user: User, language: str) -> User:
    if language not in dict(settings.LANGUAGES):
        raise ApplicationError(_("Unknown language."), code="unknown_language")
    user.language = language
    user.save(update_fields=["language"])
    return user


@transaction.atomic
def membership_grant(*, actor: User | None, user: User, department: Department,
                     role: Role | str) -> Membership:
    """`user` holds `role` in `department`; granting it twice changes nothing."""
    if role not in Role.values:
        raise ApplicationError(_("Unknown role %(role)s.") % {"role": role}, code="unknown_role")
    membership, created = Membership.objects.get_or_create(
        user=user, department=department, role=role
    )
    if created:
        audit_record(actor=actor, action=AuditAction.ROLE_GRANTED, target=user,
                     changes={"role": [None, f"{department.code}:{role}"]})
    forget_scope(user)
    return membership


@transaction.atomic
def membership_revoke(*, actor: User | None, membership: Membership) -> None:
    user = membership.user
    audit_record(actor=actor, action=AuditAction.ROLE_REVOKED, target=user,
                 changes={"role": [f"{membership.department.code}:{membership.role}", None]})
    membership.delete()
    forget_scope(user)


@transaction.atomic
def department_create(*, actor: User | None, code: str, name: str, description: str = "",
                      sort_order: int = 100) -> Department:
    department = Department.objects.create(code=code, name=name, description=description,
                                           sort_order=sort_order)
    audit_record(actor=actor, action=AuditAction.CREATED, target=department,
                 changes=changes_between(Department, {}, snapshot(department)))
    return department


@transaction.atomic
def store_create(*, actor: User | None, code: str, name: str, city: str = "",
                 address: str = "", department: Department | None = None) -> Store:
    store = Store.objects.create(code=code, name=name, city=city, address=address,
                                 department=department)
    audit_record(actor=actor, action=AuditAction.CREATED, target=store,
                 changes=changes_between(Store, {}, snapshot(store)))
    return store


# --- personal data -------------------------------------------------------------------------------

@transaction.atomic
def personal_data_reveal(*, actor: User, obj: Any, field: str, reason: str = "",
                         ip: str | None = None) -> str:
    """The unmasked value of `obj.field`, for a user allowed to see it; every call is audited."""
    model_field = obj._meta.get_field(field)
    if not isinstance(model_field, EncryptedTextField):
        raise ApplicationError(_("This field is not personal data."), code="not_personal_data")
    require_permission(actor, "accounts.view_personal_data", obj)
    audit_record(actor=actor, action=AuditAction.PERSONAL_DATA_VIEWED, target=obj,
                 changes={field: ["•••", "•••"]}, note=reason, ip=ip)
    value: str = getattr(obj, field)
    return value


# --- API tokens ----------------------------------------------------------------------------------

TOKEN_PREFIX = "pjt_"  # noqa: S105 (a marker, not a secret)


def token_digest(raw: str) -> str:
    # The secret has 256 random bits: a fast hash is enough, no password hashing needed.
    return hashlib.sha256(raw.encode()).hexdigest()


@transaction.atomic
def api_token_create(*, actor: User | None, user: User, name: str, scopes: Iterable[str],
                     expires_at: datetime | None = None) -> tuple[ApiToken, str]:
    """A new token and its secret, which is not stored and cannot be shown again.

    `actor` None is an operator at the command line."""
    if actor is not None:
        if actor.pk == user.pk:
            require_permission(actor, "accounts.add_apitoken")
        else:
            require_permission(actor, "accounts.manage_apitokens")
    scopes = sorted(set(scopes))
    unknown = [scope for scope in scopes if scope not in TokenScope.values]
    if not scopes or unknown:
        raise ApplicationError(
            _("Choose one or more scopes among: %(scopes)s.")
            % {"scopes": ", ".join(TokenScope.values)},
            code="invalid_scopes", details={"unknown": unknown},
        )
    if not name.strip():
        raise ApplicationError(_("Give the token a name."), code="name_required")
    if expires_at is not None and expires_at <= timezone.now():
        raise ApplicationError(_("The expiry must be in the future."), code="invalid_expiry")
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(user=user, name=name.strip(), prefix=raw[:12],
                                    digest=token_digest(raw), scopes=scopes,
                                    expires_at=expires_at)
    audit_record(actor=actor, action=AuditAction.TOKEN_CREATED, target=token,
                 changes={"scopes": [None, scopes]})
    return token, raw


@transaction.atomic
def api_token_revoke(*, actor: User | None, token: ApiToken) -> ApiToken:
    if actor is not None and actor.pk != token.user_id:
        require_permission(actor, "accounts.manage_apitokens")
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        audit_record(actor=actor, action=AuditAction.TOKEN_REVOKED, target=token)
    return token


def api_token_authenticate(raw: str) -> ApiToken | None:
    """The usable token for this secret, its last-used time refreshed (at most once a minute,
    so that busy integrations do not write on every request)."""
    if not raw.startswith(TOKEN_PREFIX):
        return None
    now = timezone.now()
    token = (ApiToken.objects.usable(now).select_related("user")
             .filter(digest=token_digest(raw)).first())
    if token is None:
        return None
    stale = now - timedelta(seconds=settings.PINGJIA_TOKEN_TOUCH_SECONDS)
    if token.last_used_at is None or token.last_used_at < stale:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token


def personal_data_reencrypt(*, actor: User | None, batch_size: int = 500) -> dict[str, int]:
    """Encrypt every personal-data value again under the newest key, after a new key was put
    first in PINGJIA_FIELD_KEYS; then the old keys can be removed. Rows per model are returned.
    The keyed hashes do not change (the lookup key is not rotated)."""
    from django.apps import apps

    counts: dict[str, int] = {}
    for model in apps.get_models():
        fields = [f.name for f in model._meta.concrete_fields
                  if isinstance(f, EncryptedTextField)]
        if not fields:
            continue
        count = 0
        rows = model._base_manager.only("pk", *fields).order_by("pk")
        for obj in rows.iterator(chunk_size=batch_size):
            values = {name: getattr(obj, name) for name in fields}
            model._base_manager.filter(pk=obj.pk).update(**values)
            count += 1
        counts[model._meta.label] = count
        audit_record(actor=actor, action=AuditAction.PERSONAL_DATA_REENCRYPTED,
                     note=f"{model._meta.label}: {count}")
    return counts
