from __future__ import annotations

import pytest
import rjieba

from pingjia.analysis.text.aspects import extract_aspects
from pingjia.analysis.text.category import CategoryModel, cold_start_category
from pingjia.analysis.text.features import (
    normalise_batch,
    prepare,
    segment_batch,
)
from pingjia.analysis.text.normalise import normalise, words
from pingjia.analysis.text.pipeline import BATCH_SIZE, Analysis, analyse_batch
from pingjia.analysis.text.sentiment import cold_start_sentiment
from pingjia.analysis.text.taxonomy import DEFAULT_TAXONOMY

REVIEWS = [
    "服务员态度很差，爱理不理的",
    "快递太慢了，一个星期才到，包装也破了",
    "申请退货一直不处理，售后推卸责任",
    "衣服质量太差，洗一次就掉色",
    "非常满意，质量很好，物流也快，推荐购买",
    "服務員態度很差，愛理不理的",  # Traditional
    "ＷＩＦＩ信号很差！！",  # full-width
    "The room was dirty 房间很脏!!",
    "",
    "   ",
    "😡",
    "a\x1eb 分隔符也能处理",  # the character that joins a batch internally
    "打坏了",  # a phrase the Traditional→Simplified conversion changes
]


@pytest.fixture(scope="module")
def category() -> CategoryModel:
    return cold_start_category(DEFAULT_TAXONOMY)


def test_the_combined_pass_equals_the_separate_calls(category: CategoryModel) -> None:
    sentiment = cold_start_sentiment()
    results = analyse_batch(REVIEWS, sentiment=sentiment, category=category)
    assert results == [
        Analysis(s, c, extract_aspects(text))
        for s, c, text in zip(
            sentiment.predict(REVIEWS), category.predict(REVIEWS, DEFAULT_TAXONOMY), REVIEWS,
            strict=True,
        )
    ]


def test_traditional_input_is_analysed_as_its_simplified_form(category: CategoryModel) -> None:
    traditional, simplified = analyse_batch(
        ["服務員態度很差，愛理不理的", "服务员态度很差，爱理不理的"], category=category
    )
    assert traditional == simplified
    assert traditional.category.code == "service_attitude"
    assert traditional.sentiment.label == "negative"
    assert "态度差" in {a.text for a in traditional.aspects}


def test_empty_text_is_neutral_and_names_no_aspect(category: CategoryModel) -> None:
    (result,) = analyse_batch([""], category=category)
    assert result.sentiment.label == "neutral"
    assert result.category.code in {c.code for c in DEFAULT_TAXONOMY}
    assert result.aspects == []


def test_an_empty_batch_gives_no_results() -> None:
    assert analyse_batch([]) == []


def test_batches_larger_than_one_chunk_keep_their_order(category: CategoryModel) -> None:
    texts = [REVIEWS[i % len(REVIEWS)] for i in range(BATCH_SIZE + 7)]
    results = analyse_batch(texts, category=category)
    assert len(results) == len(texts)
    assert results[BATCH_SIZE + 1] == results[(BATCH_SIZE + 1) % len(REVIEWS)]


def test_batch_normalisation_and_segmentation_equal_the_per_text_ones() -> None:
    normalised = normalise_batch(REVIEWS)
    assert normalised == [normalise(t) for t in REVIEWS]
    assert segment_batch(normalised) == [rjieba.cut(n) for n in normalised]
    assert list(prepare(REVIEWS).words) == [words(n) for n in normalised]


def test_the_fast_feature_lookup_equals_the_lookup_of_n_gram_strings() -> None:
    vocabulary = cold_start_sentiment().vocabulary
    prepared = prepare([*REVIEWS, "性价比高，物超所值，一分钱一分货", "x" * 300])
    fast = vocabulary.matrix_of(prepared)
    slow = vocabulary.matrix(prepared.grams)
    assert (fast != slow).nnz == 0
    assert fast.indptr.tolist() == slow.indptr.tolist()
