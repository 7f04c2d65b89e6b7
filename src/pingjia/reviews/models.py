"""Reviews from every channel, the customers who wrote them, and the imports that brought them."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from pingjia.accounts.models import ScopedQuerySet, Store
from pingjia.core.fields import BlindIndexField, EncryptedTextField
from pingjia.core.masking import mask_email, mask_name, mask_phone
from pingjia.reviews.importing.formats import SUB_SCORE_LABELS


class Channel(models.Model):
    """Where reviews come from: a platform, one of the organisation's own channels, or offline."""

    class Kind(models.TextChoices):
        PLATFORM = "platform", _("Online platform")
        OWN = "own", _("Own channel")
        OFFLINE = "offline", _("Offline")

    code = models.SlugField(_("code"), max_length=30, unique=True)
    name = models.CharField(_("name"), max_length=40)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    import_format = models.CharField(
        _("import format"), max_length=20, default="generic",
        help_text=_("The export format its files usually come in; `auto` recognises it from "
                    "the header row."))
    is_active = models.BooleanField(_("active"), default=True)
    sort_order = models.PositiveIntegerField(_("sort order"), default=100)

    class Meta:
        ordering = ["sort_order", "code"]
        verbose_name = _("channel")
        verbose_name_plural = _("channels")

    def __str__(self) -> str:
        return self.name


# The channels a new installation starts with; an administrator edits them afterwards.
DEFAULT_CHANNELS = [
    # code, name, kind, import format
    ("taobao", "淘宝", "platform", "taobao"),
    ("tmall", "天猫", "platform", "tmall"),
    ("jd", "京东", "platform", "jd"),
    ("meituan", "美团", "platform", "meituan"),
    ("dianping", "大众点评", "platform", "meituan"),
    ("eleme", "饿了么", "platform", "eleme"),
    ("douyin", "抖音", "platform", "douyin"),
    ("pinduoduo", "拼多多", "platform", "generic"),
    ("app", "自有App", "own", "generic"),
    ("web", "官网", "own", "generic"),
    ("qr", "门店二维码", "own", "generic"),
    ("invite", "邀评链接", "own", "generic"),
    ("phone", "电话", "offline", "generic"),
    ("email", "邮件", "offline", "generic"),
    ("letter", "信函", "offline", "generic"),
    ("onsite", "现场", "offline", "generic"),
    ("service", "客服记录", "offline", "generic"),
]


def channels_create_defaults(*args: object, **kwargs: object) -> None:
    """Create the default channels when there are none (a new database, or one flushed by the
    tests); a database with channels is left as its administrator made it."""
    if Channel.objects.exists():
        return
    Channel.objects.bulk_create(
        Channel(code=code, name=name, kind=kind, import_format=import_format,
                sort_order=order * 10)
        for order, (code, name, kind, import_format) in enumerate(DEFAULT_CHANNELS, start=1))


class ReviewTag(models.Model):
    """A tag customers can pick on the review form (取餐速度, 口味, 服务态度…)."""

    name = models.CharField(_("name"), max_length=20, unique=True)
    sort_order = models.PositiveIntegerField(_("sort order"), default=100)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["sort_order", "name"]
        verbose_name = _("review tag")
        verbose_name_plural = _("review tags")

    def __str__(self) -> str:
        return self.name


class Customer(models.Model):
    """A person who reviewed or complained. Contact data is encrypted, shown masked, and the
    keyed hashes find the same person again across channels."""

    name = EncryptedTextField(_("name"), blank=True)
    phone = EncryptedTextField(_("phone"), blank=True)
    phone_hash = BlindIndexField(source="phone", kind="phone")
    email = EncryptedTextField(_("e-mail"), blank=True)
    email_hash = BlindIndexField(source="email", kind="email")
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")

    def __str__(self) -> str:
        return self.name_masked or f"#{self.pk}"

    @property
    def name_masked(self) -> str:
        return mask_name(self.name)

    @property
    def label_masked(self) -> str:
        """How a screen names the customer: the masked name, else their masked id on a
        platform."""
        if self.name:
            return self.name_masked
        identity = self.identities.order_by("pk").first()
        return mask_name(identity.value) if identity else f"#{self.pk}"

    @property
    def phone_masked(self) -> str:
        return mask_phone(self.phone)

    @property
    def email_masked(self) -> str:
        return mask_email(self.email) if self.email else ""

    def scope_department_ids(self) -> set[int]:
        """Customers belong to no department: organisation-wide roles (review managers,
        customer service) reach them, and the departments of their open cases, who must be
        able to call them while they put things right."""
        from pingjia.cases.workflow import OPEN

        ids: set[int] = set()
        for lead, co in self.cases.filter(state__in=OPEN).values_list(
                "lead_department", "co_departments"):
            ids.update(d for d in (lead, co) if d is not None)
        return ids


class CustomerIdentity(models.Model):
    """A customer's pseudonymous id on one channel (platform nickname or user id)."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="identities")
    channel = models.ForeignKey(Channel, on_delete=models.PROTECT, related_name="+")
    value = EncryptedTextField(_("platform id or nickname"))
    value_hash = BlindIndexField(source="value", kind="text")

    class Meta:
        verbose_name = _("customer identity")
        verbose_name_plural = _("customer identities")
        constraints = [models.UniqueConstraint(fields=["channel", "value_hash"],
                                               name="customer_identity_unique_per_channel")]

    def __str__(self) -> str:
        return f"{self.channel} · {mask_name(self.value)}"


class ImportRun(models.Model):
    """One file imported (or tried): what it held, what it changed, and each rejected row."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        REJECTED = "rejected", _("File rejected")
        FAILED = "failed", _("Failed")

    channel = models.ForeignKey(Channel, on_delete=models.PROTECT, related_name="imports",
                                verbose_name=_("channel"))
    default_store = models.ForeignKey(Store, null=True, blank=True, on_delete=models.PROTECT,
                                      related_name="+", verbose_name=_("store"))
    file_name = models.CharField(_("file"), max_length=200)
    file_sha256 = models.CharField(max_length=64, editable=False)
    format = models.CharField(_("format"), max_length=20, blank=True)
    encoding = models.CharField(_("encoding"), max_length=20, blank=True)
    dry_run = models.BooleanField(_("dry run"), default=False)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices,
                              default=Status.RUNNING)
    message = models.TextField(_("message"), blank=True)
    rows_total = models.PositiveIntegerField(_("rows in the file"), null=True, blank=True)
    rows_read = models.PositiveIntegerField(_("rows read"), default=0)
    created = models.PositiveIntegerField(_("created"), default=0)
    updated = models.PositiveIntegerField(_("updated"), default=0)
    duplicates = models.PositiveIntegerField(_("duplicates skipped"), default=0)
    rejected = models.PositiveIntegerField(_("rejected"), default=0)
    # [{"row": 7, "reason": "…", "values": {header: cell text}}], in file order
    errors = models.JSONField(_("rejected rows"), default=list, blank=True)
    stores_created = models.JSONField(_("stores created"), default=list, blank=True)
    # The uploaded file while it waits for a worker; emptied once it is processed.
    upload = models.BinaryField(null=True, editable=False)
    started_at = models.DateTimeField(_("started"), default=timezone.now)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+",
                                   verbose_name=_("by"))

    class Meta:
        ordering = ["-started_at", "-pk"]
        verbose_name = _("import")
        verbose_name_plural = _("imports")

    def __str__(self) -> str:
        return f"{self.file_name} ({self.get_status_display()})"

    @property
    def is_finished(self) -> bool:
        return self.status not in {self.Status.QUEUED, self.Status.RUNNING}

    @property
    def percent(self) -> int:
        if self.is_finished:
            return 100
        return min(99, 100 * self.rows_read // self.rows_total) if self.rows_total else 0


class ReviewQuerySet(ScopedQuerySet):
    department_lookup = "store__department"
    view_permission = "reviews.view_review"


class Review(models.Model):
    """A review as the customer wrote it. `identity` is the channel's review id, or a content
    fingerprint (`fp:…`) where the channel has none; it makes every import idempotent."""

    # No index of their own for channel and store: the unique (channel, identity) and the
    # (channel, time) and (store, time) indexes start with them, and every index is paid for
    # on each insert (migration 0009).
    channel = models.ForeignKey(Channel, on_delete=models.PROTECT, related_name="reviews",
                                verbose_name=_("channel"), db_index=False)
    identity = models.CharField(max_length=80, editable=False)
    external_id = models.CharField(_("review id on the channel"), max_length=64, blank=True)
    store = models.ForeignKey(Store, null=True, blank=True, on_delete=models.PROTECT,
                              related_name="reviews", verbose_name=_("store"), db_index=False)
    product = models.CharField(_("product or service"), max_length=200, blank=True)
    product_code = models.CharField(_("product id"), max_length=64, blank=True)
    order_id = models.CharField(_("order"), max_length=64, blank=True)
    customer = models.ForeignKey(Customer, null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="reviews", verbose_name=_("customer"))
    reviewed_at = models.DateTimeField(_("reviewed"))
    received_at = models.DateTimeField(_("received"), default=timezone.now)
    rating = models.PositiveSmallIntegerField(_("rating"), null=True, blank=True)
    sub_scores = models.JSONField(_("sub-scores"), default=dict, blank=True)
    tags = models.JSONField(_("tags"), default=list, blank=True)
    text = models.TextField(_("text"), blank=True)
    images = models.JSONField(_("images"), default=list, blank=True)
    append_text = models.TextField(_("append review"), blank=True)
    appended_at = models.DateTimeField(_("appended"), null=True, blank=True)
    platform_reply = models.TextField(_("reply on the platform"), blank=True)
    language = models.CharField(_("language"), max_length=10, blank=True)
    # Segmented, normalised text and append review, indexed for search (reviews.search).
    search_text = models.TextField(blank=True, editable=False)
    import_run = models.ForeignKey(ImportRun, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="reviews", editable=False)
    registered_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                      on_delete=models.PROTECT, related_name="+",
                                      verbose_name=_("registered by"))
    # Hash of the file row the review was last read from, under that file's headers and
    # format: a re-import skips a row found here unread (see services._import_rows). Anything
    # that changes the review from another row sets it to that row's hash, or empties it.
    source_hash = models.CharField(max_length=32, blank=True, default="", editable=False,
                                   db_index=True)

    objects: ClassVar[ReviewQuerySet] = ReviewQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        ordering = ["-reviewed_at", "-pk"]
        verbose_name = _("review")
        verbose_name_plural = _("reviews")
        constraints = [
            models.UniqueConstraint(fields=["channel", "identity"], name="review_unique_identity"),
            models.CheckConstraint(condition=models.Q(rating__isnull=True)
                                   | models.Q(rating__gte=1, rating__lte=5),
                                   name="review_rating_1_to_5"),
        ]
        indexes = [
            # Newest first, then by id: the lists' order; on PostgreSQL also an index-only
            # range of a month's review ids (the department KPIs).
            models.Index(fields=["reviewed_at", "id"], name="review_time"),
            models.Index(fields=["store", "reviewed_at"], name="review_store_time"),
            models.Index(fields=["channel", "reviewed_at"], name="review_channel_time"),
        ]

    def __str__(self) -> str:
        return f"{self.channel} {self.external_id or self.identity[:12]}"

    def sub_score_items(self) -> list[tuple[str, object]]:
        """The sub-scores under the names the page shows: a preset's (taste → 口味) translated,
        one pushed through the API as it was written."""
        return [(str(SUB_SCORE_LABELS.get(name, name)), score)
                for name, score in self.sub_scores.items()]

    def scope_department_ids(self) -> set[int]:
        return {self.store.department_id} if self.store and self.store.department_id else set()

    def refresh_search_text(self) -> None:
        """Recompute `search_text` after the text or the append review changed."""
        from pingjia.reviews.search import index_text

        self.search_text = index_text(self.text, self.append_text)

    refresh_search_text.alters_data = True  # type: ignore[attr-defined]


class InvitationQuerySet(ScopedQuerySet):
    department_lookup = "store__department"
    view_permission = "reviews.view_invitation"

    def awaiting_callback(self, now: datetime) -> InvitationQuerySet:
        """Invited more than CALLBACK_AFTER ago, not reviewed, and not settled by a call."""
        return self.filter(review__isnull=True, callback_closed=False,
                           invited_at__lte=now - CALLBACK_AFTER)


CALLBACK_AFTER = timedelta(hours=72)


class Invitation(models.Model):
    """An invitation to review a completed service or order, sent by another system; its
    signed link opens the store's review form, and the review is linked back to it."""

    store = models.ForeignKey(Store, on_delete=models.PROTECT, related_name="invitations",
                              verbose_name=_("store"))
    customer = models.ForeignKey(Customer, null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="invitations", verbose_name=_("customer"))
    order_id = models.CharField(_("order"), max_length=64, blank=True)
    service = models.CharField(_("service or order"), max_length=200, blank=True)
    external_id = models.CharField(_("id in the other system"), max_length=64, blank=True)
    invited_at = models.DateTimeField(_("invited"), default=timezone.now, db_index=True)
    review = models.OneToOneField("Review", null=True, blank=True, on_delete=models.SET_NULL,
                                  related_name="invitation", verbose_name=_("review"))
    callback_closed = models.BooleanField(_("call-back settled"), default=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")

    objects: ClassVar[InvitationQuerySet] = InvitationQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        ordering = ["-invited_at", "-pk"]
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        constraints = [models.UniqueConstraint(
            fields=["store", "external_id"], condition=~models.Q(external_id=""),
            name="invitation_unique_external_id")]

    def __str__(self) -> str:
        return f"{self.store} {self.order_id or self.pk}"

    def scope_department_ids(self) -> set[int]:
        return {self.store.department_id} if self.store.department_id else set()


class Callback(models.Model):
    """A call made to an invited customer who has not reviewed."""

    class Outcome(models.TextChoices):
        REACHED = "reached", _("Reached, feedback noted")
        NO_ANSWER = "no_answer", _("No answer")
        DECLINED = "declined", _("Does not want to comment")
        WRONG_NUMBER = "wrong_number", _("Wrong number")

    SETTLING = frozenset({Outcome.REACHED, Outcome.DECLINED, Outcome.WRONG_NUMBER})

    invitation = models.ForeignKey(Invitation, on_delete=models.CASCADE, related_name="callbacks")
    agent = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                              related_name="+", verbose_name=_("agent"))
    called_at = models.DateTimeField(_("called"), default=timezone.now)
    outcome = models.CharField(_("outcome"), max_length=20, choices=Outcome.choices)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        ordering = ["-called_at", "-pk"]
        verbose_name = _("call-back")
        verbose_name_plural = _("call-backs")

    def __str__(self) -> str:
        return f"{self.invitation} {self.get_outcome_display()}"


class ReviewRevision(models.Model):
    """What a later import changed on a review (an append review, a reply, a corrected
    rating), so the review's history is kept."""

    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="revisions")
    import_run = models.ForeignKey(ImportRun, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    changed_at = models.DateTimeField(default=timezone.now)
    changes = models.JSONField(default=dict)

    class Meta:
        ordering = ["changed_at", "pk"]
        verbose_name = _("review revision")
        verbose_name_plural = _("review revisions")

    def __str__(self) -> str:
        return f"{self.review} @ {self.changed_at:%Y-%m-%d %H:%M}"
