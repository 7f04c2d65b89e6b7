"""The customer's private link to follow their case: signed, so it cannot be guessed."""

from __future__ import annotations

from django.core import signing
from django.http import HttpRequest
from django.urls import reverse

from pingjia.cases.models import Case
from pingjia.reviews.links import absolute

_FOLLOW = signing.Signer(salt="pingjia.case-follow")


def follow_token(case: Case) -> str:
    return _FOLLOW.sign(str(case.pk))


def case_id_from_token(token: str) -> int | None:
    try:
        return int(_FOLLOW.unsign(token))
    except (signing.BadSignature, ValueError):
        return None


def follow_url(request: HttpRequest | None, case: Case) -> str:
    return absolute(request, reverse("case_follow", args=[follow_token(case)]))
