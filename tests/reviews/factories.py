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
