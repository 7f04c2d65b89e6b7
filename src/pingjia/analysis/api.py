"""API endpoints of the text analysis: analyse texts, correct a review's labels."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema

from pingjia.accounts.access import require_permission
from pingjia.accounts.models import TokenScope
from pingjia.analysis.services import (
    ANALYSIS_LIMIT,
    Correction,
    result_json,
    review_labels_correct,
    texts_analyse,
)
from pingjia.api.auth import caller
from pingjia.core.errors import ApplicationError
from pingjia.reviews.selectors import access_review

router = Router(tags=["analysis"])


class TextIn(Schema):
    id: str | int | None = None
    text: str


class AnalysisIn(Schema):
    items: list[TextIn] = Field(description=f"1 to {ANALYSIS_LIMIT} texts.")


class SentimentOut(Schema):
    label: str = Field(description="negative, neutral or positive")
    score: float = Field(description="Probability that the text is positive, 0–1.")


class CategoryOut(Schema):
    code: str
    confidence: float
    secondary: list[str]


class AspectOut(Schema):
    text: str = Field(description="A concrete issue, e.g. 出餐慢, 镜子暗.")
    polarity: str


class AnalysisOut(Schema):
    id: str | int | None
    sentiment: SentimentOut
    category: CategoryOut
    aspects: list[AspectOut]


class AnalysisBatchOut(Schema):
    results: list[AnalysisOut]


class LabelsIn(Schema):
    sentiment: str | None = Field(None, description="negative, neutral or positive")
    category: str | None = Field(None, description="A category code of the taxonomy.")
    aspects: list[AspectOut] | None = Field(None, description="Replaces the issues named.")


class LabelsOut(Schema):
    review_id: int
    sentiment: str
    category: str | None
    aspects: list[AspectOut]
    is_negative: bool
    hidden_complaint: bool


@router.post("/analysis", response=AnalysisBatchOut,
             summary="Analyse texts with the organisation's current models")
def analyse(request: HttpRequest, body: AnalysisIn) -> AnalysisBatchOut:
    """Sentiment, category and the issues named, for each text, in order."""
    user = caller(request, TokenScope.REVIEWS_READ)
    require_permission(user, "reviews.view_review")
    if not 1 <= len(body.items) <= ANALYSIS_LIMIT:
        raise ApplicationError(_("Send between 1 and %(limit)d texts per request.") % {
            "limit": ANALYSIS_LIMIT}, code="batch_size")
    results = texts_analyse([item.text for item in body.items])
    return AnalysisBatchOut(results=[AnalysisOut(id=item.id, **result_json(result))
                                     for item, result in zip(body.items, results, strict=True)])


@router.post("/reviews/{review_id}/labels", response=LabelsOut,
             summary="Correct a review's sentiment, category or issues")
def labels_correct(request: HttpRequest, review_id: int, body: LabelsIn) -> LabelsOut:
    """The correction is the review's from now on (later analyses keep it), teaches the next
    training, and is audited."""
    user = caller(request, TokenScope.REVIEWS_WRITE)
    review = access_review(user, review_id)
    aspects: Any = [a.dict() for a in body.aspects] if body.aspects is not None else None
    analysis = review_labels_correct(actor=user, review=review, correction=Correction(
        sentiment=body.sentiment, category=body.category, aspects=aspects))
    return LabelsOut(review_id=review.pk, sentiment=analysis.sentiment,
                     category=analysis.category.code if analysis.category else None,
                     aspects=analysis.aspects, is_negative=analysis.is_negative,
                     hidden_complaint=analysis.hidden_complaint)
