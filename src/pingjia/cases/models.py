"""Rectification cases (整改单): the case, its rounds, its timeline, its stage clock, and the
organisation's rules for opening, routing and timing cases."""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar, Self

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from pingjia.accounts.models import Department, Store
from pingjia.analysis.models import Category
from pingjia.cases.workflow import (
    OPEN,
    TERMINAL,
    Action,
    CancelReason,
    Priority,
    StageStatus,
    State,
    Verdict,
)
from pingjia.core.errors import ConflictError
from pingjia.reviews.models import Customer, Review


class CaseQuerySet(models.QuerySet):
    def visible_to(self, user: Any) -> Self:
        """Organisation-wide viewers see every case; department roles the cases whose lead
        or co-department is theirs."""
        from pingjia.accounts.access import scope_of

        departments = scope_of(user).departments_with("cases.view_case")
        if departments is None:
            return self
        involved = models.Q(lead_department__in=departments) | models.Q(
            pk__in=Case.co_departments.through.objects.filter(
                department__in=departments).values("case"))
        return self.filter(involved)

    def open(self) -> Self:
        return self.filter(state__in=OPEN)

    def overdue(self) -> Self:
        return self.filter(state__in=OPEN, stage_status=StageStatus.OVERDUE)


class Case(models.Model):
    """A rectification case for one customer's problem: one or more negative reviews.

    `state`, the stage clock (`stage_*`) and `version` change only through
    `pingjia.cases.services`, which lock the row and check the version, so that two people
    acting at once cannot both succeed on a stale view."""

    class Source(models.TextChoices):
        AUTOMATIC = "automatic", _("Opened automatically for a negative review")
        REVIEW = "review", _("Opened from a review")
        COMPLAINT = "complaint", _("Complaint registered by customer service")

    title = models.CharField(_("title"), max_length=120)
    source = models.CharField(_("opened"), max_length=12, choices=Source.choices)
    state = models.CharField(_("state"), max_length=12, choices=State.choices,
                             default=State.REGISTERED, db_index=True)
    round = models.PositiveSmallIntegerField(_("round"), default=1)
    version = models.PositiveIntegerField(default=1, editable=False)
    category = models.ForeignKey(Category, null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="cases", verbose_name=_("category"))
    priority = models.CharField(_("priority"), max_length=8, choices=Priority.choices,
                                default=Priority.NORMAL)
    store = models.ForeignKey(Store, null=True, blank=True, on_delete=models.PROTECT,
                              related_name="cases", verbose_name=_("store"))
    customer = models.ForeignKey(Customer, null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="cases", verbose_name=_("customer"))
    reviews = models.ManyToManyField(Review, related_name="cases", verbose_name=_("reviews"))
    proposed_department = models.ForeignKey(
        Department, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        verbose_name=_("proposed department"))
    lead_department = models.ForeignKey(
        Department, null=True, blank=True, on_delete=models.PROTECT, related_name="cases",
        verbose_name=_("lead department"))
    co_departments = models.ManyToManyField(Department, blank=True, related_name="co_cases",
                                            verbose_name=_("co-departments"))
    handler = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                on_delete=models.PROTECT, related_name="handled_cases",
                                verbose_name=_("handler"))
    opened_at = models.DateTimeField(_("opened"), default=timezone.now, db_index=True)
    opened_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                  on_delete=models.PROTECT, related_name="+",
                                  verbose_name=_("opened by"))
    # The clock of the current stage, kept by the services and the sweep.
    stage_entered_at = models.DateTimeField(_("stage entered"), default=timezone.now)
    stage_due_at = models.DateTimeField(_("stage due"), null=True, blank=True, db_index=True)
    stage_risk_at = models.DateTimeField(null=True, blank=True, editable=False)
    stage_status = models.CharField(_("deadline"), max_length=8, choices=StageStatus.choices,
                                    default=StageStatus.NONE)
    paused_since = models.DateTimeField(_("waiting for the customer since"), null=True,
                                        blank=True)
    escalation_level = models.PositiveSmallIntegerField(
        _("escalation"), default=0,
        help_text=_("0: not escalated; 1: to the department head; 2: to the review manager."))
    cancel_reason = models.CharField(_("cancelled because"), max_length=12, blank=True,
                                     choices=CancelReason.choices)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)

    objects: ClassVar[CaseQuerySet] = CaseQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        ordering = ["-opened_at", "-pk"]
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        permissions = [
            ("assign_case", _("Can assign, reassign and open cases for departments")),
            ("accept_case", _("Can accept cases and review them for the department")),
            ("handle_case", _("Can plan, carry out and report cases")),
            ("audit_case", _("Can audit cases, inform and follow up customers")),
            ("cancel_case", _("Can cancel cases")),
            ("comment_case", _("Can add notes and customer contacts to cases")),
            ("inspect_case", _("Can leave supervision findings on cases")),
        ]
        indexes = [
            models.Index(fields=["lead_department", "state"], name="case_department_state"),
            models.Index(fields=["handler", "state"], name="case_handler_state"),
            models.Index(fields=["state", "stage_status"], name="case_state_deadline"),
            models.Index(fields=["customer", "state"], name="case_customer_state"),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"

    @property
    def number(self) -> str:
        return f"ZG{self.opened_at:%Y}{self.pk or 0:06d}"

    @property
    def is_open(self) -> bool:
        return self.state in OPEN

    @property
    def is_paused(self) -> bool:
        return self.paused_since is not None

    def scope_department_ids(self) -> set[int]:
        ids = {d.pk for d in self.co_departments.all()}
        if self.lead_department_id:
            ids.add(self.lead_department_id)
        return ids

    def require_version(self, version: int | None) -> None:
        """ConflictError when the caller acted on an older view of the case."""
        if version is not None and version != self.version:
            raise ConflictError(
                str(_("The case changed since you opened it; reload it and try again.")),
                code="stale_version", details={"version": self.version})

    def is_terminal(self) -> bool:
        return self.state in TERMINAL

    def time_left(self, now: datetime) -> str:
        """The current stage's time left, negative when overdue, for queues: 3h, 2d 4h, -5h."""
        if self.stage_due_at is None:
            return ""
        seconds = int((self.stage_due_at - now).total_seconds())
        days, hours = divmod(abs(seconds) // 3600, 24)
        sign = "-" if seconds < 0 else ""
        return f"{sign}{days}d {hours}h" if days else f"{sign}{hours}h"


class CaseRound(models.Model):
    """One round of rectification: its plan, report, the department's feedback form
    (差评整改反馈表), the audit and the customer's verdict. A customer who is not satisfied
    starts a new round; earlier rounds stay as they were."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="rounds")
    number = models.PositiveSmallIntegerField(_("round"))
    # The department that leads the round: the case's lead department while the round runs
    # (a reassignment moves it); an earlier round keeps the department that led it. The KPIs
    # count a round for it, without a join to the case.
    department = models.ForeignKey(Department, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+", verbose_name=_("lead department"))
    # The case's store and category, which the services keep equal to the case's: the KPIs
    # find an earlier rectification of a department, store and category in one index.
    store = models.ForeignKey(Store, null=True, blank=True, on_delete=models.PROTECT,
                              related_name="+", verbose_name=_("store"))
    category = models.ForeignKey(Category, null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="+", verbose_name=_("category"))
    started_at = models.DateTimeField(_("started"), default=timezone.now)
    plan_measures = models.TextField(_("measures"), blank=True)
    plan_deadline = models.DateTimeField(_("rectification deadline"), null=True, blank=True)
    plan_goal = models.TextField(_("expected goal"), blank=True)
    planned_at = models.DateTimeField(_("planned"), null=True, blank=True)
    report_text = models.TextField(_("what was done"), blank=True)
    report_evidence = models.TextField(_("evidence"), blank=True)
    reported_at = models.DateTimeField(_("reported"), null=True, blank=True)
    feedback_done = models.TextField(_("what was done (department)"), blank=True)
    feedback_root_cause = models.TextField(_("root cause"), blank=True)
    feedback_result = models.TextField(_("result"), blank=True)
    feedback_prevention = models.TextField(_("preventive measures"), blank=True)
    dept_approved_at = models.DateTimeField(_("approved by the department"), null=True,
                                            blank=True)
    rejections = models.PositiveSmallIntegerField(_("audit rejections"), default=0)
    # The plan's deadline, pushed back by the time spent waiting for the customer.
    rectify_due_at = models.DateTimeField(_("rectify by"), null=True, blank=True)
    rectified_at = models.DateTimeField(_("rectified"), null=True, blank=True)
    rectified_on_time = models.BooleanField(_("rectified by the deadline"), null=True)
    informed_at = models.DateTimeField(_("customer informed"), null=True, blank=True)
    inform_channel = models.CharField(_("informed by"), max_length=40, blank=True)
    inform_text = models.TextField(_("what the customer was told"), blank=True)
    followed_up_at = models.DateTimeField(_("followed up"), null=True, blank=True)
    verdict = models.CharField(_("customer's verdict"), max_length=14, blank=True,
                               choices=Verdict.choices)

    class Meta:
        ordering = ["case", "number"]
        constraints = [models.UniqueConstraint(fields=["case", "number"],
                                               name="case_round_unique")]
        # The monthly KPIs count rounds per department by each of these times
        # (pingjia.metrics.selectors); each index covers what its count reads.
        indexes = [
            models.Index(fields=["department", "rectify_due_at", "rectified_at", "case"],
                         name="case_round_due"),
            models.Index(fields=["department", "rectified_at", "rejections", "case"],
                         name="case_round_rectified"),
            models.Index(fields=["department", "followed_up_at", "verdict", "case"],
                         name="case_round_followed_up"),
            models.Index(fields=["department", "started_at", "number", "case"],
                         name="case_round_started"),
            # Is a review a repeat: a rectification of its department, store and category
            # within the window before it (one seek per review).
            models.Index(fields=["department", "store", "category", "rectified_at", "case"],
                         name="case_round_repeat"),
        ]

    def __str__(self) -> str:
        return f"{self.case.number} #{self.number}"


class CaseEventQuerySet(models.QuerySet):
    def update(self, **kwargs: Any) -> int:
        raise PermissionDenied("A case's timeline is append-only.")

    def delete(self) -> Any:
        raise PermissionDenied("A case's timeline is append-only.")


class CaseEvent(models.Model):
    """One line of a case's timeline: who did what, when, and the values before and after.
    Written by the services only, never changed."""

    class Kind(models.TextChoices):
        OPENED = "opened", _("Opened")
        REVIEW_ATTACHED = "review_attached", _("Review attached")
        AT_RISK = "at_risk", _("Deadline near")
        OVERDUE = "overdue", _("Overdue")
        AUTO_ESCALATED = "auto_escalated", _("Escalated automatically")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="events")
    round = models.PositiveSmallIntegerField(_("round"))
    at = models.DateTimeField(_("time"), default=timezone.now)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                              on_delete=models.PROTECT, related_name="+",
                              verbose_name=_("by"))
    kind = models.CharField(_("event"), max_length=20)
    state_before = models.CharField(max_length=12, blank=True, choices=State.choices)
    state_after = models.CharField(max_length=12, blank=True, choices=State.choices)
    changes = models.JSONField(_("changes"), default=dict, blank=True)
    note = models.TextField(_("note"), blank=True)

    objects: ClassVar[CaseEventQuerySet] = CaseEventQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        ordering = ["at", "pk"]
        indexes = [models.Index(fields=["case", "at"], name="case_event_time"),
                   # Rejections and escalations of a month (KPIs).
                   models.Index(fields=["kind", "at"], name="case_event_kind_time")]

    def __str__(self) -> str:
        return f"{self.case_id} {self.kind} {self.at:%Y-%m-%d %H:%M}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise PermissionDenied("A case's timeline is append-only.")
        super().save(*args, **kwargs)

    @property
    def label(self) -> str:
        for choices in (Action, CaseEvent.Kind):
            if self.kind in choices.values:
                return str(choices(self.kind).label)
        return self.kind


class CaseStage(models.Model):
    """The time a case spent in one state of one round, against that state's limit. Lateness
    is attributed to the department that held the case (none: the review management)."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="stages")
    round = models.PositiveSmallIntegerField()
    state = models.CharField(max_length=12, choices=State.choices)
    department = models.ForeignKey(Department, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    entered_at = models.DateTimeField()
    left_at = models.DateTimeField(null=True, blank=True)
    due_at = models.DateTimeField(null=True, blank=True)
    overdue = models.BooleanField(default=False)

    class Meta:
        ordering = ["case", "entered_at", "pk"]
        # Stages due and stages ended in a month, per department (and state), for the KPIs:
        # department first, so that the rows come out of the index already grouped (no sort),
        # and covering what those queries read, so that they never touch the table's rows.
        indexes = [models.Index(fields=["department", "due_at", "overdue", "case"],
                                name="case_stage_due"),
                   models.Index(fields=["department", "state", "left_at", "entered_at",
                                        "case"], name="case_stage_left")]

    def __str__(self) -> str:
        return f"{self.case_id} {self.state} {self.entered_at:%Y-%m-%d %H:%M}"


class CasePause(models.Model):
    """A time the case waited for the customer; its clock stood still (seed 001 §3(三)2)."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="pauses")
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)
    reason = models.TextField(blank=True)

    class Meta:
        ordering = ["case", "started_at"]

    def __str__(self) -> str:
        return f"{self.case_id} {self.started_at:%Y-%m-%d %H:%M}"


class Finding(models.Model):
    """A supervision finding (监督小组): it stays open until the department answers it."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="findings")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                               related_name="+")
    text = models.TextField(_("finding"))
    created_at = models.DateTimeField(default=timezone.now)
    answer = models.TextField(_("answer"), blank=True)
    answered_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="+")
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return self.text[:40]


class CaseSettings(models.Model):
    """The organisation's case rules; one row (`CaseSettings.current()`)."""

    auto_open = models.BooleanField(
        _("open cases automatically"), default=True,
        help_text=_("Open a case for every new negative review."))
    negative_max_rating = models.PositiveSmallIntegerField(
        _("negative up to (stars)"), default=2,
        help_text=_("Reviews with this many stars or fewer are negative reviews (差评)."))
    auto_open_within_days = models.PositiveSmallIntegerField(
        _("only reviews of the last (days)"), default=30,
        help_text=_("Older reviews, e.g. from importing a platform's history, open no case."))
    # Reviews up to this id have been considered for automatic cases.
    auto_open_checked_id = models.PositiveBigIntegerField(default=0, editable=False)
    at_risk_share = models.FloatField(
        _("at risk from"), default=0.8,
        help_text=_("Share of a stage's limit used after which the stage is at risk."))
    public_holidays = models.BooleanField(
        _("Chinese public holidays"), default=True,
        help_text=_("Working hours skip public holidays and count make-up working days "
                    "(调休)."))
    working_hours = models.JSONField(
        _("working hours"), default=dict, blank=True,
        help_text=_('Per weekday (0 = Monday): [["09:00", "12:00"], ["13:30", "18:00"]].'))
    repeat_window_days = models.PositiveSmallIntegerField(
        _("repeat window (days)"), default=90,
        help_text=_("A negative review counts as a repeat within this many days after an "
                    "earlier case of the same department, store and category was rectified."))
    customer_sees_staff_names = models.BooleanField(
        _("customers see staff names"), default=False)
    target_on_time = models.FloatField(_("target: on-time rectification rate"), default=0.9)
    target_satisfaction = models.FloatField(_("target: customer satisfaction"), default=0.85)
    target_repeat = models.FloatField(_("target: repeat negative rate at most"), default=0.1)

    class Meta:
        verbose_name = _("case settings")
        verbose_name_plural = _("case settings")

    def __str__(self) -> str:
        return str(_("Case settings"))

    @classmethod
    def current(cls) -> CaseSettings:
        found = cls.objects.order_by("pk").first()
        return found or cls.objects.create()


class CalendarDay(models.Model):
    """The organisation's override of one day: a working day with its own hours, or a day off
    (company holiday, a make-up day the organisation does not follow)."""

    date = models.DateField(_("date"), unique=True)
    working = models.BooleanField(_("working day"))
    hours = models.JSONField(_("working hours"), default=list, blank=True,
                             help_text=_('[["09:00", "12:00"]]; empty: the usual hours.'))
    note = models.CharField(_("note"), max_length=100, blank=True)

    class Meta:
        ordering = ["date"]
        verbose_name = _("calendar day")
        verbose_name_plural = _("calendar days")

    def __str__(self) -> str:
        return f"{self.date:%Y-%m-%d}"


class StageLimit(models.Model):
    """How long a stage may take (seed 001's [X] hours). The most specific row wins: category
    and priority, then category, then priority, then the stage's default."""

    class Clock(models.TextChoices):
        WORKING = "working", _("Working hours")
        CALENDAR = "calendar", _("Calendar hours")

    state = models.CharField(_("stage"), max_length=12, choices=State.choices)
    hours = models.DecimalField(_("hours"), max_digits=6, decimal_places=2)
    clock = models.CharField(_("counted in"), max_length=8, choices=Clock.choices,
                             default=Clock.WORKING)
    category = models.ForeignKey(Category, null=True, blank=True, on_delete=models.CASCADE,
                                 verbose_name=_("category"))
    priority = models.CharField(_("priority"), max_length=8, blank=True,
                                choices=Priority.choices)

    class Meta:
        ordering = ["state", "category", "priority"]
        verbose_name = _("stage limit")
        verbose_name_plural = _("stage limits")
        # Two constraints rather than NULLS NOT DISTINCT, which SQLite lacks.
        constraints = [
            models.UniqueConstraint(fields=["state", "category", "priority"],
                                    condition=models.Q(category__isnull=False),
                                    name="stage_limit_unique"),
            models.UniqueConstraint(fields=["state", "priority"],
                                    condition=models.Q(category__isnull=True),
                                    name="stage_limit_unique_default"),
        ]

    def __str__(self) -> str:
        return f"{self.get_state_display()} {self.hours} h"


class RoutingRule(models.Model):
    """Proposes the lead department (and co-departments) for a case by category and store;
    the first matching rule by sort order wins, else the store's responsible department."""

    category = models.ForeignKey(Category, null=True, blank=True, on_delete=models.CASCADE,
                                 verbose_name=_("category"))
    store = models.ForeignKey(Store, null=True, blank=True, on_delete=models.CASCADE,
                              verbose_name=_("store"))
    lead_department = models.ForeignKey(Department, on_delete=models.CASCADE, related_name="+",
                                        verbose_name=_("lead department"))
    co_departments = models.ManyToManyField(Department, blank=True, related_name="+",
                                            verbose_name=_("co-departments"))
    sort_order = models.PositiveIntegerField(_("sort order"), default=100)

    class Meta:
        ordering = ["sort_order", "pk"]
        verbose_name = _("routing rule")
        verbose_name_plural = _("routing rules")

    def __str__(self) -> str:
        return f"{self.category or '*'} / {self.store or '*'} → {self.lead_department}"


# Seed 001 leaves the limits as [X] hours; these defaults follow seed 002's service examples
# and a working day of 7.5 hours. Stage `in_progress` runs to the plan's deadline.
DEFAULT_STAGE_LIMITS: list[tuple[State, int, str]] = [
    (State.REGISTERED, 4, "working"),   # assign within half a working day
    (State.ASSIGNED, 4, "working"),     # the head accepts and names a handler
    (State.ACCEPTED, 8, "working"),     # the handler files a plan
    (State.IN_PROGRESS, 40, "working"),  # when the plan sets no deadline: a working week
    (State.DEPT_REVIEW, 8, "working"),
    (State.AUDIT, 8, "working"),
    (State.RECTIFIED, 24, "calendar"),  # inform the customer (seed 002: survey within 24 h)
    (State.FOLLOW_UP, 72, "calendar"),  # the customer's verdict
]


def stage_limits_create_defaults(*args: object, **kwargs: object) -> None:
    if StageLimit.objects.exists():
        return
    StageLimit.objects.bulk_create(StageLimit(state=state, hours=hours, clock=clock)
                                   for state, hours, clock in DEFAULT_STAGE_LIMITS)

