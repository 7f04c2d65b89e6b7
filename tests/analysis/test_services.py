"""Storing the analysis of reviews, people correcting it, and retraining from the
organisation's own labels."""

from __future__ import annotations

import json
import threading
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection, transaction

from pingjia.accounts.models import AuditAction, AuditEntry
from pingjia.analysis.models import (
    SOURCE_PERSON,
    SOURCE_STARS,
    LabelCorrection,
    ReviewAnalysis,
    TextModel,
)
from pingjia.analysis.services import (
    Correction,
    model_activate,
    model_use_built_in,
    models_train,
    review_labels_correct,
    reviews_analyse,
    reviews_analyse_new,
)
from pingjia.cases.models import Case
from pingjia.cases.services import cases_open_automatically
from tests.analysis.conftest import labelled
from tests.conftest import Org
from tests.reviews.factories import make_review


def test_every_new_review_gets_sentiment_category_and_issues(org: Org) -> None:
    angry = make_review(org.store_a, rating=1, text="快递太慢了，等了一个星期，包装也破了")
    happy = make_review(org.store_a, rating=5, text="味道很好，服务员很热情，下次还来")
    assert reviews_analyse_new() == 2 and reviews_analyse_new() == 0
    bad, good = ReviewAnalysis.objects.get(review=angry), ReviewAnalysis.objects.get(review=happy)
    assert (bad.sentiment, bad.is_negative) == ("negative", True)
    assert bad.category is not None and bad.category.code == "delivery_logistics"
    assert any(a["polarity"] == "negative" for a in bad.aspects)
    assert (good.sentiment, good.is_negative, good.hidden_complaint) == ("positive", False, False)
    assert bad.sentiment_source.startswith("model:sentiment-")


def test_stars_decide_a_negative_review_and_clearly_negative_text_under_five_stars_is_flagged(
        org: Org) -> None:
    hidden = make_review(org.store_a, rating=5, text="太难吃了，服务员态度极差，再也不来了")
    unrated = make_review(org.store_a, rating=None, text="电话投诉：送来的菜是冷的，还少了一份")
    reviews_analyse(review_ids=[hidden.pk, unrated.pk])
    hidden_analysis = ReviewAnalysis.objects.get(review=hidden)
    assert hidden_analysis.is_negative is False and hidden_analysis.hidden_complaint is True
    assert ReviewAnalysis.objects.get(review=unrated).is_negative is True


def test_praising_text_under_good_stars_is_not_a_complaint_whatever_the_model_says(
        org: Org) -> None:
    text = "房间在十楼，窗外能看到江景"  # the category model names a complaint category here
    starred = make_review(org.store_a, rating=4, text=text)
    unrated = make_review(org.store_a, rating=None, text=text)
    corrected = make_review(org.store_a, rating=5, text=text)
    reviews_analyse(review_ids=[corrected.pk])
    review_labels_correct(actor=org["manager"], review=corrected,
                          correction=Correction(category="product_quality"))
    reviews_analyse(review_ids=[starred.pk, unrated.pk, corrected.pk])
    by_review = {a.review_id: a for a in ReviewAnalysis.objects.select_related("category")}
    assert by_review[starred.pk].sentiment == "positive"
    assert by_review[starred.pk].category.code == "not_a_complaint"  # type: ignore[union-attr]
    assert by_review[starred.pk].category_source == SOURCE_STARS
    # Without stars the model decides; a person's category stays.
    assert by_review[unrated.pk].category.code == "product_quality"  # type: ignore[union-attr]
    assert by_review[corrected.pk].category_source == SOURCE_PERSON


def test_a_correction_sticks_through_reanalysis_and_is_audited(org: Org) -> None:
    review = make_review(org.store_a, rating=2, text="快递太慢了")
    reviews_analyse(review_ids=[review.pk])
    review_labels_correct(actor=org["handler_a"], review=review, correction=Correction(
        category="service_attitude", aspects=[{"text": "客服不回复", "polarity": "negative"}]))
    reviews_analyse(review_ids=[review.pk])
    analysis = ReviewAnalysis.objects.get(review=review)
    assert analysis.category is not None and analysis.category.code == "service_attitude"
    assert analysis.category_source == SOURCE_PERSON
    assert analysis.aspects == [{"text": "客服不回复", "polarity": "negative"}]
    assert analysis.sentiment_source != SOURCE_PERSON  # not corrected: still the model's
    assert set(LabelCorrection.objects.values_list("field", flat=True)) == {"category",
                                                                           "aspects"}
    entry = AuditEntry.objects.get(action=AuditAction.LABELS_CORRECTED)
    assert entry.changes["category"] == ["delivery_logistics", "service_attitude"]


def test_only_staff_who_handle_reviews_may_correct(org: Org) -> None:
    review = make_review(org.store_a, rating=2, text="快递太慢了")
    with pytest.raises(PermissionDenied):
        review_labels_correct(actor=org["executive"], review=review,
                              correction=Correction(sentiment="positive"))
    with pytest.raises(PermissionDenied):  # another department's store
        review_labels_correct(actor=org["head_b"], review=review,
                              correction=Correction(sentiment="positive"))
    assert not LabelCorrection.objects.exists()


def test_a_negative_review_without_stars_opens_a_case_with_its_category(org: Org) -> None:
    make_review(org.store_a, rating=None, text="客服态度非常恶劣，挂我电话")
    make_review(org.store_a, rating=None, text="非常满意，谢谢")
    reviews_analyse_new()
    cases_open_automatically()
    case = Case.objects.get()
    assert case.category is not None and case.category.code == "service_attitude"


def test_training_learns_from_corrections_and_keeps_the_old_model_to_roll_back(
        org: Org) -> None:
    labelled(org)
    outcomes = {o.kind: o for o in models_train(actor=org["manager"], activate="always")}
    category = outcomes["category"]
    assert category.model is not None and category.activated
    assert category.figures is not None and category.figures.n_held_out > 0
    assert category.current is not None  # the cold start on the same held-out examples
    stored = TextModel.objects.get(kind="category", is_active=True)
    assert stored.figures["held_out"]["accuracy"] == category.figures.accuracy
    assert outcomes["sentiment"].model is not None  # the star-rated reviews taught it
    # A second training run keeps the first model; rolling back reactivates it.
    first = stored.version
    review = make_review(org.store_a, rating=1, text="快递员把包裹扔在门口")
    review_labels_correct(actor=org["manager"], review=review,
                          correction=Correction(category="delivery_logistics"))
    models_train(actor=org["manager"], activate="always")
    assert TextModel.objects.filter(kind="category").count() == 2
    model_activate(actor=org["manager"], version=first)
    assert TextModel.objects.get(kind="category", is_active=True).version == first


def test_switching_models_analyses_every_review_again_and_keeps_corrections(
        org: Org, django_capture_on_commit_callbacks: Any) -> None:
    labelled(org)
    plain = make_review(org.store_a, rating=2, text="等了四十分钟才上菜，服务员也不理人")
    reviews_analyse_new()
    built_in = ReviewAnalysis.objects.get(review=plain).category_source
    with django_capture_on_commit_callbacks(execute=True):
        outcomes = {o.kind: o for o in models_train(actor=org["manager"], activate="always")}
    trained = outcomes["category"].model
    assert trained is not None and built_in != f"model:{trained.version}"
    sources = set(ReviewAnalysis.objects.values_list("category_source", flat=True))
    assert sources == {f"model:{trained.version}", SOURCE_PERSON, SOURCE_STARS}
    assert ReviewAnalysis.objects.filter(category_source=SOURCE_PERSON).count() == 48
    with django_capture_on_commit_callbacks(execute=True):
        model_use_built_in(actor=org["manager"], kind="category")
    assert ReviewAnalysis.objects.get(review=plain).category_source == built_in
    assert ReviewAnalysis.objects.filter(category_source=SOURCE_PERSON).count() == 48


def test_retiring_a_category_in_the_admin_analyses_every_review_again(
        org: Org, django_capture_on_commit_callbacks: Any) -> None:
    from django.urls import reverse

    from pingjia.analysis.models import Category
    from tests.conftest import client_for

    rude = make_review(org.store_a, rating=1, text="服务员态度很差，爱理不理的")
    reviews_analyse_new()
    assert ReviewAnalysis.objects.get(review=rude).category.code == "service_attitude"
    service = Category.objects.get(code="service_attitude")
    analysed_at = ReviewAnalysis.objects.get(review=rude).analysed_at
    form = {"code": service.code, "name": service.name, "description": "员工的态度",
            "examples": json.dumps(service.examples, ensure_ascii=False), "kind": service.kind,
            "is_active": "on", "merged_into": "", "sort_order": 5}
    url = reverse("admin:analysis_category_change", args=[service.pk])
    with django_capture_on_commit_callbacks(execute=True):  # what the analysis does not read
        assert client_for(org["admin"]).post(url, form).status_code == 302
    assert ReviewAnalysis.objects.get(review=rude).analysed_at == analysed_at
    del form["is_active"]
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(org["admin"]).post(url, form)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert ReviewAnalysis.objects.get(review=rude).category.code != "service_attitude"


def test_merging_a_category_in_the_admin_moves_its_reviews_and_corrections(
        org: Org, django_capture_on_commit_callbacks: Any) -> None:
    from django.urls import reverse

    from pingjia.analysis.engine import taxonomy
    from pingjia.analysis.models import Category
    from tests.conftest import client_for

    rude = make_review(org.store_a, rating=1, text="服务员态度很差，爱理不理的")
    corrected = make_review(org.store_a, rating=1, text="东西还行")
    reviews_analyse_new()
    review_labels_correct(actor=org["manager"], review=corrected,
                          correction=Correction(category="service_attitude"))
    staff = Category.objects.create(code="staff", name="员工问题", examples=["不专业"])
    service = Category.objects.get(code="service_attitude")
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(org["admin"]).post(
            reverse("admin:analysis_category_change", args=[service.pk]),
            {"code": service.code, "name": service.name, "description": service.description,
             "examples": json.dumps(service.examples, ensure_ascii=False), "kind": service.kind,
             "is_active": "on", "merged_into": staff.pk, "sort_order": service.sort_order})
    assert response.status_code == 302, response.content.decode()[:2000]
    (definition,) = [c for c in taxonomy() if c.code == "staff"]
    assert definition.absorbed == ("service_attitude",) and "态度差" in definition.examples
    assert ReviewAnalysis.objects.get(review=rude).category == staff
    moved = ReviewAnalysis.objects.get(review=corrected)
    assert (moved.category, moved.category_source) == (staff, SOURCE_PERSON)


def test_corrections_of_a_merged_category_teach_the_one_it_was_merged_into(org: Org) -> None:
    from pingjia.analysis.models import Category

    labelled(org)  # delivery and service corrections
    staff = Category.objects.create(code="staff", name="员工问题")
    Category.objects.filter(code="service_attitude").update(merged_into=staff)
    outcomes = {o.kind: o for o in models_train(actor=org["manager"], activate="always")}
    category = outcomes["category"]
    assert category.figures is not None and category.model is not None
    assert set(category.figures.per_class_f1) == {"staff", "delivery_logistics"}


@pytest.mark.skipif(connection.vendor != "postgresql",
                    reason="two connections at once: PostgreSQL's row locks")
@pytest.mark.django_db(transaction=True)
def test_a_correction_made_while_a_batch_is_analysed_again_is_kept(org: Org) -> None:
    review = make_review(org.store_a, rating=1, text="服务员态度很差")
    reviews_analyse(review_ids=[review.pk])
    corrected, release = threading.Event(), threading.Event()

    def correct() -> None:
        try:
            with transaction.atomic():
                review_labels_correct(actor=org["manager"], review=review,
                                      correction=Correction(category="other"))
                corrected.set()
                release.wait(10)  # not committed yet
        finally:
            connection.close()

    person = threading.Thread(target=correct)
    person.start()
    assert corrected.wait(10)
    threading.Timer(1.0, release.set).start()
    reviews_analyse(review_ids=[review.pk])  # waits for the correction to commit
    person.join()
    analysis = ReviewAnalysis.objects.get(review=review)
    assert (analysis.category.code, analysis.category_source) == ("other", SOURCE_PERSON)


@pytest.mark.django_db(transaction=True)
def test_a_review_pushed_in_is_analysed_and_opens_its_case_when_it_commits(org: Org) -> None:
    from pingjia.reviews.services import review_push

    [outcome] = review_push(actor=org["manager"], items=[{
        "channel": "app", "external_id": "A-1", "rating": 1,
        "text": "送货员态度恶劣，还摔坏了包裹", "store_code": org.store_a.code}])
    analysis = ReviewAnalysis.objects.get(review_id=outcome.review_id)
    assert analysis.is_negative
    case = Case.objects.get()
    assert list(case.reviews.values_list("pk", flat=True)) == [outcome.review_id]
