from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import UserCreationForm
from django.db import models, transaction
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from pingjia.accounts import services
from pingjia.accounts.models import (
    ApiToken,
    AuditAction,
    AuditEntry,
    Department,
    Membership,
    Organisation,
    Store,
    User,
)


class AuditedAdmin(admin.ModelAdmin):
    """Every save and delete made in the admin is written to the audit trail, with the values
    before and after; memberships are granted and revoked through the services."""

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        before = services.snapshot(type(obj).objects.get(pk=obj.pk)) if change else {}
        super().save_model(request, obj, form, change)
        changes = services.changes_between(type(obj), before, services.snapshot(obj))
        if changes or not change:
            services.audit_record(actor=request.user,  # type: ignore[arg-type]
                                  action=AuditAction.CHANGED if change else AuditAction.CREATED,
                                  target=obj, changes=changes)

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        with transaction.atomic():
            services.audit_record(actor=request.user,  # type: ignore[arg-type]
                                  action=AuditAction.DELETED, target=obj,
                                  changes=services.changes_between(type(obj),
                                                                   services.snapshot(obj), {}))
            super().delete_model(request, obj)

    def delete_queryset(self, request: HttpRequest, queryset: Any) -> None:
        for obj in queryset:
            self.delete_model(request, obj)

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        if formset.model is not Membership:
            super().save_formset(request, form, formset, change)
            return
        actor = request.user
        for membership in formset.save(commit=False):
            if membership.pk:  # an edited row: the old role goes, the new one comes
                old = Membership.objects.get(pk=membership.pk)
                services.membership_revoke(actor=actor, membership=old)  # type: ignore[arg-type]
            services.membership_grant(actor=actor, user=membership.user,  # type: ignore[arg-type]
                                      department=membership.department, role=membership.role)
        for membership in formset.deleted_objects:
            services.membership_revoke(actor=actor, membership=membership)  # type: ignore[arg-type]


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 1
    autocomplete_fields = ["user"]


class UserMembershipInline(MembershipInline):
    autocomplete_fields = ["department"]


@admin.register(Organisation)
class OrganisationAdmin(AuditedAdmin):
    list_display = ["name"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return not Organisation.objects.exists() and super().has_add_permission(request)


@admin.register(Department)
class DepartmentAdmin(AuditedAdmin):
    list_display = ["code", "name", "sort_order", "is_active"]
    list_filter = ["is_active"]
    list_editable = ["sort_order"]
    search_fields = ["code", "name"]
    inlines = [MembershipInline]


@admin.register(Store)
class StoreAdmin(AuditedAdmin):
    list_display = ["code", "name", "city", "department", "is_active"]
    list_filter = ["is_active", "city", "department"]
    search_fields = ["code", "name", "city", "address"]
    list_select_related = ["department"]


class UserCreateForm(UserCreationForm):
    class Meta:
        model = User
        fields = ["username", "name"]


class UserChangeForm(forms.ModelForm):
    """The phone number is personal data: the form shows it masked and only replaces it."""

    new_phone = forms.CharField(label=_("New mobile phone"), required=False, max_length=30,
                                help_text=_("Leave empty to keep the current number."))
    clear_phone = forms.BooleanField(label=_("Remove the mobile phone"), required=False)

    class Meta:
        model = User
        fields = ["username", "name", "email", "language", "is_active", "is_superuser"]

    def save(self, commit: bool = True) -> Any:
        user = super().save(commit=False)
        if self.cleaned_data.get("clear_phone"):
            user.phone = ""
        elif self.cleaned_data.get("new_phone"):
            user.phone = self.cleaned_data["new_phone"].strip()
        if commit:
            user.save()
        return user


@admin.register(User)
class UserAdmin(AuditedAdmin, DjangoUserAdmin):
    form = UserChangeForm
    add_form = UserCreateForm
    list_display = ["username", "name", "email", "is_active", "is_superuser", "last_login",
                    "locked_until"]
    list_filter = ["is_active", "is_superuser", "memberships__role", "memberships__department"]
    search_fields = ["username", "name", "email"]
    ordering = ["username"]
    readonly_fields = ["phone_masked", "last_login", "date_joined", "failed_logins",
                       "locked_until"]
    fieldsets = [
        (None, {"fields": ["username", "password", "name", "email", "language"]}),
        (_("Mobile phone"), {"fields": ["phone_masked", "new_phone", "clear_phone"]}),
        (_("Status"), {"fields": ["is_active", "is_superuser", "last_login", "date_joined",
                                  "failed_logins", "locked_until"]}),
    ]
    add_fieldsets = [(None, {"fields": ["username", "name", "password1", "password2"]})]
    filter_horizontal = ()
    inlines = [UserMembershipInline]
    actions = ["unlock"]

    @admin.display(description=_("Mobile phone"))
    def phone_masked(self, user: User) -> str:
        return user.phone_masked or "—"

    @admin.action(description=_("Unlock the selected accounts"))
    def unlock(self, request: HttpRequest, queryset: models.QuerySet[User]) -> None:
        for user in queryset:
            services.user_unlock(actor=request.user, user=user)  # type: ignore[arg-type]
        self.message_user(request, _("Unlocked."), messages.SUCCESS)


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Tokens are made where the secret can be shown once (the token page, `pingjia token`);
    here they are listed and revoked."""

    list_display = ["name", "user", "prefix", "created_at", "last_used_at", "expires_at",
                    "revoked_at"]
    list_filter = ["revoked_at"]
    search_fields = ["name", "user__username", "prefix"]
    readonly_fields = ["user", "name", "prefix", "scopes", "created_at", "expires_at",
                       "last_used_at", "revoked_at"]
    actions = ["revoke"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.action(description=_("Revoke the selected tokens"),
                  permissions=["change"])
    def revoke(self, request: HttpRequest, queryset: models.QuerySet[ApiToken]) -> None:
        for token in queryset:
            services.api_token_revoke(actor=request.user, token=token)  # type: ignore[arg-type]
        self.message_user(request, _("Revoked."), messages.SUCCESS)


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    list_display = ["at", "actor_name", "action", "target_type", "target_repr", "ip"]
    list_filter = ["action", "target_type"]
    search_fields = ["actor_name", "target_repr", "note"]
    date_hierarchy = "at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
