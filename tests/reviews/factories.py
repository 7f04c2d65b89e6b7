from __future__ import annotations

import itertools

from django.utils import timezone

from pingjia.accounts.models import Store
from pingjia.reviews.models import Channel, ImportRun, Review

_numbers = itertools.count(1)


def make_review(store: Store | None, **fields: object) -> Review:
    number = next(_numbers)
    defaults: dict[str, object] = {
        "channel": Channel.objects.get(code="dianping"), "identity": f"T{number}",
        "external_id": f"T{number}", "store": store, "reviewed_at": timezone.now(),
        "text": f"测试评价{number}", "rating": 1}
    defaults.update(fields)
    review = Review(**defaults)
    review.refresh_search_text()
    review.save()
    return review


def make_run(**fields: object) -> ImportRun:
    defaults: dict[str, object] = {
        "channel": Channel.objects.get(code="dianping"), "file_name": "export.csv",
        "file_sha256": "0" * 64, "status": ImportRun.Status.DONE, "rejected": 1,
        "errors": [{"row": 3, "reason": "unreadable date: x", "values": {"评价内容": "=1+1"}}]}
    defaults.update(fields)
    return ImportRun.objects.create(**defaults)


def make_invitation(store: Store, *, hours_ago: float = 80, phone: str = "13712345678",
                    **fields: object) -> object:
    from datetime import timedelta

    from pingjia.reviews.models import Customer, Invitation

    customer = Customer.objects.create(name="李四", phone=phone) if phone else None
    defaults: dict[str, object] = {"store": store, "customer": customer, "service": "空调安装",
                                   "invited_at": timezone.now() - timedelta(hours=hours_ago)}
    defaults.update(fields)
    return Invitation.objects.create(**defaults)


def analysed(review: Review, sentiment: str, category: str | None,
             hidden: bool = False) -> None:
    """The review's stored analysis, as a person would have set it."""
    from pingjia.analysis.models import Category, ReviewAnalysis

    ReviewAnalysis.objects.create(
        review=review, sentiment=sentiment, sentiment_score=0.5, sentiment_source="person",
        is_negative=sentiment == "negative", hidden_complaint=hidden,
        category=Category.objects.get(code=category) if category else None,
        aspects=[{"text": "出餐慢", "polarity": "negative"}], analysed_at=timezone.now())
