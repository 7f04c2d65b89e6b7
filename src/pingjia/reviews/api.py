"""API endpoints for reviews: reading them, and other systems pushing them in."""

from __future__ import annotations

import base64
import json
from datetime import datetime
from typing import Annotated, Any, Literal

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Body, Field, Query, Router, Schema, Status
from pydantic import Discriminator, Tag

from pingjia.accounts.access import require_permission
from pingjia.accounts.models import Store, TokenScope
from pingjia.api.auth import require_scope
from pingjia.api.pagination import MAX_LIMIT, Page
from pingjia.core.errors import ApplicationError
from pingjia.reviews import links, selectors, services
from pingjia.reviews.models import Review
from pingjia.reviews.services import PUSH_LIMIT, Outcome

router = Router(tags=["reviews"])


class StoreRef(Schema):
    id: int
    code: str
    name: str


class CustomerOut(Schema):
    id: int
    name: str = Field(description="Masked (张*).")
    phone: str = Field(description="Masked (138****1234).")


class AspectOut(Schema):
    text: str
    polarity: str


class AnalysisOut(Schema):
    sentiment: str = Field(description="negative, neutral or positive.")
    category: str | None = Field(description="Category code.")
    hidden_complaint: bool = Field(description="4–5 stars with clearly negative text.")
    aspects: list[AspectOut]


class ReviewOut(Schema):
    id: int
    channel: str = Field(description="Channel code.")
    channel_name: str
    external_id: str
    store: StoreRef | None
    product: str
    order_id: str
    reviewed_at: datetime
    received_at: datetime
    rating: int | None
    sub_scores: dict[str, int]
    tags: list[str]
    text: str
    images: list[str]
    append_text: str
    appended_at: datetime | None
    platform_reply: str
    language: str
    customer: CustomerOut | None
    analysis: AnalysisOut | None = Field(description="Null until the review is analysed "
                                                     "(seconds after it arrives).")


class RevisionOut(Schema):
    changed_at: datetime
    changes: dict[str, list[object]] = Field(description="field: [before, after]")


class ReviewDetailOut(ReviewOut):
    revisions: list[RevisionOut]


class ReviewPage(Page):
    items: list[ReviewOut]


class ReviewQuery(Schema):
    channel: str = Field("", description="Channel code, e.g. dianping.")
    store: int | None = Field(None, description="Store id.")
    rating: int | None = Field(None, ge=1, le=5)
    rating_max: int | None = Field(None, ge=1, le=5, description="2: the 1–2 star reviews.")
    since: datetime | None = None
    until: datetime | None = None
    q: str = Field("", description="Text to search for in the review and its append review.")
    sentiment: Literal["", "negative", "neutral", "positive"] = ""
    category: str = Field("", description="Category code, e.g. delivery_logistics.")
    hidden_complaint: bool = Field(False, description="Only 4–5 star reviews with clearly "
                                                      "negative text (好评差评).")
    order: Literal["newest", "oldest"] = Field("newest", description="By time of review.")
    cursor: str | None = None
    limit: int = 50


class ReviewIn(Schema):
    """One review. Types are loose on purpose: each review is checked by the import rules
    and, when invalid, rejected on its own with the reason."""

    channel: str | None = Field(None, description="Channel code (required).")
    external_id: str | int | None = Field(
        None, description="The review's id on the channel (required): with the channel it is "
                          "the idempotency key.")
    reviewed_at: str | int | None = Field(
        None, description="2025-01-02T12:00:00+08:00, 2025-01-02 12:00 (company time) or Unix "
                          "time; default: when received.")
    rating: int | float | str | None = Field(None, description="1–5 stars.")
    sub_scores: dict[str, int | float | str] | None = Field(
        None, description="Name: 1–5, e.g. {\"口味\": 4}.")
    text: str | None = None
    customer_name: str | None = None
    customer_nick: str | None = Field(None, description="The customer's id on the channel.")
    customer_phone: str | int | None = None
    customer_email: str | None = None
    order_id: str | int | None = None
    product: str | None = None
    product_code: str | int | None = None
    store_code: str | int | None = None
    store_name: str | None = None
    tags: list[str] | str | None = None
    images: list[str] | str | None = Field(None, description="http(s) URLs.")
    append_text: str | None = None
    appended_at: str | int | None = None
    reply: str | None = Field(None, description="The merchant's reply on the platform.")


class ReviewBatchIn(Schema):
    reviews: list[ReviewIn] = Field(description=f"1 to {PUSH_LIMIT} reviews.")


def _shape(body: Any) -> str:
    return "batch" if isinstance(body, dict) and "reviews" in body else "one"


# A body with `reviews` is a batch, anything else one review: a malformed batch is refused
# (422) rather than read as one empty review.
PushIn = Annotated[Annotated[ReviewIn, Tag("one")] | Annotated[ReviewBatchIn, Tag("batch")],
                   Discriminator(_shape)]


class PushResultOut(Schema):
    index: int = Field(description="Position of the review in the request, from 0.")
    status: str = Field(description="created, updated, duplicate or rejected")
    id: int | None
    error: str = Field(description="Why the review was rejected; empty otherwise.")


class PushOut(Schema):
    results: list[PushResultOut]
    created: int
    updated: int
    duplicates: int
    rejected: int


class InvitationIn(Schema):
    store_code: str = Field(description="The store's code, as on the store list.")
    external_id: str = Field("", description="Your id of the order or service: sending it "
                                             "again returns the same invitation.")
    order_id: str = ""
    service: str = Field("", description="What was done, e.g. 空调安装.")
    customer_name: str = ""
    customer_phone: str = Field("", description="Stored encrypted; shown masked.")
    invited_at: datetime | None = Field(None, description="Default: now.")


class InvitationOut(Schema):
    id: int
    link: str = Field(description="The customer's signed link to the review form.")
    created: bool
    reviewed: bool


def _encode_cursor(key: tuple[datetime, int]) -> str:
    return base64.urlsafe_b64encode(json.dumps([key[0].isoformat(), key[1]]).encode()).decode()


def _decode_cursor(cursor: str) -> tuple[datetime, int]:
    try:
        moment, pk = json.loads(base64.urlsafe_b64decode(cursor.encode()))
        after = datetime.fromisoformat(moment), pk
        if after[0].tzinfo is None or type(pk) is not int:
            raise ValueError(cursor)
    except (ValueError, TypeError):
        raise ApplicationError(_("The cursor is not valid."), code="invalid_cursor") from None
    return after


def _review(review: Review) -> ReviewOut:
    store, customer = review.store, review.customer
    analysis = getattr(review, "analysis", None)  # none yet: not analysed
    return ReviewOut(
        id=review.pk, channel=review.channel.code, channel_name=review.channel.name,
        external_id=review.external_id,
        store=StoreRef(id=store.pk, code=store.code, name=store.name) if store else None,
        product=review.product, order_id=review.order_id, reviewed_at=review.reviewed_at,
        received_at=review.received_at, rating=review.rating, sub_scores=review.sub_scores,
        tags=review.tags, text=review.text, images=review.images,
        append_text=review.append_text, appended_at=review.appended_at,
        platform_reply=review.platform_reply, language=review.language,
        customer=CustomerOut(id=customer.pk, name=customer.name_masked,
                             phone=customer.phone_masked) if customer else None,
        analysis=AnalysisOut(
            sentiment=analysis.sentiment,
            category=analysis.category.code if analysis.category else None,
            hidden_complaint=analysis.hidden_complaint,
            aspects=[AspectOut(text=a["text"], polarity=a["polarity"])
                     for a in analysis.aspects]) if analysis else None,
    )


@router.get("/reviews", response=ReviewPage,
            summary="Reviews the caller sees, newest (or oldest) first")
def review_list(request: HttpRequest, query: Query[ReviewQuery]) -> ReviewPage:
    """Filtered by channel, store, rating, time, text, sentiment, category and hidden
    complaints; customers' names and phones are masked. Page with `next_cursor` until it is
    null (`limit` 1–200)."""
    require_scope(request, TokenScope.REVIEWS_READ)
    require_permission(request.user, "reviews.view_review")
    if not 1 <= query.limit <= MAX_LIMIT:
        raise ApplicationError(_("limit must be between 1 and %(max)s.") % {"max": MAX_LIMIT},
                               code="invalid_limit")
    reviews = selectors.review_list(
        user=request.user,  # type: ignore[arg-type]
        filters=selectors.ReviewFilter(channel=query.channel, store=query.store,
                                       rating=query.rating, rating_max=query.rating_max,
                                       since=query.since, until=query.until, text=query.q,
                                       sentiment=query.sentiment, category=query.category,
                                       hidden_complaint=query.hidden_complaint,
                                       oldest_first=query.order == "oldest"))
    rows, after = selectors.review_page(
        reviews, limit=query.limit, oldest_first=query.order == "oldest",
        after=_decode_cursor(query.cursor) if query.cursor else None)
    return ReviewPage(items=[_review(r) for r in rows],
                      next_cursor=_encode_cursor(after) if after else None)


@router.get("/reviews/{review_id}", response=ReviewDetailOut,
            summary="A review with what later versions of it changed")
def review_detail(request: HttpRequest, review_id: int) -> ReviewDetailOut:
    """404 when the review does not exist or is outside the caller's departments."""
    require_scope(request, TokenScope.REVIEWS_READ)
    require_permission(request.user, "reviews.view_review")
    review = selectors.access_review(request.user, review_id)  # type: ignore[arg-type]
    return ReviewDetailOut(
        **_review(review).dict(),
        revisions=[RevisionOut(changed_at=r.changed_at, changes=r.changes)
                   for r in review.revisions.all()],
    )


@router.post("/invitations", response={200: InvitationOut, 201: InvitationOut},
             summary="Invite a customer to review a completed service or order")
def invitation_create(request: HttpRequest, body: InvitationIn) -> Status[InvitationOut]:
    """201 with the link to send the customer (by SMS, WeChat…; invitations must not promise
    anything for a good review). The same `external_id` answers 200 with the existing
    invitation. Customers who have not reviewed after 72 hours appear on the call-back list."""
    require_scope(request, TokenScope.REVIEWS_WRITE)
    require_permission(request.user, "reviews.add_invitation")
    store = Store.objects.filter(code=body.store_code, is_active=True).first()
    if store is None:
        raise ApplicationError(_("No active store %(code)s.") % {"code": body.store_code},
                               code="unknown_store")
    invitation, created = services.invitation_create(
        actor=request.user,  # type: ignore[arg-type]
        store=store, order_id=body.order_id, service=body.service,
        external_id=body.external_id, customer_name=body.customer_name,
        customer_phone=body.customer_phone, invited_at=body.invited_at)
    return Status(201 if created else 200, InvitationOut(
        id=invitation.pk, link=links.invitation_url(request, invitation), created=created,
        reviewed=invitation.review_id is not None))


PUSH_DESCRIPTION = f"""Send one review object, or `{{"reviews": [...]}}` with 1 to {PUSH_LIMIT} of
them (more: 400 `batch_size`, nothing written).

Idempotent: `channel` + `external_id` identify a review, so sending it again creates nothing
(`duplicate`), and a later version of it (an append review, a reply, a corrected rating)
updates it (`updated`; what changed is kept as a revision). Each review is answered on its
own, in request order: an invalid one is `rejected` with the reason and does not fail the
others."""


@router.post("/reviews", response=PushOut, summary="Push reviews from another system",
             description=PUSH_DESCRIPTION)
def review_push(request: HttpRequest, body: Body[PushIn]) -> PushOut:
    require_scope(request, TokenScope.REVIEWS_WRITE)
    require_permission(request.user, "reviews.add_review")
    items = body.reviews if isinstance(body, ReviewBatchIn) else [body]
    outcomes = services.review_push(actor=request.user,  # type: ignore[arg-type]
                                    items=[item.model_dump(exclude_none=True) for item in items])
    statuses = [o.status for o in outcomes]
    return PushOut(
        results=[PushResultOut(index=o.index, status=o.status, id=o.review_id, error=o.error)
                 for o in outcomes],
        created=statuses.count(Outcome.CREATED), updated=statuses.count(Outcome.UPDATED),
        duplicates=statuses.count(Outcome.DUPLICATE), rejected=statuses.count(Outcome.REJECTED),
    )
