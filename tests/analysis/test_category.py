from __future__ import annotations

import json
from dataclasses import replace
from itertools import product
from pathlib import Path

import pytest

from pingjia.analysis.text.category import (
    CategoryModel,
    cold_start_category,
    is_bare_verdict,
    keyword_category,
    named_category,
    train_category,
)
from pingjia.analysis.text.features import prepare
from pingjia.analysis.text.heldout import NotEnoughExamples, measure
from pingjia.analysis.text.model_io import ModelFormatError
from pingjia.analysis.text.normalise import normalise
from pingjia.analysis.text.taxonomy import DEFAULT_TAXONOMY, CategoryDef, CategoryKind

CLEAR_CASES = {
    "服务员态度很差，爱理不理的": "service_attitude",
    "快递太慢了，一个星期才到，包装也破了": "delivery_logistics",
    "申请退货一直不处理，售后推卸责任": "after_sales",
    "衣服质量太差，洗一次就掉色": "product_quality",
}


@pytest.fixture(scope="module")
def cold() -> CategoryModel:
    return cold_start_category(DEFAULT_TAXONOMY)


def test_default_taxonomy_has_the_five_categories_and_not_a_complaint() -> None:
    assert [c.code for c in DEFAULT_TAXONOMY] == [
        "product_quality",
        "service_attitude",
        "delivery_logistics",
        "after_sales",
        "other",
        "not_a_complaint",
    ]
    assert all(c.description and c.examples for c in DEFAULT_TAXONOMY)
    assert sum(c.kind == CategoryKind.CATCH_ALL for c in DEFAULT_TAXONOMY) == 1


def test_keyword_matching_picks_the_category_with_most_seed_phrases() -> None:
    assert keyword_category(normalise("物流太慢，快递员也不送货上门"), DEFAULT_TAXONOMY) == (
        "delivery_logistics"
    )
    assert keyword_category(normalise("嗯"), DEFAULT_TAXONOMY) == "other"


def test_the_phrases_of_an_issue_name_its_category_in_the_taxonomys_words() -> None:
    assert named_category([("价格贵", 35), ("价格不值", 21)], DEFAULT_TAXONOMY) == "other"
    assert named_category([("服务差", 3), ("物流慢", 1)], DEFAULT_TAXONOMY) == "service_attitude"
    # Praise phrases name no complaint, and a phrase no seed phrase is in names nothing.
    assert named_category([("很好", 9), ("镜子暗", 4)], DEFAULT_TAXONOMY) is None
    assert named_category([], DEFAULT_TAXONOMY) is None


def test_cold_start_sorts_clear_complaints(cold: CategoryModel) -> None:
    guesses = cold.predict(list(CLEAR_CASES), DEFAULT_TAXONOMY)
    assert [g.code for g in guesses] == list(CLEAR_CASES.values())
    assert all(0.0 < g.confidence <= 1.0 for g in guesses)


def test_cold_start_sees_praise_as_not_a_complaint(cold: CategoryModel) -> None:
    (guess,) = cold.predict(["非常满意，质量很好，物流也快，推荐购买"], DEFAULT_TAXONOMY)
    assert guess.code == "not_a_complaint"


def test_a_word_of_praise_does_not_hide_a_complaint(cold: CategoryModel) -> None:
    (guess,) = cold.predict(["外观不错，就是质量太差，用了两天就坏了"], DEFAULT_TAXONOMY)
    assert guess.code == "product_quality"


def test_traditional_input_gets_the_same_category(cold: CategoryModel) -> None:
    traditional = cold.predict(
        ["服務員態度很差，愛理不理的", "快遞太慢了，一個星期才到"], DEFAULT_TAXONOMY
    )
    simplified = cold.predict(
        ["服务员态度很差，爱理不理的", "快递太慢了，一个星期才到"], DEFAULT_TAXONOMY
    )
    assert traditional == simplified


@pytest.mark.parametrize("text", ["", "😡", "x" * 50_000, "The staff were rude 服务员很凶 ！！"])
def test_odd_input_gets_a_category_of_the_taxonomy(cold: CategoryModel, text: str) -> None:
    (guess,) = cold.predict([text], DEFAULT_TAXONOMY)
    assert guess.code in {c.code for c in DEFAULT_TAXONOMY}
    assert guess.code not in guess.secondary


BARE_VERDICTS = ["差评，建议不要买", "比较一般", "太差了 千万不要买", "總之以後不會再住了",
                 "真的让我很失望！！", "不怎么样。"]
NAMED_COMPLAINTS = ["太差了，洗一次就掉色", "一般，物流太慢", "很失望，客服不理人",
                    "差评，退款不给退"]


def test_a_bare_verdict_is_told_from_a_complaint_that_names_something() -> None:
    prepared = prepare([*BARE_VERDICTS, *NAMED_COMPLAINTS, "", "好好好", "？？？？"])
    flags = [is_bare_verdict(tokens) for tokens in prepared.tokens]
    assert flags == [True] * len(BARE_VERDICTS) + [False] * (len(NAMED_COMPLAINTS) + 3)


def test_a_bare_verdict_goes_to_the_catch_all(cold: CategoryModel) -> None:
    verdicts = cold.predict(BARE_VERDICTS, DEFAULT_TAXONOMY)
    assert {(g.code, g.secondary) for g in verdicts} == {("other", ())}
    named = cold.predict(NAMED_COMPLAINTS, DEFAULT_TAXONOMY)
    assert "other" not in {g.code for g in named}
    renamed = tuple(replace(c, code="misc") if c.kind == CategoryKind.CATCH_ALL else c
                    for c in DEFAULT_TAXONOMY)
    assert cold.predict(["比较一般"], renamed)[0].code == "misc"
    without = tuple(c for c in DEFAULT_TAXONOMY if c.kind != CategoryKind.CATCH_ALL)
    assert cold.predict(["比较一般"], without)[0].code in {c.code for c in without}


def test_corrections_that_put_bare_verdicts_elsewhere_are_learnt(cold: CategoryModel) -> None:
    verdicts = [(f"{o}{v}", "product_quality") for o in ("唉", "说实话") for v in BARE_VERDICTS]
    model = train_category([*_corrections(), *verdicts], DEFAULT_TAXONOMY, base=cold).model
    assert not model.verdicts
    assert not CategoryModel.from_bytes(model.to_bytes()).verdicts
    assert model.predict(["比较一般，太差了"], DEFAULT_TAXONOMY)[0].code == "product_quality"
    kept = train_category(_corrections(), DEFAULT_TAXONOMY, base=cold).model
    assert kept.verdicts and kept.predict(["比较一般"], DEFAULT_TAXONOMY)[0].code == "other"


def test_cold_start_follows_a_changed_taxonomy() -> None:
    by_code = {c.code: c for c in DEFAULT_TAXONOMY}
    taxonomy = (
        replace(by_code["product_quality"], code="goods", name="商品问题"),
        by_code["service_attitude"],
        by_code["delivery_logistics"],
        CategoryDef(
            "price", "价格问题", "价格太贵、降价、差价", ("太贵", "降价", "差价", "不值这个价")
        ),
        replace(by_code["other"], examples=("虚假宣传", "乱收费")),
        by_code["not_a_complaint"],
    )  # after_sales retired
    model = cold_start_category(taxonomy)
    guesses = model.predict(
        ["衣服质量太差，洗一次就掉色", "刚买就降价了，太贵了，不值这个价", "申请退货一直不处理"],
        taxonomy,
    )
    assert set(model.codes) <= {c.code for c in taxonomy}
    assert [g.code for g in guesses[:2]] == ["goods", "price"]
    assert guesses[2].code != "after_sales"


def _corrections() -> list[tuple[str, str]]:
    topics = {
        "product_quality": ["质量很差", "坏了不能用", "做工粗糙", "有异味"],
        "service_attitude": ["态度很差", "服务员不理人", "客服很凶", "店员没礼貌"],
        "delivery_logistics": ["快递太慢", "物流一周才到", "包装破损", "少发了一件"],
    }
    openings = ["这次", "真的", "说实话", "唉", "第一次买"]
    return [
        (f"{o}{p}", code) for code, phrases in topics.items() for o, p in product(openings, phrases)
    ]


@pytest.fixture(scope="module")
def trained() -> CategoryModel:
    return train_category(_corrections(), DEFAULT_TAXONOMY).model


def test_training_returns_held_out_figures() -> None:
    corrections = _corrections()
    result = train_category(corrections, DEFAULT_TAXONOMY)
    figures = result.figures
    assert figures.n_train + figures.n_held_out == len(corrections)
    assert figures.n_held_out > 0
    assert 0.0 <= figures.macro_f1 <= figures.accuracy + 1.0
    assert set(figures.per_class_f1) <= {
        "product_quality",
        "service_attitude",
        "delivery_logistics",
    }


def test_training_drops_examples_of_retired_codes() -> None:
    corrections = [*_corrections(), *[(f"退款{i}", "refunds") for i in range(30)]]
    result = train_category(corrections, DEFAULT_TAXONOMY)
    assert "refunds" not in result.model.codes


def test_training_needs_two_categories() -> None:
    with pytest.raises(NotEnoughExamples):
        train_category([(f"态度差{i}", "service_attitude") for i in range(40)], DEFAULT_TAXONOMY)


def test_trained_model_learns_the_corrections(trained: CategoryModel) -> None:
    guesses = trained.predict(["客服很凶", "物流太慢了"], DEFAULT_TAXONOMY)
    assert [g.code for g in guesses] == ["service_attitude", "delivery_logistics"]


def test_training_on_a_base_keeps_the_categories_the_corrections_never_mention(
    cold: CategoryModel,
) -> None:
    model = train_category(_corrections(), DEFAULT_TAXONOMY, base=cold).model
    refund, rude = model.predict(["申请退货一直不处理，售后推卸责任", "客服很凶"], DEFAULT_TAXONOMY)
    assert set(cold.codes) <= set(model.codes)
    # The base's score for 售后 competes with categories trained on the corrections alone.
    assert "after_sales" in (refund.code, *refund.secondary)
    assert rude.code == "service_attitude"


def test_a_model_trained_on_a_base_is_one_linear_model_that_round_trips(
    cold: CategoryModel,
) -> None:
    model = train_category(_corrections(), DEFAULT_TAXONOMY, base=cold).model
    copy = CategoryModel.from_bytes(model.to_bytes())
    texts = [*CLEAR_CASES, "非常满意，推荐", ""]
    assert model.weights.shape == (len(model.vocabulary), len(model.codes))
    assert copy.predict(texts, DEFAULT_TAXONOMY) == model.predict(texts, DEFAULT_TAXONOMY)


def test_a_retired_code_is_never_given(trained: CategoryModel) -> None:
    taxonomy = tuple(c for c in DEFAULT_TAXONOMY if c.code != "service_attitude")
    guesses = trained.predict(["客服很凶", "服务员不理人"], taxonomy)
    assert all(
        g.code != "service_attitude" and "service_attitude" not in g.secondary for g in guesses
    )


def test_an_added_code_is_given_when_its_seed_phrase_occurs(trained: CategoryModel) -> None:
    taxonomy = (*DEFAULT_TAXONOMY, CategoryDef("hygiene", "卫生问题", examples=("蟑螂", "不卫生")))
    guesses = trained.predict(["房间里有蟑螂", "快递太慢"], taxonomy)
    assert [g.code for g in guesses] == ["hygiene", "delivery_logistics"]


def test_a_merged_category_counts_for_the_one_it_was_merged_into(trained: CategoryModel) -> None:
    by_code = {c.code: c for c in DEFAULT_TAXONOMY}
    staff = CategoryDef("staff", "员工问题", examples=("态度差",), absorbed=("service_attitude",))
    taxonomy = (*(c for c in DEFAULT_TAXONOMY if c.code != "service_attitude"), staff)
    rude, slow = trained.predict(["客服很凶", "快递太慢"], taxonomy)
    assert (rude.code, slow.code) == ("staff", "delivery_logistics")
    # The merged column's probability is the target's, not shared out among the rest.
    (before,) = trained.predict(["客服很凶"], DEFAULT_TAXONOMY)
    assert rude.confidence == pytest.approx(before.confidence, abs=1e-3)
    into_quality = (replace(by_code["product_quality"], absorbed=("service_attitude",)),
                    *(c for c in DEFAULT_TAXONOMY if c.code not in {"product_quality",
                                                                     "service_attitude"}))
    assert trained.predict(["客服很凶"], into_quality)[0].code == "product_quality"
    # Corrections of the merged category teach the one it was merged into.
    result = train_category(_corrections(), taxonomy)
    assert "staff" in result.model.codes and "service_attitude" not in result.model.codes


def test_a_renamed_category_keeps_its_code(trained: CategoryModel) -> None:
    taxonomy = tuple(
        replace(c, name="员工服务") if c.code == "service_attitude" else c for c in DEFAULT_TAXONOMY
    )
    assert trained.predict(["客服很凶"], taxonomy)[0].code == "service_attitude"


def test_round_trip_through_bytes_keeps_predictions(cold: CategoryModel) -> None:
    copy = CategoryModel.from_bytes(cold.to_bytes())
    texts = [*CLEAR_CASES, "非常满意，推荐", ""]
    assert copy.version == cold.version
    assert copy.predict(texts, DEFAULT_TAXONOMY) == cold.predict(texts, DEFAULT_TAXONOMY)


def test_bytes_of_another_kind_of_model_are_refused(trained: CategoryModel) -> None:
    from pingjia.analysis.text.sentiment import SentimentModel

    with pytest.raises(ModelFormatError):
        SentimentModel.from_bytes(trained.to_bytes())


def test_cold_start_beats_keywords_on_the_test_split(
    shared_data: Path, cold: CategoryModel
) -> None:
    with (shared_data / "online_shopping_categories.jsonl").open(encoding="utf-8") as handle:
        rows = [r for r in map(json.loads, handle) if r["row"] % 5 == 0]
    texts = [r["review"] for r in rows]
    truth = [r["primary"] for r in rows]
    model = measure(truth, [g.code for g in cold.predict(texts, DEFAULT_TAXONOMY)], n_train=0)
    keywords = measure(
        truth, [keyword_category(normalise(t), DEFAULT_TAXONOMY) for t in texts], n_train=0
    )
    assert model.accuracy > keywords.accuracy
    assert model.macro_f1 > keywords.macro_f1
