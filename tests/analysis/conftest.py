from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import Org, require_or_skip

DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"


@pytest.fixture
def shared_data() -> Path:
    require_or_skip(DATA.is_dir(), "../shared/data", "the development data set, see its README")
    return DATA


def labelled(org: Org) -> None:
    """Enough staff corrections (delivery and service complaints) and star-rated praise to
    train both models and measure them on held-out examples."""
    from pingjia.analysis.services import Correction, review_labels_correct
    from tests.reviews.factories import make_review

    texts = {"delivery_logistics": ["快递三天才到", "物流太慢了", "送货员迟到两个小时",
                                    "包裹送错地址", "配送超时很久", "发货太慢"],
             "service_attitude": ["服务员不理人", "客服态度很差", "前台很不耐烦",
                                  "店员说话很冲", "服务态度恶劣", "收银员翻白眼"]}
    for code, phrases in texts.items():
        for n in range(4):
            for phrase in phrases:
                review = make_review(org.store_a, rating=1, text=f"{phrase}{'！' * n}")
                review_labels_correct(actor=org["manager"], review=review,
                                      correction=Correction(category=code))
    praise = ["很好吃", "服务很周到", "环境干净", "上菜很快", "性价比高", "下次还来"]
    for n in range(8):
        for phrase in praise:
            make_review(org.store_a, rating=5, text=f"{phrase}{'！' * n}")
