"""What the organisation's reviews are about: its complaint taxonomy (and, later, the labels and
recurring issues that the text analysis stores)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, timedelta
from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from pingjia.accounts.models import ScopedQuerySet
from pingjia.analysis.text.taxonomy import DEFAULT_TAXONOMY, CategoryDef, CategoryKind


class CategoryQuerySet(models.QuerySet):
    def active(self) -> CategoryQuerySet:
        return self.filter(is_active=True, merged_into__isnull=True)


class Category(models.Model):
    """A complaint category (seed 001 §2(二)). Administrators rename, add, merge and retire
    categories; the classifier follows the taxonomy from its descriptions and example phrases."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=40)
    description = models.TextField(_("description"), blank=True)
    examples = models.JSONField(_("example phrases"), default=list, blank=True)
    kind = models.CharField(
        _("kind"), max_length=16, choices=[
            (CategoryKind.COMPLAINT.value, _("Complaint")),
            (CategoryKind.CATCH_ALL.value, _("Other complaints (catch-all)")),
            (CategoryKind.NOT_A_COMPLAINT.value, _("Not a complaint"))],
        default=CategoryKind.COMPLAINT.value)
    is_active = models.BooleanField(_("active"), default=True)
    merged_into = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="merged", verbose_name=_("merged into"))
    sort_order = models.PositiveIntegerField(_("sort order"), default=100)

    objects: ClassVar[CategoryQuerySet] = CategoryQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        ordering = ["sort_order", "code"]
        verbose_name = _("category")
        verbose_name_plural = _("categories")

    def __str__(self) -> str:
        return self.name

    @property
    def is_complaint(self) -> bool:
        return self.kind != CategoryKind.NOT_A_COMPLAINT

    def definition(self, absorbed: Sequence[Category] = ()) -> CategoryDef:
        """What the text analysis reads: the pure taxonomy entry. The categories merged into
        this one lend it their codes, and their names and example phrases as its own."""
        examples = [*self.examples]
        for merged in absorbed:
            examples += [p for p in (merged.name, *merged.examples) if p not in examples]
        return CategoryDef(code=self.code, name=self.name, description=self.description,
                           examples=tuple(examples), kind=CategoryKind(self.kind),
                           absorbed=tuple(m.code for m in absorbed))


def successors(categories: Iterable[Category]) -> dict[int, Category]:
    """Every category (by id) that counts as an active one now: an active category as itself, a
    merged one as the active category at the end of its chain of merges; retired ones not."""
    every = {c.pk: c for c in categories}
    found = {}
    for pk, category in every.items():
        seen = {pk}
        while category.merged_into_id is not None and category.merged_into_id not in seen:
            seen.add(category.merged_into_id)
            category = every[category.merged_into_id]
        if category.is_active and category.merged_into_id is None:
            found[pk] = category
    return found


def categories_create_defaults(*args: object, **kwargs: object) -> None:
    """Create the default taxonomy (seed 001 §2(二): five categories, plus the reviews that
    are not complaints) on a database without categories; an existing taxonomy is left as its
    administrators made it."""
    if Category.objects.exists():
        return
    Category.objects.bulk_create(
        Category(code=c.code, name=c.name, description=c.description,
                 examples=list(c.examples), kind=c.kind.value, sort_order=order * 10)
        for order, c in enumerate(DEFAULT_TAXONOMY, 1))


class SentimentLabel(models.TextChoices):
    NEGATIVE = "negative", _("Negative")
    NEUTRAL = "neutral", _("Neutral")
    POSITIVE = "positive", _("Positive")


# Where a result came from: a model (its version follows the colon), the stars, or a person.
SOURCE_PERSON = "person"
SOURCE_STARS = "stars"


class ReviewAnalysis(models.Model):
    """What the text analysis (or a person) says about one review. A person's correction
    (`*_source == "person"`) is never overwritten by a later automatic analysis."""

    review = models.OneToOneField("reviews.Review", primary_key=True, on_delete=models.CASCADE,
                                  related_name="analysis")
    sentiment = models.CharField(_("sentiment"), max_length=8, choices=SentimentLabel.choices)
    sentiment_score = models.FloatField(_("positive probability"))
    sentiment_source = models.CharField(max_length=60)
    is_negative = models.BooleanField(
        _("negative review"), db_index=True,
        help_text=_("差评: decided by the stars where there are stars, else by the text."))
    hidden_complaint = models.BooleanField(
        _("hidden complaint"), default=False,
        help_text=_("A 4–5 star review whose text is clearly negative (好评差评)."))
    category = models.ForeignKey(Category, null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="+", verbose_name=_("category"))
    category_confidence = models.FloatField(null=True, blank=True)
    category_source = models.CharField(max_length=60, blank=True)
    secondary = models.JSONField(_("secondary categories"), default=list, blank=True)
    aspects = models.JSONField(_("issues named"), default=list, blank=True)
    aspects_source = models.CharField(max_length=60, blank=True)
    analysed_at = models.DateTimeField(_("analysed"))

    class Meta:
        verbose_name = _("review analysis")
        verbose_name_plural = _("review analyses")
        indexes = [models.Index(fields=["category", "is_negative"],
                                name="review_analysis_category"),
                   # Hidden complaints are rare (about one review in a hundred): the list of
                   # them starts from this small index rather than from every analysis.
                   models.Index(fields=["review"], condition=models.Q(hidden_complaint=True),
                                name="review_analysis_hidden")]

    def __str__(self) -> str:
        return f"{self.review_id} {self.sentiment}"


class LabelCorrection(models.Model):
    """A person's correction of a review's sentiment, category or issues: audited, and the
    examples that category retraining learns from."""

    class Field(models.TextChoices):
        SENTIMENT = "sentiment", _("Sentiment")
        CATEGORY = "category", _("Category")
        ASPECTS = "aspects", _("Issues named")

    review = models.ForeignKey("reviews.Review", on_delete=models.CASCADE,
                               related_name="label_corrections")
    field = models.CharField(max_length=10, choices=Field.choices)
    before = models.JSONField(null=True)
    after = models.JSONField(null=True)
    corrected_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                     related_name="+")
    corrected_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-corrected_at", "-pk"]
        indexes = [models.Index(fields=["field", "corrected_at"], name="correction_field")]

    def __str__(self) -> str:
        return f"{self.review_id} {self.field}"


class TextModel(models.Model):
    """A trained model's weights and the figures it reached on held-out examples. One per kind
    is active; the ones it replaced are kept to roll back to."""

    class Kind(models.TextChoices):
        SENTIMENT = "sentiment", _("Sentiment")
        CATEGORY = "category", _("Category")

    kind = models.CharField(max_length=10, choices=Kind.choices)
    version = models.CharField(max_length=60, unique=True)
    weights = models.BinaryField()
    figures = models.JSONField(default=dict)
    examples = models.PositiveIntegerField(default=0)
    trained_at = models.DateTimeField(default=timezone.now)
    trained_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")
    is_active = models.BooleanField(default=False)

    class Meta:
        ordering = ["kind", "-trained_at"]
        constraints = [models.UniqueConstraint(fields=["kind"], condition=models.Q(is_active=True),
                                               name="one_active_model_per_kind")]

    def __str__(self) -> str:
        return self.version


# --- recurring issues (问题线索) ---------------------------------------------------------------

class RecurringIssueQuerySet(models.QuerySet):
    def live(self) -> RecurringIssueQuerySet:
        """Groups that hold their own members: not merged into another."""
        return self.filter(merged_into__isnull=True)

    def shown(self, min_members: int = 2) -> RecurringIssueQuerySet:
        """What the issue pages list: live, not dismissed, and recurring (a complaint made once
        is not yet an issue)."""
        return self.live().filter(dismissed=False, member_count__gte=min_members)


class RecurringIssue(models.Model):
    """Similar complaints grouped (`analysis.text.grouping`), stored with what the incremental
    assignment needs and with the staff decisions that every recompute keeps: a name given,
    a merge, a dismissal (splits are `IssueMove`s)."""

    # The grouping's key (its leader's "target|defect" signature), or a made-up one for a
    # group staff split off. Stable across recomputes: decisions find their group by it.
    key = models.CharField(max_length=100, unique=True)
    name = models.CharField(_("automatic name"), max_length=60)
    name_override = models.CharField(_("name"), max_length=60, blank=True)
    category = models.ForeignKey(Category, null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="+", verbose_name=_("category"))
    dismissed = models.BooleanField(_("dismissed"), default=False)
    merged_into = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="merged", verbose_name=_("merged into"))
    # What `grouping.assign` compares new complaints with.
    signatures = models.JSONField(default=list, blank=True)
    leader_target = models.CharField(max_length=60, blank=True)
    profile = models.JSONField(default=list, blank=True)  # [[term, weight], …]
    phrases = models.JSONField(_("phrases"), default=list, blank=True)  # [[phrase, count], …]
    member_count = models.PositiveIntegerField(_("reviews"), default=0, db_index=True)
    spike_week = models.DateField(_("spike in the week of"), null=True, blank=True)
    spike_notified_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)

    objects: ClassVar[RecurringIssueQuerySet] = RecurringIssueQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        ordering = ["-member_count", "key"]
        verbose_name = _("recurring issue")
        verbose_name_plural = _("recurring issues")

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        return self.name_override or self.name

    def has_decision(self) -> bool:
        """Named in a staff decision: kept by every recompute, whatever its size."""
        return bool(self.name_override or self.dismissed or self.merged_into_id)

    def is_spiking(self, this_week: date) -> bool:
        """A spike flagged this week or last week (the flag outlives the week it began)."""
        return self.spike_week is not None and self.spike_week >= this_week - timedelta(days=7)


class IssueMemberQuerySet(ScopedQuerySet):
    department_lookup = "store__department"
    view_permission = "reviews.view_review"


class IssueMember(models.Model):
    """A review in a recurring issue. `week` (the Monday of the review's local date) and
    `store` are copied from the review so that the weekly counts and the scope need no join."""

    issue = models.ForeignKey(RecurringIssue, on_delete=models.CASCADE, related_name="members")
    review = models.ForeignKey("reviews.Review", on_delete=models.CASCADE,
                               related_name="issue_memberships")
    week = models.DateField()
    store = models.ForeignKey("accounts.Store", null=True, blank=True,
                              on_delete=models.SET_NULL, related_name="+")

    objects: ClassVar[IssueMemberQuerySet] = IssueMemberQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        constraints = [models.UniqueConstraint(fields=["issue", "review"],
                                               name="issue_member_once")]
        indexes = [models.Index(fields=["issue", "week"], name="issue_member_week"),
                   models.Index(fields=["week", "issue"], name="issue_member_recent")]

    def __str__(self) -> str:
        return f"{self.issue_id} {self.review_id}"


class IssueMove(models.Model):
    """Staff took a review out of a group: into another (`to_key`), or out of every group."""

    review = models.ForeignKey("reviews.Review", on_delete=models.CASCADE, related_name="+")
    from_key = models.CharField(max_length=100)
    to_key = models.CharField(max_length=100, blank=True)
    moved_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="+")
    moved_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"{self.review_id} {self.from_key} → {self.to_key or '-'}"


class GroupingState(models.Model):
    """The one row of grouping state: the rarity weights new complaints are compared with,
    and how far the incremental assignment has got."""

    idf = models.JSONField(default=dict)
    rare_idf = models.FloatField(default=1.0)
    # Reviews up to this id have been grouped; the incremental pass takes those above.
    last_review_id = models.BigIntegerField(default=0)
    recomputed_at = models.DateTimeField(null=True, blank=True)
    recompute_seconds = models.FloatField(null=True, blank=True)
    complaints = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"grouping state {self.recomputed_at}"

    @classmethod
    def current(cls) -> GroupingState:
        state, _created = cls.objects.get_or_create(pk=1)
        return state
