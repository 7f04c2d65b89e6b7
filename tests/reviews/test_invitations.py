from __future__ import annotations

import json
from datetime import timedelta

from django.test import Client
from django.urls import reverse
from django.utils import timezone

from pingjia.accounts.models import AuditAction, AuditEntry
from pingjia.accounts.services import api_token_create
from pingjia.reviews.links import invitation_token
from pingjia.reviews.models import Callback, Invitation, Review
from tests.conftest import Org, client_for
from tests.reviews.factories import make_invitation, make_review


def api(org: Org) -> Client:
    _token, secret = api_token_create(actor=None, user=org["manager"], name="ERP",
                                      scopes=["reviews:write"])
    return Client(headers={"Authorization": f"Bearer {secret}"})


def test_another_system_invites_and_gets_the_same_invitation_again(org: Org) -> None:
    body = {"store_code": org.store_a.code, "external_id": "SO-9", "service": "空调安装",
            "customer_name": "李四", "customer_phone": "13712345678"}
    first = api(org).post("/api/v1/invitations", json.dumps(body),
                          content_type="application/json")
    assert first.status_code == 201
    link = first.json()["link"]
    assert link.startswith("http://testserver/i/") and first.json()["created"] is True
    again = api(org).post("/api/v1/invitations", json.dumps(body),
                          content_type="application/json")
    assert again.status_code == 200 and again.json()["id"] == first.json()["id"]
    invitation = Invitation.objects.get()
    assert invitation.customer is not None and invitation.customer.phone == "13712345678"
    unknown = api(org).post("/api/v1/invitations", json.dumps({"store_code": "nope"}),
                            content_type="application/json")
    assert unknown.status_code == 400 and unknown.json()["error"]["code"] == "unknown_store"


def test_the_review_through_the_link_is_linked_and_only_once(org: Org) -> None:
    invitation = make_invitation(org.store_a, hours_ago=1)
    url = reverse("public_invitation", args=[invitation_token(invitation)])  # type: ignore
    assert Client().post(url, {"rating": "2", "text": "师傅迟到了两个小时"}).status_code == 200
    review = Review.objects.get()
    invitation.refresh_from_db()  # type: ignore[attr-defined]
    assert invitation.review == review  # type: ignore[attr-defined]
    assert (review.channel.code, review.product) == ("invite", "空调安装")
    assert review.customer == invitation.customer  # type: ignore[attr-defined]
    second = Client().post(url, {"rating": "5", "text": "再评一次"})
    assert second.status_code == 200 and Review.objects.count() == 1
    assert Client().get(reverse("public_invitation", args=["12:forged"])).status_code == 404


def test_call_back_list_shows_invitations_unanswered_after_72_hours(org: Org) -> None:
    make_invitation(org.store_a, hours_ago=73, service="旧的邀请")
    make_invitation(org.store_a, hours_ago=10, service="新的邀请")
    reviewed = make_invitation(org.store_a, hours_ago=100, service="已评价的邀请")
    reviewed.review = make_review(org.store_a)  # type: ignore[attr-defined]
    reviewed.save()  # type: ignore[attr-defined]
    html = client_for(org["agent"]).get(reverse("callback_list")).content.decode()
    assert "旧的邀请" in html and "新的邀请" not in html and "已评价的邀请" not in html
    assert "13712345678" not in html and "137****5678" in html


def test_a_settling_call_takes_the_invitation_off_the_list(org: Org) -> None:
    invitation = make_invitation(org.store_a)
    url = reverse("callback_record", args=[invitation.pk])  # type: ignore[attr-defined]
    agent = client_for(org["agent"])
    agent.post(url, {"outcome": "no_answer"}, headers={"HX-Request": "true"})
    assert Invitation.objects.awaiting_callback(timezone.now()).count() == 1
    row = agent.post(url, {"outcome": "reached", "note": "客户说师傅很专业"},
                     headers={"HX-Request": "true"})
    assert row.status_code == 200 and "<html" not in row.content.decode()
    assert not Invitation.objects.awaiting_callback(timezone.now()).exists()
    assert list(Callback.objects.values_list("outcome", flat=True)) == ["reached", "no_answer"]
    assert AuditEntry.objects.filter(action=AuditAction.CREATED, actor=org["agent"]).count() == 2
    bad = agent.post(url, {"outcome": "maybe"}, headers={"HX-Request": "true"})
    assert bad.status_code == 400


def test_agent_unmasks_the_number_to_call_with_an_audited_reason(org: Org) -> None:
    invitation = make_invitation(org.store_a, phone="13712345678")
    url = reverse("customer_phone_reveal",
                  args=[invitation.customer.pk])  # type: ignore[attr-defined]
    shown = client_for(org["agent"]).post(url, {"reason": "回访"})
    assert "13712345678" in shown.content.decode()
    entry = AuditEntry.objects.get(action=AuditAction.PERSONAL_DATA_VIEWED)
    assert (entry.actor, entry.note) == (org["agent"], "回访")
    refused = client_for(org["agent"]).post(url, {"reason": ""})
    assert refused.status_code == 400 and "13712345678" not in refused.content.decode()
    assert timezone.now() - entry.at < timedelta(minutes=1)


def test_a_review_through_an_invitation_keeps_the_invited_customer(org: Org) -> None:
    from pingjia.reviews.models import Customer

    invitation = make_invitation(org.store_a, hours_ago=1, phone="13712345678")
    url = reverse("public_invitation", args=[invitation_token(invitation)])  # type: ignore
    Client().post(url, {"rating": "4", "phone": "13900001111"})
    assert Review.objects.get().customer == invitation.customer  # type: ignore[attr-defined]
    assert Customer.objects.count() == 1  # no stray customer from the typed number
