"""The organisation: departments, stores, people and their roles; API tokens; the audit trail."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar, Self

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from pingjia.accounts.roles import Role
from pingjia.core.fields import BlindIndexField, EncryptedTextField
from pingjia.core.masking import mask_phone

if TYPE_CHECKING:
    from pingjia.accounts.access import Scope


class Organisation(models.Model):
    """The company using this installation; one row."""

    name = models.CharField(_("name"), max_length=100)

    class Meta:
        verbose_name = _("organisation")
        verbose_name_plural = _("organisation")

    def __str__(self) -> str:
        return self.name

    @classmethod
    def current(cls) -> Organisation:
        organisation = cls.objects.order_by("pk").first()
        return organisation or cls(name=str(_("Pingjia")))


class ScopedQuerySet(models.QuerySet):
    """A queryset whose rows belong to departments; `visible_to` keeps what a user may view.

    Subclasses say how a row reaches its departments in `department_lookup`."""

    department_lookup = "department"
    view_permission = ""

    def visible_to(self, user: Any) -> Self:
        from pingjia.accounts.access import scope_of

        departments = scope_of(user).departments_with(self.view_permission)
        if departments is None:
            return self
        return self.filter(**{f"{self.department_lookup}__in": departments}).distinct()


class DepartmentQuerySet(ScopedQuerySet):
    department_lookup = "pk"
    view_permission = "accounts.view_department"

    def active(self) -> DepartmentQuerySet:
        return self.filter(is_active=True)


class Department(models.Model):
    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=60, unique=True)
    description = models.TextField(_("description"), blank=True)
    sort_order = models.PositiveIntegerField(_("sort order"), default=100)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)

    objects: ClassVar[DepartmentQuerySet] = DepartmentQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        ordering = ["sort_order", "code"]
        verbose_name = _("department")
        verbose_name_plural = _("departments")

    def __str__(self) -> str:
        return self.name

    def scope_department_ids(self) -> set[int]:
        return {self.pk}

    def heads(self) -> list[User]:
        return [m.user for m in self.memberships.all() if m.role == Role.DEPARTMENT_HEAD]


class StoreQuerySet(ScopedQuerySet):
    view_permission = "accounts.view_store"


class Store(models.Model):
    """A store, branch or outlet (门店) — also an online shop that has its own reviews."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100)
    city = models.CharField(_("city"), max_length=40, blank=True)
    address = models.CharField(_("address"), max_length=200, blank=True)
    department = models.ForeignKey(
        Department, verbose_name=_("responsible department"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="stores",
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)

    objects: ClassVar[StoreQuerySet] = StoreQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        ordering = ["code"]
        verbose_name = _("store")
        verbose_name_plural = _("stores")

    def __str__(self) -> str:
        return self.name

    def scope_department_ids(self) -> set[int]:
        return {self.department_id} if self.department_id else set()


class UserQuerySet(ScopedQuerySet):
    department_lookup = "memberships__department"
    view_permission = "accounts.view_user"


class UserManager(BaseUserManager.from_queryset(UserQuerySet)):  # type: ignore[misc]
    use_in_migrations = True

    def create_user(self, username: str, password: str | None = None, **fields: Any) -> User:
        user = self.model(username=username, **fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, username: str, password: str | None = None, **fields: Any) -> User:
        return self.create_user(username, password, is_superuser=True, **fields)


class User(AbstractBaseUser, PermissionsMixin):
    """A member of staff. Roles come from memberships, not from the `groups` field."""

    username = models.CharField(_("username"), max_length=40, unique=True)
    name = models.CharField(_("full name"), max_length=60)
    email = models.EmailField(_("e-mail"), blank=True)
    phone = EncryptedTextField(_("mobile phone"), blank=True)
    phone_hash = BlindIndexField(source="phone", kind="phone")
    language = models.CharField(_("language"), max_length=10, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    date_joined = models.DateTimeField(_("joined"), default=timezone.now)
    failed_logins = models.PositiveIntegerField(_("failed log-ins in a row"), default=0)
    locked_until = models.DateTimeField(_("locked until"), null=True, blank=True)

    objects: ClassVar[UserManager] = UserManager()

    USERNAME_FIELD = "username"
    REQUIRED_FIELDS = ["name"]

    class Meta:
        ordering = ["username"]
        verbose_name = _("user")
        verbose_name_plural = _("users")
        permissions = [("view_personal_data", _("Can view unmasked personal data"))]

    def __str__(self) -> str:
        return f"{self.name} ({self.username})" if self.name else self.username

    @property
    def is_staff(self) -> bool:
        """Django admin access: superusers and administrators."""
        return self.is_active and (self.is_superuser or Role.ADMINISTRATOR in self.scope.roles)

    @property
    def scope(self) -> Scope:
        from pingjia.accounts.access import scope_of

        return scope_of(self)

    @property
    def phone_masked(self) -> str:
        return mask_phone(self.phone)

    def is_locked(self, now: datetime) -> bool:
        return self.locked_until is not None and self.locked_until > now

    def scope_department_ids(self) -> set[int]:
        return {m.department_id for m in self.memberships.all()}


class Membership(models.Model):
    """`user` holds `role` in `department`."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships",
                             verbose_name=_("user"))
    department = models.ForeignKey(Department, on_delete=models.CASCADE,
                                   related_name="memberships", verbose_name=_("department"))
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    created_at = models.DateTimeField(_("since"), default=timezone.now, editable=False)

    class Meta:
        ordering = ["department__sort_order", "department__code", "role"]
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.UniqueConstraint(fields=["user", "department", "role"],
                                    name="membership_unique_role_in_department"),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.department} · {self.get_role_display()}"


class TokenScope(models.TextChoices):
    """What an API token may be used for; the token's user must also hold the permission."""

    ORG_READ = "org:read", _("Read departments, stores and people")
    AUDIT_READ = "audit:read", _("Read the audit trail")
    REVIEWS_READ = "reviews:read", _("Read reviews")
    REVIEWS_WRITE = "reviews:write", _("Push reviews")
    CASES_READ = "cases:read", _("Read cases")
    CASES_WRITE = "cases:write", _("Open cases and act on them")
    METRICS_READ = "metrics:read", _("Read KPIs")


class ApiTokenQuerySet(models.QuerySet):
    def usable(self, now: datetime) -> ApiTokenQuerySet:
        return self.filter(revoked_at__isnull=True, user__is_active=True).filter(
            models.Q(expires_at__isnull=True) | models.Q(expires_at__gt=now)
        )


class ApiToken(models.Model):
    """A bearer token for an integration. Only a SHA-256 digest of the secret is stored; the
    secret is shown once, when the token is made."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens",
                             verbose_name=_("user"))
    name = models.CharField(_("name"), max_length=80)
    prefix = models.CharField(_("prefix"), max_length=16, editable=False)
    digest = models.CharField(max_length=64, unique=True, editable=False)
    scopes = models.JSONField(_("scopes"), default=list)
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True, editable=False)

    objects: ClassVar[ApiTokenQuerySet] = ApiTokenQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        permissions = [("manage_apitokens", _("Can manage other people's API tokens"))]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    def is_usable(self, now: datetime) -> bool:
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)


class AuditEntryQuerySet(models.QuerySet):
    def visible_to(self, user: Any) -> AuditEntryQuerySet:
        from pingjia.accounts.access import scope_of

        if scope_of(user).departments_with("accounts.view_auditentry") is None:
            return self
        return self.none()

    def update(self, **kwargs: Any) -> int:
        raise PermissionDenied("The audit trail is append-only.")

    def delete(self) -> Any:
        raise PermissionDenied("The audit trail is append-only.")


class AuditAction(models.TextChoices):
    """Every kind of act the audit trail records. Later apps add theirs here, so an auditor
    finds the whole vocabulary in one place."""

    LOGIN = "login", _("Logged in")
    LOGIN_FAILED = "login_failed", _("Log-in failed")
    LOGIN_LOCKED = "login_locked", _("Account locked after failed log-ins")
    LOGOUT = "logout", _("Logged out")
    PASSWORD_CHANGED = "password_changed", _("Password changed")
    ACCOUNT_UNLOCKED = "account_unlocked", _("Account unlocked")
    CREATED = "created", _("Created")
    CHANGED = "changed", _("Changed")
    DELETED = "deleted", _("Deleted")
    ROLE_GRANTED = "role_granted", _("Role granted")
    ROLE_REVOKED = "role_revoked", _("Role revoked")
    TOKEN_CREATED = "token_created", _("API token created")
    TOKEN_REVOKED = "token_revoked", _("API token revoked")
    PERSONAL_DATA_VIEWED = "personal_data_viewed", _("Unmasked personal data viewed")
    PERSONAL_DATA_REENCRYPTED = "personal_data_reencrypted", _("Personal data re-encrypted")
    IMPORTED = "imported", _("Reviews imported")
    REVIEWS_EXPORTED = "reviews_exported", _("Reviews exported")
    LABELS_CORRECTED = "labels_corrected", _("Analysis corrected")
    MODEL_ACTIVATED = "model_activated", _("Analysis model activated")
    ISSUE_RENAMED = "issue_renamed", _("Recurring issue renamed")
    ISSUE_MERGED = "issue_merged", _("Recurring issue merged")
    ISSUE_SPLIT = "issue_split", _("Reviews split off a recurring issue")
    ISSUE_DISMISSED = "issue_dismissed", _("Recurring issue dismissed")


class AuditEntry(models.Model):
    """Who did what to which object, when, with the values before and after.

    Written by services only (`pingjia.accounts.services.audit_record`); never updated: the
    database refuses UPDATE on this table (migration 0002), and the ORM refuses update and
    delete. `changes` maps a field to `[before, after]`; personal data appears as a mask."""

    at = models.DateTimeField(_("time"), default=timezone.now, db_index=True)
    # PROTECT: a person with a history is deactivated, never deleted.
    actor = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT,
                              related_name="+", verbose_name=_("actor"))
    actor_name = models.CharField(_("actor"), max_length=120)
    action = models.CharField(_("action"), max_length=40, choices=AuditAction.choices)
    target_type = models.ForeignKey(ContentType, null=True, blank=True,
                                    on_delete=models.PROTECT, verbose_name=_("object type"))
    target_id = models.CharField(_("object id"), max_length=64, blank=True)
    target_repr = models.CharField(_("object"), max_length=200, blank=True)
    changes = models.JSONField(_("changes"), default=dict, blank=True)
    note = models.TextField(_("note"), blank=True)
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)

    objects: ClassVar[AuditEntryQuerySet] = AuditEntryQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        ordering = ["-at", "-pk"]
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit trail")
        indexes = [
            models.Index(fields=["target_type", "target_id", "at"], name="audit_target"),
            models.Index(fields=["actor", "at"], name="audit_actor"),
            models.Index(fields=["action", "at"], name="audit_action"),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_name} {self.get_action_display()}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise PermissionDenied("The audit trail is append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise PermissionDenied("The audit trail is append-only.")
