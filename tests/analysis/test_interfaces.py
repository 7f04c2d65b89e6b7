"""`pingjia analyze`, `pingjia train` and the analysis API."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from django.test import Client

from pingjia.analysis.models import ReviewAnalysis, TextModel
from tests.conftest import Org, client_for
from tests.reviews.factories import make_review


def test_analyze_reads_json_lines_and_answers_each_in_order(db: None, tmp_path: Path) -> None:
    from io import StringIO

    from django.core.management import call_command

    lines = ['{"id": "a", "text": "快遞太慢了，包裝也破了"}', "not json",
             '{"id": 7, "text": "服务员很热情，菜也好吃"}', '{"id": 8}']
    out = StringIO()
    stdin = sys.stdin
    sys.stdin = StringIO("\n".join(lines) + "\n")
    try:
        call_command("analyze", stdout=out)
    finally:
        sys.stdin = stdin
    answers = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [a.get("id") for a in answers] == ["a", None, 7, 8]
    first = answers[0]
    assert first["sentiment"]["label"] == "negative"
    assert first["category"]["code"] == "delivery_logistics"
    assert {"text": "快递慢", "polarity": "negative"} in first["aspects"]
    assert answers[1]["line"] == 2 and "error" in answers[1]
    assert answers[2]["sentiment"]["label"] == "positive"
    assert "error" in answers[3]


def test_train_from_a_file_prints_held_out_figures(db: None, tmp_path: Path) -> None:
    from io import StringIO

    from django.core.management import call_command

    examples = tmp_path / "labels.jsonl"
    rows = [{"text": f"{t}{'！' * n}", "category": c} for n in range(5) for t, c in [
        ("快递三天才到", "delivery_logistics"), ("物流太慢了", "delivery_logistics"),
        ("服务员不理人", "service_attitude"), ("客服态度很差", "service_attitude")]]
    examples.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows),
                        encoding="utf-8")
    out = StringIO()
    call_command("train", "--from", str(examples), "--activate", "never", stdout=out)
    text = out.getvalue()
    assert "category: category-trained-" in text and "accuracy" in text
    assert "kept inactive" in text
    assert "sentiment: not trained" in text  # no star-rated reviews, no sentiment lines
    assert not TextModel.objects.filter(is_active=True).exists()
    assert "analyses every review again" not in text
    out = StringIO()
    call_command("train", "--from", str(examples), "--activate", "always", stdout=out)
    assert "; activated" in out.getvalue()
    assert "analyses every review again" in out.getvalue()
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": "x"}\n', encoding="utf-8")
    result = subprocess.run([sys.executable, "-m", "pingjia.cli", "train", "--from", str(bad)],
                            capture_output=True, text=True, check=False)
    assert result.returncode != 0


def test_the_analysis_api_answers_a_batch_and_refuses_an_oversized_one(org: Org) -> None:
    client = client_for(org["manager"])
    response = client.post("/api/v1/analysis", {"items": [
        {"id": 1, "text": "客服态度很差"}, {"id": 2, "text": "很好"}]},
        content_type="application/json")
    assert response.status_code == 200
    results = response.json()["results"]
    assert [r["id"] for r in results] == [1, 2]
    assert results[0]["category"]["code"] == "service_attitude"
    too_many = {"items": [{"text": "x"}] * 1001}
    response = client.post("/api/v1/analysis", too_many, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "batch_size"


def test_a_label_correction_through_the_api(org: Org) -> None:
    review = make_review(org.store_a, rating=2, text="上菜太慢")
    client = client_for(org["handler_a"])
    response = client.post(f"/api/v1/reviews/{review.pk}/labels", {
        "category": "delivery_logistics", "sentiment": "negative",
        "aspects": [{"text": "上菜慢", "polarity": "negative"}]},
        content_type="application/json")
    assert response.status_code == 200, response.content
    assert response.json()["category"] == "delivery_logistics"
    assert ReviewAnalysis.objects.get(review=review).aspects == [
        {"text": "上菜慢", "polarity": "negative"}]
    response = client.post(f"/api/v1/reviews/{review.pk}/labels", {"category": "nope"},
                           content_type="application/json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "unknown_category"
    assert Client().post(f"/api/v1/reviews/{review.pk}/labels", {},
                         content_type="application/json").status_code == 401


def test_staff_correct_a_category_from_the_review_page_in_one_click(org: Org) -> None:
    from django.urls import reverse

    from pingjia.analysis.services import reviews_analyse

    review = make_review(org.store_a, rating=1, text="快递太慢了")
    reviews_analyse(review_ids=[review.pk])
    client = client_for(org["manager"])
    page = client.get(reverse("review_detail", args=[review.pk])).content.decode()
    assert "快递慢" in page and f'id="correct-{review.pk}"' in page
    response = client.post(reverse("review_labels", args=[review.pk]), {
        "sentiment": "negative", "category": "after_sales", "aspects": "快递慢"},
        headers={"HX-Request": "true"})
    assert response.status_code == 200
    analysis = ReviewAnalysis.objects.get(review=review)
    assert analysis.category is not None and analysis.category.code == "after_sales"
    # Only the category changed, so only the category counts as corrected.
    assert (analysis.category_source, analysis.sentiment_source) == (
        "person", analysis.sentiment_source)
    assert analysis.sentiment_source != "person" and analysis.aspects_source != "person"
    assert "售后问题" in response.content.decode()
