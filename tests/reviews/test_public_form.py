from __future__ import annotations

import pytest
from django.test import Client, override_settings
from django.urls import reverse

from pingjia.reviews.links import public_form_token
from pingjia.reviews.models import Customer, Review, ReviewTag
from tests.conftest import Org, client_for

# Seed 000 §1.1: reviews must not be bought ("五星好评送饮料").
INCENTIVE_WORDS = ["好评返", "好评送", "五星好评", "返现", "红包", "优惠券", "赠送", "奖励",
                   "禮品", "贈送", "coupon", "reward", "gift", "discount"]


@pytest.fixture(autouse=True)
def fresh_limits() -> None:
    from django.core.cache import cache

    cache.clear()


def form_url(org: Org) -> str:
    return reverse("public_review", args=[public_form_token(org.store_a)])


def test_customer_leaves_a_review_without_logging_in(org: Org) -> None:
    ReviewTag.objects.create(name="出餐速度")
    ReviewTag.objects.create(name="口味")
    client = Client()
    page = client.get(form_url(org)).content.decode()
    assert "出餐速度" in page and org.store_a.name in page
    response = client.post(form_url(org), {"rating": "2", "tags": ["出餐速度"],
                                           "text": "等了四十分钟", "phone": "13812341234"})
    assert response.status_code == 302
    assert response["Location"] == reverse("public_review_thanks",
                                           args=[public_form_token(org.store_a)])
    review = Review.objects.get()
    assert (review.channel.code, review.store, review.rating) == ("qr", org.store_a, 2)
    assert review.tags == ["出餐速度"] and review.text == "等了四十分钟"
    assert review.customer is not None and review.customer.phone == "13812341234"


def test_the_same_phone_is_the_same_customer(org: Org) -> None:
    known = Customer.objects.create(phone="13812341234")
    Client().post(form_url(org), {"rating": "5", "phone": "138-1234-1234"})
    assert Review.objects.get().customer == known


def test_a_rating_is_required_and_a_bad_phone_is_refused(org: Org) -> None:
    assert Client().post(form_url(org), {"text": "没有评分"}).status_code == 400
    assert Client().post(form_url(org), {"rating": "3", "phone": "call me"}).status_code == 400
    assert Client().post(form_url(org), {"rating": "9"}).status_code == 400
    assert not Review.objects.exists()


def test_a_tampered_or_unknown_link_is_not_found(org: Org) -> None:
    token = public_form_token(org.store_a)
    assert Client().get(reverse("public_review", args=[token + "x"])).status_code == 404
    assert Client().get(reverse("public_review", args=["sh-x:abc"])).status_code == 404
    org.store_a.is_active = False
    org.store_a.save()
    assert Client().get(reverse("public_review", args=[token])).status_code == 404


def test_the_honeypot_is_thanked_but_not_saved(org: Org) -> None:
    response = Client().post(form_url(org), {"rating": "1", "text": "spam",
                                             "website": "http://spam.example"})
    assert response.status_code == 302 and not Review.objects.exists()


@override_settings(PINGJIA_FORM_LIMIT_PER_IP=2)
def test_floods_from_one_address_are_refused(org: Org) -> None:
    client = Client(REMOTE_ADDR="10.1.2.3")
    for _ in range(2):
        assert client.post(form_url(org), {"rating": "5"}).status_code == 302
    refused = client.post(form_url(org), {"rating": "1"})
    assert refused.status_code == 429 and Review.objects.count() == 2
    other = Client(REMOTE_ADDR="10.9.9.9").post(form_url(org), {"rating": "4"})
    assert other.status_code == 302


@override_settings(PINGJIA_FORM_LIMIT_PER_STORE=3)
def test_floods_on_one_store_are_refused(org: Org) -> None:
    statuses = [Client(REMOTE_ADDR=f"10.0.0.{n}").post(form_url(org), {"rating": "5"})
                .status_code for n in range(5)]
    assert statuses == [302, 302, 302, 429, 429]


@pytest.mark.parametrize("language", ["zh-hans", "en", "zh-hant"])
def test_no_incentive_wording_on_the_public_pages(org: Org, language: str) -> None:
    client = Client()
    client.cookies["django_language"] = language
    pages = [client.get(form_url(org)).content.decode(),
             client.get(reverse("public_review_thanks",
                                args=[public_form_token(org.store_a)])).content.decode(),
             client_for(org["manager"]).get(reverse("store_qr", args=[org.store_a.pk]),
                                            headers={"Cookie": f"django_language={language}"}
                                            ).content.decode()]
    for html in pages:
        for word in INCENTIVE_WORDS:
            assert word.lower() not in html.lower(), word


def test_the_qr_sheet_encodes_the_stores_signed_link(org: Org) -> None:
    html = client_for(org["manager"]).get(reverse("store_qr", args=[org.store_a.pk])).content
    text = html.decode()
    assert "<svg" in text and public_form_token(org.store_a) in text
    assert "扫码" in text  # Simplified Chinese by default


def test_the_qr_sheet_uses_the_public_address_when_one_is_set(org: Org) -> None:
    with override_settings(PINGJIA_PUBLIC_URL="https://pingjia.example.com"):
        html = client_for(org["manager"]).get(reverse("store_qr", args=[org.store_a.pk]))
    assert "https://pingjia.example.com/r/" in html.content.decode()
