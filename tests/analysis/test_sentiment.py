from __future__ import annotations

import csv
from itertools import product
from pathlib import Path

import numpy as np
import pytest

from pingjia.analysis.text.features import prepare
from pingjia.analysis.text.heldout import NotEnoughExamples
from pingjia.analysis.text.model_io import ModelFormatError
from pingjia.analysis.text.sentiment import (
    SentimentModel,
    cold_start_sentiment,
    label_for,
    train_sentiment,
)

PRAISE = [
    "非常好吃，服务也很热情，下次还来",
    "质量很好，物流也快，很满意",
    "房间干净，位置方便，推荐",
]
COMPLAINTS = ["太难吃了", "服务员态度很差", "质量太差了，用了两天就坏了", "物流太慢，再也不买了"]


def test_cold_start_reads_complaints_as_negative_and_praise_as_positive() -> None:
    model = cold_start_sentiment()
    assert [s.label for s in model.predict(COMPLAINTS)] == ["negative"] * len(COMPLAINTS)
    assert [s.label for s in model.predict(PRAISE)] == ["positive"] * len(PRAISE)


def test_traditional_chinese_scores_as_its_simplified_form() -> None:
    model = cold_start_sentiment()
    traditional = model.predict(["服務員態度很差", "質量很好，物流也快，很滿意"])
    simplified = model.predict(["服务员态度很差", "质量很好，物流也快，很满意"])
    assert traditional == simplified


def test_full_width_and_case_do_not_change_the_score() -> None:
    model = cold_start_sentiment()
    assert model.predict(["ＷＩＦＩ信号很差"]) == model.predict(["wifi信号很差"])


@pytest.mark.parametrize(
    "text",
    ["", "   ", "😡😡😡", "😀", "ok", "The room was dirty 房间很脏!!", "差" * 20_000, "\x00\n\t"],
)
def test_odd_input_gives_a_score_in_range(text: str) -> None:
    (result,) = cold_start_sentiment().predict([text])
    assert 0.0 <= result.score <= 1.0
    assert result.label == label_for(result.score)


def test_text_with_nothing_known_is_neutral() -> None:
    assert [s.label for s in cold_start_sentiment().predict(["", "😀", "qzxv"])] == ["neutral"] * 3


def test_empty_batch_gives_no_results() -> None:
    assert cold_start_sentiment().predict([]) == []


def test_round_trip_through_bytes_keeps_predictions_and_version() -> None:
    model = cold_start_sentiment()
    copy = SentimentModel.from_bytes(model.to_bytes())
    texts = COMPLAINTS + PRAISE
    assert copy.version == model.version
    assert copy.predict(texts) == model.predict(texts)


def test_bytes_that_are_not_a_sentiment_model_are_refused() -> None:
    with pytest.raises(ModelFormatError):
        SentimentModel.from_bytes(b"not a model")


def _labelled_examples() -> list[tuple[str, str]]:
    good = ["很好", "满意", "不错", "很喜欢", "推荐"]
    bad = ["很差", "失望", "太烂", "不满意", "后悔"]
    things = ["质量", "味道", "服务", "包装", "物流", "价格"]
    examples = [(f"{t}{g}", "positive") for t, g in product(things, good)]
    examples += [(f"{t}{b}", "negative") for t, b in product(things, bad)]
    return [*examples, ("一般般吧", "neutral")]


def test_training_returns_the_model_and_held_out_figures() -> None:
    examples = _labelled_examples()
    result = train_sentiment(examples)
    figures = result.figures
    assert figures.n_train + figures.n_held_out == len(examples) - 1  # the neutral one is skipped
    assert figures.n_held_out > 0
    assert 0.0 <= figures.accuracy <= 1.0
    assert 0.0 <= figures.macro_f1 <= 1.0
    assert result.model.origin == "trained"
    assert [s.label for s in result.model.predict(["包装很差", "味道很好"])] == [
        "negative",
        "positive",
    ]


def test_training_on_a_base_keeps_what_the_base_knew() -> None:
    result = train_sentiment(_labelled_examples(), base=cold_start_sentiment())
    assert result.model.predict(["服务员态度很差"])[0].label == "negative"


def test_training_needs_enough_examples_of_both_labels() -> None:
    with pytest.raises(NotEnoughExamples):
        train_sentiment([("很好", "positive"), ("很差", "negative")])
    with pytest.raises(NotEnoughExamples):
        train_sentiment([(f"很好{i}", "positive") for i in range(50)])


def test_cold_start_on_the_shopping_test_split(shared_data: Path) -> None:
    with (shared_data / "online_shopping_10_cats.csv").open(encoding="utf-8-sig") as handle:
        rows = [r for i, r in enumerate(csv.DictReader(handle)) if i % 5 == 0][::5]
    scores = cold_start_sentiment().positive_probability(prepare([r["review"] for r in rows]))
    truth = np.array([r["label"] == "1" for r in rows])
    assert np.mean((scores >= 0.5) == truth) >= 0.85
