from __future__ import annotations

import io
from datetime import timedelta

import pytest
import python_calamine
from django.urls import reverse
from django.utils import timezone

from pingjia.accounts.models import AuditAction, AuditEntry
from pingjia.reviews import export
from tests.conftest import Org, client_for
from tests.reviews.factories import analysed, make_review


def sheets(response: object) -> dict[str, list[list[object]]]:
    data = b"".join(response.streaming_content)  # type: ignore[attr-defined]
    book = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
    return {name: book.get_sheet_by_name(name).to_python() for name in book.sheet_names}


def test_the_filtered_reviews_newest_first_with_their_analysis(org: Org) -> None:
    now = timezone.now()
    slow = make_review(org.store_a, text="出餐太慢了", rating=1, order_id="202501020304050607",
                       external_id="000123", reviewed_at=now - timedelta(hours=1),
                       append_text="第二次也慢", platform_reply="抱歉")
    analysed(slow, "negative", "delivery_logistics")
    make_review(org.store_a, text="=HYPERLINK(\"http://x\")慢", rating=2, reviewed_at=now)
    make_review(org.store_b, text="味道不错", rating=5, reviewed_at=now)
    response = client_for(org["manager"]).get(reverse("review_export"), {"q": "慢"})
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    assert ".xlsx" in response["Content-Disposition"]
    book = sheets(response)
    reviews, about = book["评价"], book["导出说明"]
    assert reviews[0][:4] == ["时间", "渠道", "门店", "评分"]
    assert [row[8] for row in reviews[1:]] == ["=HYPERLINK(\"http://x\")慢", "出餐太慢了"]
    row = reviews[2]
    assert row[2] == "物流仓" and row[3] == 1 and row[4] == "负面" and row[5] == "交付与物流"
    assert row[7] == "出餐慢" and row[9] == "第二次也慢" and row[11] == "抱歉"
    # Long numbers and leading zeros stay as written; the link opens the review.
    assert row[13] == "202501020304050607" and row[14] == "000123"
    assert row[15] == f"http://testserver/reviews/{slow.pk}/"
    assert ["评价", 2] in about and ["文本", "慢"] in about
    entry = AuditEntry.objects.get(action=AuditAction.REVIEWS_EXPORTED)
    assert entry.actor == org["manager"] and entry.note == "导出评价 2 条。筛选条件：文本: 慢"


def test_a_department_head_exports_only_the_department_reviews(org: Org) -> None:
    make_review(org.store_a, text="仓库发错货")
    make_review(org.store_b, text="餐厅上菜慢")
    reviews = sheets(client_for(org["head_a"]).get(reverse("review_export")))["评价"]
    assert [row[8] for row in reviews[1:]] == ["仓库发错货"]


def test_a_selection_over_the_limit_is_cut_to_the_newest_and_says_so(
        org: Org, monkeypatch: pytest.MonkeyPatch) -> None:
    now = timezone.now()
    for n in range(3):
        make_review(org.store_a, text=f"第{n}条", reviewed_at=now - timedelta(minutes=n))
    monkeypatch.setattr(export, "LIMIT", 2)
    book = sheets(client_for(org["manager"]).get(reverse("review_export")))
    assert [row[8] for row in book["评价"][1:]] == ["第0条", "第1条"]
    assert any(row[0] == "已截断" for row in book["导出说明"])
    assert "截断" in AuditEntry.objects.get(action=AuditAction.REVIEWS_EXPORTED).note
