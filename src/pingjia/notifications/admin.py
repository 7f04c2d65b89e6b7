"""Group robots in the admin: the credentials are written, never shown again; a test message
checks the setup; the delivery log is read-only."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from django import forms
from django.contrib import admin, messages
from django.db import models
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from pingjia.accounts.admin import AuditedAdmin
from pingjia.notifications import services
from pingjia.notifications.models import NotificationKind, Robot, RobotMessage


class RobotForm(forms.ModelForm):
    new_webhook_url = forms.URLField(
        label=_("Webhook address"), required=False, max_length=500, assume_scheme="https",
        widget=forms.PasswordInput(render_value=False),
        help_text=_("From the group's robot settings. Leave empty to keep the current one."))
    new_secret = forms.CharField(
        label=_("Signing secret"), required=False, max_length=200,
        widget=forms.PasswordInput(render_value=False),
        help_text=_("DingTalk: SEC…; Feishu: the signature key. Leave empty to keep the "
                    "current one."))
    clear_secret = forms.BooleanField(label=_("Remove the signing secret"), required=False)
    kinds = forms.MultipleChoiceField(label=_("Posts"), required=False,
                                      choices=NotificationKind.choices,
                                      widget=forms.CheckboxSelectMultiple)

    class Meta:
        model = Robot
        fields = ["name", "department", "kind", "kinds", "per_minute", "is_active"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not self.instance.pk and not data.get("new_webhook_url"):
            self.add_error("new_webhook_url", _("A new robot needs its webhook address."))
        return data

    def save(self, commit: bool = True) -> Any:
        robot = super().save(commit=False)
        if self.cleaned_data.get("new_webhook_url"):
            robot.webhook_url = self.cleaned_data["new_webhook_url"].strip()
        if self.cleaned_data.get("clear_secret"):
            robot.secret = ""
        elif self.cleaned_data.get("new_secret"):
            robot.secret = self.cleaned_data["new_secret"].strip()
        if commit:
            robot.save()
        return robot


@admin.register(Robot)
class RobotAdmin(AuditedAdmin):
    form = RobotForm
    list_display = ["name", "department", "kind", "webhook_host", "is_active", "per_minute"]
    list_filter = ["kind", "is_active", "department"]
    search_fields = ["name"]
    list_select_related = ["department"]
    readonly_fields = ["webhook_host", "has_secret"]
    fieldsets = [
        (None, {"fields": ["name", "department", "kind", "kinds", "per_minute", "is_active"]}),
        (_("Credentials"), {"fields": ["webhook_host", "new_webhook_url", "has_secret",
                                       "new_secret", "clear_secret"]}),
    ]
    actions = ["send_test"]

    @admin.display(description=_("Webhook host"))
    def webhook_host(self, robot: Robot) -> str:
        return (urlsplit(robot.webhook_url).hostname if robot.webhook_url else None) or "—"

    @admin.display(description=_("Signing secret"), boolean=True)
    def has_secret(self, robot: Robot) -> bool:
        return bool(robot.secret)

    @admin.action(description=_("Send a test message"), permissions=["change"])
    def send_test(self, request: HttpRequest, queryset: models.QuerySet[Robot]) -> None:
        for robot in queryset:
            message = services.robot_send_test(robot_id=robot.pk)
            if message.status == RobotMessage.Status.SENT:
                self.message_user(request, _("%(robot)s: the test message was sent.")
                                  % {"robot": robot}, messages.SUCCESS)
            elif message.error:
                self.message_user(request, _("%(robot)s: the test message failed: %(error)s")
                                  % {"robot": robot, "error": message.error}, messages.ERROR)
            else:
                self.message_user(request, _("%(robot)s: the test message waits for the "
                                             "robot's limit per minute.") % {"robot": robot},
                                  messages.WARNING)


@admin.register(RobotMessage)
class RobotMessageAdmin(admin.ModelAdmin):
    list_display = ["created_at", "robot", "kind", "title", "status", "attempts", "sent_at",
                    "error"]
    list_filter = ["status", "kind", "robot"]
    list_select_related = ["robot"]
    date_hierarchy = "created_at"
    exclude = ["lines", "event"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
