"""What the organisation's reviews are about: its complaint taxonomy (and, later, the labels and
recurring issues that the text analysis stores)."""

from __future__ import annotations

from typing import ClassVar

from django.db import models
from django.utils.translation import gettext_lazy as _


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
    is_complaint = models.BooleanField(
        _("is a complaint"), default=True,
        help_text=_("Off for the category of reviews that are not complaints."))
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


# Seed 001 §2(二): the five categories, plus the reviews that are not complaints.
DEFAULT_CATEGORIES = [
    # code, name, description, is a complaint
    ("product_quality", "产品质量", "产品本身存在质量缺陷、性能不佳、规格不符,出现故障、损坏,"
     "与宣传的功能不一致", True),
    ("service_attitude", "服务态度", "员工在沟通、服务过程中态度冷漠、生硬、不耐烦、不专业,"
     "语气不好、回答问题不及时、解决问题能力不足", True),
    ("delivery_logistics", "交付与物流", "交付延迟、物流速度慢、包裹丢失或损坏", True),
    ("after_sales", "售后问题", "售后服务响应不及时、处理问题效率低下、售后政策不合理", True),
    ("other", "其他", "不属于以上四类的其他原因,如对公司整体形象、品牌认知的负面评价", True),
    ("not_a_complaint", "非投诉", "表扬、建议或中性的评价,不需要整改", False),
]


def categories_create_defaults(*args: object, **kwargs: object) -> None:
    """Create the default taxonomy on a database without categories; an existing taxonomy is
    left as its administrators made it."""
    if Category.objects.exists():
        return
    Category.objects.bulk_create(
        Category(code=code, name=name, description=description, is_complaint=complaint,
                 sort_order=order * 10)
        for order, (code, name, description, complaint) in enumerate(DEFAULT_CATEGORIES, 1))
