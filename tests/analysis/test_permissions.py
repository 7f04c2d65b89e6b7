"""Permission matrix of the analysis API (see tests/permissions.py)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.urls import reverse

from tests.conftest import Org
from tests.permissions import Row, run_row
from tests.reviews.factories import make_review

API_ROWS = [
    Row("POST /api/v1/analysis", "POST", lambda o: "/api/v1/analysis",
        {"anonymous": 401, "admin": 403, "handler_a": 200},
        data=lambda o: {"items": [{"id": 1, "text": "上菜太慢"}]}, json=True),
    Row("POST /api/v1/reviews/{review_id}/labels", "POST",
        lambda o: f"/api/v1/reviews/{make_review(o.store_a, text='上菜太慢').pk}/labels",
        {"anonymous": 401, "head_b": 404, "executive": 403, "handler_a": 200, "manager": 200},
        data=lambda o: {"category": "service_attitude"}, json=True),
]


def grouped_issue(org: Org, texts: tuple[str, ...]) -> int:
    """A recurring issue of these complaints at department A's store."""
    from pingjia.analysis.issues import issues_recompute
    from pingjia.analysis.models import IssueMember
    from pingjia.analysis.services import reviews_analyse

    made = [make_review(org.store_a, text=text) for text in texts]
    reviews_analyse(review_ids=[r.pk for r in made])
    issues_recompute()
    return IssueMember.objects.get(review=made[0]).issue_id


def mirror_issue(org: Org) -> int:
    return grouped_issue(org, ("试衣间的镜子太暗了，根本看不清衣服颜色",
                               "镜子太暗了，试衣服看不清楚"))


def issue_url(name: str) -> Callable[[Org], str]:
    return lambda o: reverse(name, args=[mirror_issue(o)])


# Recurring issues: department roles see their share; only the review manager decides.
_DECIDE = {"anonymous": 302, "head_b": 404, "admin": 404, "executive": 403, "head_a": 403,
           "manager": 200}


ROWS = [
    Row("review_labels", "POST",
        lambda o: reverse("review_labels", args=[make_review(o.store_a, text="上菜太慢").pk]),
        {"anonymous": 302, "head_b": 404, "executive": 403, "handler_a": 200, "agent": 200},
        data=lambda o: {"category": "service_attitude"}, htmx=True),
    Row("issue_list", "GET", lambda o: reverse("issue_list"),
        {"anonymous": 302, "admin": 403, "head_b": 200, "executive": 200, "manager": 200}),
    Row("issue_detail", "GET", issue_url("issue_detail"),
        {"anonymous": 302, "admin": 404, "head_b": 404, "head_a": 200, "manager": 200}),
    Row("issue_rename", "POST", issue_url("issue_rename"), _DECIDE,
        data=lambda o: {"name": "试衣间镜子太暗"}, htmx=True),
    Row("issue_dismiss", "POST", issue_url("issue_dismiss"), _DECIDE,
        data=lambda o: {"dismissed": "1"}, htmx=True),
    Row("issue_merge", "POST", issue_url("issue_merge"), _DECIDE,
        data=lambda o: {"into": grouped_issue(o, ("出餐太慢了，等了半小时", "出餐速度太慢"))},
        htmx=True),
    Row("issue_split", "POST", issue_url("issue_split"), _DECIDE,
        data=lambda o: {"reviews": ["0"], "name": "镜子"}, htmx=True),
    # The analysis models: the review manager and the administrator.
    Row("model_list", "GET", lambda o: reverse("model_list"),
        {"anonymous": 302, "executive": 403, "head_a": 403, "manager": 200, "admin": 200}),
    Row("model_train", "POST", lambda o: reverse("model_train"),
        {"anonymous": 302, "executive": 403, "handler_a": 403, "manager": 302}),
    Row("model_activate", "POST", lambda o: reverse("model_activate", args=[stored_model()]),
        {"anonymous": 302, "executive": 403, "head_a": 403, "admin": 302}),
    Row("model_built_in", "POST", lambda o: reverse("model_built_in", args=["sentiment"]),
        {"anonymous": 302, "executive": 403, "head_a": 403, "manager": 302}),
]


def stored_model() -> int:
    from pingjia.analysis.models import TextModel
    from pingjia.analysis.text.sentiment import cold_start_sentiment

    model = cold_start_sentiment()
    return TextModel.objects.get_or_create(version=model.version, defaults={
        "kind": "sentiment", "weights": model.to_bytes()})[0].pk


@pytest.mark.parametrize("row", API_ROWS + ROWS, ids=str)
def test_permission_matrix(org: Org, row: Row) -> None:
    run_row(org, row)
