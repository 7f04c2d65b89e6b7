"""Telling people that a case waits for them: the in-app list, each person's choices of how
they are told, and the departments' group robots (企业微信, 钉钉, 飞书) with their delivery log."""

from __future__ import annotations

from typing import Any, ClassVar

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from pingjia.accounts.models import Department
from pingjia.cases.models import Case, CaseEvent
from pingjia.core.fields import EncryptedTextField


class NotificationKind(models.TextChoices):
    TASK = "task", _("New task for me")
    AT_RISK = "at_risk", _("Deadline near")
    OVERDUE = "overdue", _("Overdue")
    ESCALATED = "escalated", _("Escalated")
    FINDING = "finding", _("Supervision finding")
    CLOSED = "closed", _("Case closed or cancelled")
    SPIKE = "spike", _("Recurring issue spiking")


# Alerts the deadline sweep raises for many cases at once: robots post them as one digest.
DIGEST_KINDS = frozenset({NotificationKind.AT_RISK, NotificationKind.OVERDUE})


class Way(models.TextChoices):
    IN_APP = "in_app", _("In the application")
    EMAIL = "email", _("E-mail")


# What a person gets before choosing: everything in the application, e-mail for what needs
# them to act or to answer for lateness; a closed case is only worth the in-app line.
DEFAULT_WAYS: dict[str, frozenset[str]] = {
    NotificationKind.TASK: frozenset({Way.IN_APP, Way.EMAIL}),
    NotificationKind.AT_RISK: frozenset({Way.IN_APP}),
    NotificationKind.OVERDUE: frozenset({Way.IN_APP, Way.EMAIL}),
    NotificationKind.ESCALATED: frozenset({Way.IN_APP, Way.EMAIL}),
    NotificationKind.FINDING: frozenset({Way.IN_APP, Way.EMAIL}),
    NotificationKind.CLOSED: frozenset({Way.IN_APP}),
    NotificationKind.SPIKE: frozenset({Way.IN_APP, Way.EMAIL}),
}


class NotificationQuerySet(models.QuerySet):
    def for_user(self, user: Any) -> NotificationQuerySet:
        """A person's own in-app notifications; nobody sees another's."""
        return self.filter(user=user, in_app=True)

    def unread(self) -> NotificationQuerySet:
        return self.filter(read_at__isnull=True)


class Notification(models.Model):
    """One case event told to one person. The row exists whenever the person is told in any
    way (`in_app`, `by_email`), so that running the event's task again tells nobody twice.
    A notification about no case (a recurring issue's spike) has neither case nor event; its
    sender keeps it from being sent twice."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="notifications", verbose_name=_("user"))
    case = models.ForeignKey(Case, null=True, blank=True, on_delete=models.CASCADE,
                             related_name="notifications", verbose_name=_("case"))
    event = models.ForeignKey(CaseEvent, null=True, blank=True, on_delete=models.CASCADE,
                              related_name="+")
    kind = models.CharField(_("kind"), max_length=12, choices=NotificationKind.choices)
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("text"), blank=True)
    url = models.CharField(max_length=300)
    created_at = models.DateTimeField(_("time"), default=timezone.now)
    read_at = models.DateTimeField(_("read"), null=True, blank=True)
    in_app = models.BooleanField(default=True)
    by_email = models.BooleanField(default=False)
    emailed_at = models.DateTimeField(null=True, blank=True)

    objects: ClassVar[NotificationQuerySet] = NotificationQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        constraints = [models.UniqueConstraint(fields=["event", "user"],
                                               name="notification_once_per_event")]
        indexes = [
            models.Index(fields=["user", "-created_at"], name="notification_user_time"),
            # The header's unread count, on every page.
            models.Index(fields=["user"], name="notification_unread",
                         condition=models.Q(read_at__isnull=True, in_app=True)),
        ]

    def __str__(self) -> str:
        return self.title


class NotificationPreference(models.Model):
    """How a person wants to be told of one kind of notification; no row: `DEFAULT_WAYS`."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="notification_preferences")
    kind = models.CharField(_("kind"), max_length=12, choices=NotificationKind.choices)
    in_app = models.BooleanField(_("in the application"), default=True)
    email = models.BooleanField(_("by e-mail"), default=False)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "kind"],
                                               name="notification_preference_unique")]

    def __str__(self) -> str:
        return f"{self.user_id} {self.kind}"


class Robot(models.Model):
    """A group chat robot that posts a department's case alerts. The webhook address (WeCom's
    carries its key) and the signing secret are credentials: stored encrypted, never shown."""

    class Kind(models.TextChoices):
        WECOM = "wecom", _("WeCom (企业微信)")
        DINGTALK = "dingtalk", _("DingTalk (钉钉)")
        FEISHU = "feishu", _("Feishu (飞书)")

    name = models.CharField(_("name"), max_length=80)
    department = models.ForeignKey(
        Department, null=True, blank=True, on_delete=models.CASCADE, related_name="robots",
        verbose_name=_("department"),
        help_text=_("Empty: posts about the cases of every department, and about cases not "
                    "yet assigned."))
    kind = models.CharField(_("platform"), max_length=10, choices=Kind.choices)
    webhook_url = EncryptedTextField(_("webhook address"))
    secret = EncryptedTextField(
        _("signing secret"), blank=True,
        help_text=_("DingTalk and Feishu robots with signing (加签) enabled; WeCom has none."))
    kinds = models.JSONField(_("posts"), default=list, blank=True)
    per_minute = models.PositiveSmallIntegerField(
        _("messages per minute"), default=20,
        help_text=_("WeCom and DingTalk accept 20 a minute; the rest wait for the next "
                    "minute."))
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)

    class Meta:
        ordering = ["department__code", "name"]
        verbose_name = _("group robot")
        verbose_name_plural = _("group robots")

    def __str__(self) -> str:
        return self.name

    def posts(self, kind: str) -> bool:
        return kind in self.kinds


class RobotMessage(models.Model):
    """One message to a robot and what became of it: the delivery log. Deadline alerts wait
    as `digest_item`s and are folded into one digest message per robot."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")
        MERGED = "merged", _("In a digest")

    TEST = "test"

    robot = models.ForeignKey(Robot, on_delete=models.CASCADE, related_name="messages",
                              verbose_name=_("robot"))
    kind = models.CharField(_("kind"), max_length=12,
                            choices=[*NotificationKind.choices, (TEST, _("Test message"))])
    case = models.ForeignKey(Case, null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="+", verbose_name=_("case"))
    event = models.ForeignKey(CaseEvent, null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="+")
    title = models.CharField(_("title"), max_length=200)
    # [[text, url or ""], …]: case numbers, states, departments and links, never personal data.
    lines = models.JSONField(default=list)
    digest_item = models.BooleanField(default=False)
    digest = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL,
                               related_name="items", verbose_name=_("digest"))
    status = models.CharField(_("status"), max_length=8, choices=Status.choices,
                              default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    error = models.TextField(_("error"), blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    next_attempt_at = models.DateTimeField(_("next attempt"), default=timezone.now)
    attempted_at = models.DateTimeField(_("last attempt"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("robot message")
        verbose_name_plural = _("robot messages")
        constraints = [models.UniqueConstraint(fields=["robot", "event"],
                                               name="robot_message_once_per_event")]
        indexes = [
            models.Index(fields=["robot", "status", "next_attempt_at"],
                         name="robot_message_queue"),
            models.Index(fields=["robot", "attempted_at"], name="robot_message_window"),
        ]

    def __str__(self) -> str:
        return f"{self.robot_id} {self.title}"
