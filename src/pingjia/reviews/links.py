"""The public links customers open: a store's review form (QR code) and an invitation. They
are signed, so they cannot be guessed or altered, and absolute on PINGJIA_PUBLIC_URL when set."""

from __future__ import annotations

from django.conf import settings
from django.core import signing
from django.http import HttpRequest
from django.urls import reverse

from pingjia.accounts.models import Store
from pingjia.reviews.models import Invitation

_FORM = signing.Signer(salt="pingjia.review-form")
_INVITATION = signing.Signer(salt="pingjia.invitation")


def public_form_token(store: Store) -> str:
    return _FORM.sign(store.code)


def store_code_from_token(token: str) -> str | None:
    try:
        return _FORM.unsign(token)
    except signing.BadSignature:
        return None


def invitation_token(invitation: Invitation) -> str:
    return _INVITATION.sign(str(invitation.pk))


def invitation_id_from_token(token: str) -> int | None:
    try:
        return int(_INVITATION.unsign(token))
    except (signing.BadSignature, ValueError):
        return None


def absolute(request: HttpRequest | None, path: str) -> str:
    if settings.PINGJIA_PUBLIC_URL:
        return settings.PINGJIA_PUBLIC_URL + path
    return request.build_absolute_uri(path) if request is not None else path


def store_form_url(request: HttpRequest | None, store: Store) -> str:
    return absolute(request, reverse("public_review", args=[public_form_token(store)]))


def invitation_url(request: HttpRequest | None, invitation: Invitation) -> str:
    return absolute(request, reverse("public_invitation", args=[invitation_token(invitation)]))
