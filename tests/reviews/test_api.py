"""The reviews API: reading reviews, and other systems pushing them in."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from pingjia.accounts.models import TokenScope
from pingjia.reviews.models import Channel, Review
from tests.api.test_api import assert_error, bearer, token_for
from tests.conftest import Org, client_for
from tests.reviews.factories import analysed, make_review

URL = "/api/v1/reviews"


def push(client: Client, payload: Any) -> Any:
    return client.post(URL, data=json.dumps(payload), content_type="application/json")


@pytest.fixture
def writer(org: Org) -> Client:
    return bearer(token_for(org, "manager", TokenScope.REVIEWS_READ, TokenScope.REVIEWS_WRITE))


def test_push_is_idempotent_and_a_later_version_updates(org: Org, writer: Client) -> None:
    review = {"channel": "dianping", "external_id": "DP-1", "store_code": org.store_a.code,
              "reviewed_at": "2025-01-02 12:00", "rating": 2, "text": "菜凉了",
              "sub_scores": {"口味": 2, "服务": "4"}, "tags": ["上菜慢"]}
    first = push(writer, review).json()
    review_id = first["results"][0]["id"]
    assert first == {"results": [{"index": 0, "status": "created", "id": review_id, "error": ""}],
                     "created": 1, "updated": 0, "duplicates": 0, "rejected": 0}
    again = push(writer, review).json()
    assert again["results"] == [{"index": 0, "status": "duplicate", "id": review_id,
                                 "error": ""}]
    assert again["duplicates"] == 1
    later = push(writer, {"reviews": [{**review, "append_text": "追评：后来热了"}]}).json()
    assert later["results"][0]["status"] == "updated" and later["updated"] == 1
    assert Review.objects.count() == 1

    detail = writer.get(f"{URL}/{review_id}").json()
    assert detail["store"]["id"] == org.store_a.pk and detail["channel"] == "dianping"
    assert detail["sub_scores"] == {"口味": 2, "服务": 4} and detail["tags"] == ["上菜慢"]
    assert detail["reviewed_at"] == "2025-01-02T04:00:00Z"  # 12:00 in Shanghai
    assert detail["append_text"] == "追评：后来热了"
    assert [r["changes"] for r in detail["revisions"]] == [{"append_text": ["", "追评：后来热了"]}]


def test_batch_answers_each_review_on_its_own(org: Org, writer: Client) -> None:
    good = {"channel": "meituan", "text": "不错", "rating": 5}
    body = push(writer, {"reviews": [
        {**good, "external_id": "M-1"},
        {**good, "external_id": "M-2", "rating": 9},
        {**good, "external_id": "M-3", "channel": "nowhere"},
        {**good},
        {**good, "external_id": "M-5", "reviewed_at": "昨天"},
        {**good, "external_id": 6},
    ]}).json()
    results = body["results"]
    assert [r["index"] for r in results] == list(range(6))
    assert [r["status"] for r in results] == ["created", "rejected", "rejected", "rejected",
                                              "rejected", "created"]
    # In the organisation's language (Simplified Chinese unless the request asks otherwise).
    assert "评分超出 1–5 的范围" in results[1]["error"]
    assert "未知渠道：nowhere" in results[2]["error"]
    assert "external_id" in results[3]["error"]
    assert results[4]["error"] == "无法识别的日期：昨天"
    assert results[0]["error"] == "" and results[1]["id"] is None
    assert (body["created"], body["rejected"]) == (2, 4)
    assert sorted(Review.objects.values_list("external_id", flat=True)) == ["6", "M-1"]


def test_batch_over_the_limit_is_refused_whole(org: Org, writer: Client) -> None:
    reviews = [{"channel": "dianping", "external_id": f"X{i}", "text": "好"} for i in range(501)]
    assert_error(push(writer, {"reviews": reviews}), 400, "batch_size")
    assert_error(push(writer, {"reviews": []}), 400, "batch_size")
    assert not Review.objects.exists()


def test_pushing_needs_the_scope_the_role_and_a_csrf_token(org: Org) -> None:
    review = {"channel": "dianping", "external_id": "D1", "text": "好"}
    reader = bearer(token_for(org, "manager", TokenScope.REVIEWS_READ))
    error = assert_error(push(reader, review), 403, "permission_denied")
    assert "reviews:write" in error["message"]
    head = bearer(token_for(org, "head_a", TokenScope.REVIEWS_READ, TokenScope.REVIEWS_WRITE))
    assert_error(push(head, review), 403, "permission_denied")
    session = Client(enforce_csrf_checks=True)
    session.force_login(org["manager"])
    assert_error(push(session, review), 403, "permission_denied")
    assert not Review.objects.exists()
    assert push(client_for(org["agent"]), review).status_code == 200


def test_unreadable_bodies_are_refused_in_the_error_shape(org: Org, writer: Client) -> None:
    response = writer.post(URL, data="channel=dianping",
                           content_type="application/x-www-form-urlencoded")
    assert_error(response, 400, "bad_request")
    assert_error(push(writer, {"reviews": "not a list"}), 422, "validation_error")


def test_list_filters_and_pages_newest_first(org: Org) -> None:
    now = timezone.now().replace(microsecond=123456)
    meituan = Channel.objects.get(code="meituan")
    # Pairs share a moment, so that the (time, id) key decides inside a pair and across pages.
    made = [make_review(org.store_a if i % 2 else org.store_b, rating=i % 5 + 1,
                        reviewed_at=now - timedelta(hours=i // 2),
                        **({"channel": meituan, "identity": f"mt{i}"} if i < 2 else {}))
            for i in range(7)]
    expected = [r.pk for r in sorted(made, key=lambda r: (r.reviewed_at, r.pk), reverse=True)]
    client = client_for(org["manager"])

    def all_pages(**order: str) -> list[int]:
        seen: list[int] = []
        cursor = None
        for _page in range(3):
            params: dict[str, Any] = {"limit": 3, **order} | ({"cursor": cursor} if cursor else {})
            body = client.get(URL, params).json()
            seen += [item["id"] for item in body["items"]]
            cursor = body["next_cursor"]
        assert cursor is None
        return seen

    assert all_pages() == expected
    assert all_pages(order="oldest") == expected[::-1]

    def ids(**params: Any) -> set[int]:
        return {item["id"] for item in client.get(URL, params).json()["items"]}

    assert ids(channel="meituan") == {made[0].pk, made[1].pk}
    assert ids(rating_max=2) == {r.pk for r in made if r.rating <= 2}
    assert ids(rating=5) == {made[4].pk}
    assert ids(q=made[3].text) == {made[3].pk}
    assert ids(since=(now - timedelta(hours=1)).isoformat()) == {r.pk for r in made[:4]}
    assert ids(store=org.store_a.pk) == {r.pk for r in made if r.store == org.store_a}
    assert_error(client.get(URL, {"cursor": "bm90IGpzb24"}), 400, "invalid_cursor")
    assert_error(client.get(URL, {"cursor": "%%%"}), 400, "invalid_cursor")
    assert_error(client.get(URL, {"limit": 201}), 400, "invalid_limit")
    assert_error(client.get(URL, {"rating": 6}), 422, "validation_error")


def test_department_heads_see_their_stores_only(org: Org) -> None:
    in_a, in_b = make_review(org.store_a), make_review(org.store_b)
    head = bearer(token_for(org, "head_a", TokenScope.REVIEWS_READ))
    assert [i["id"] for i in head.get(URL).json()["items"]] == [in_a.pk]
    assert_error(head.get(f"{URL}/{in_b.pk}"), 404, "not_found")
    manager = client_for(org["manager"]).get(URL).json()
    assert {i["id"] for i in manager["items"]} == {in_a.pk, in_b.pk}
    no_scope = bearer(token_for(org, "head_a", TokenScope.ORG_READ))
    assert_error(no_scope.get(URL), 403, "permission_denied")


def test_customers_are_masked(org: Org, writer: Client) -> None:
    push(writer, {"channel": "dianping", "external_id": "P1", "text": "差",
                  "customer_name": "张三", "customer_phone": "13812341234",
                  "store_code": org.store_a.code})
    for response in (writer.get(URL), writer.get(f"{URL}/{Review.objects.get().pk}")):
        assert "13812341234" not in response.content.decode()
        assert "张三" not in response.content.decode()
    item = writer.get(URL).json()["items"][0]
    assert item["customer"]["phone"] == "138****1234" and item["customer"]["name"] == "张*"


def test_list_carries_the_analysis_and_filters_by_it(org: Org) -> None:
    slow = make_review(org.store_a, rating=1, text="出餐太慢")
    hidden = make_review(org.store_a, rating=5, text="五星是手滑，菜是凉的")
    waiting = make_review(org.store_a, rating=4, text="还没分析")
    analysed(slow, "negative", "delivery_logistics")
    analysed(hidden, "negative", "product_quality", hidden=True)
    client = client_for(org["manager"])

    def items(**params: Any) -> dict[int, Any]:
        return {item["id"]: item for item in client.get(URL, params).json()["items"]}

    every = items()
    assert every[slow.pk]["analysis"] == {
        "sentiment": "negative", "category": "delivery_logistics", "hidden_complaint": False,
        "aspects": [{"text": "出餐慢", "polarity": "negative"}]}
    assert every[waiting.pk]["analysis"] is None
    assert set(items(sentiment="negative")) == {slow.pk, hidden.pk}
    assert set(items(category="product_quality")) == {hidden.pk}
    assert set(items(hidden_complaint="true")) == {hidden.pk}
    assert_error(client.get(URL, {"sentiment": "angry"}), 422, "validation_error")
