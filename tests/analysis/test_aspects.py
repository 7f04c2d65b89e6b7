"""Aspect extraction: the concrete issues a review names, canonical and with their polarity."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import rjieba
from hypothesis import given, settings
from hypothesis import strategies as st

from pingjia.analysis.text.aspect_lexicon import IMPLIED_TARGET
from pingjia.analysis.text.aspects import (
    Aspect,
    extract_aspects,
    extract_aspects_batch,
    parse_aspect,
    parts_from_tokens,
    predicate_class,
)
from pingjia.analysis.text.normalise import normalise

DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"


def texts(review: str) -> list[str]:
    return [aspect.text for aspect in extract_aspects(review)]


def test_slow_service_is_named_without_degree_words() -> None:
    assert extract_aspects("出餐太慢了") == [Aspect("出餐慢", "negative")]


def test_traditional_chinese_gives_the_simplified_phrase() -> None:
    assert Aspect("态度差", "negative") in extract_aspects("服務員態度很差")


@pytest.mark.parametrize(
    ("review", "phrase"),
    [
        ("试衣间的镜子太暗了", "镜子暗"),
        ("分量太少了", "分量少"),
        ("快递速度超慢", "快递慢"),
        ("收到时包装破损", "包装破损"),
        ("电池不耐用", "电池不耐用"),
        ("价格太贵了", "价格贵"),
        ("价格偏高", "价格贵"),
        ("房价太高", "房价贵"),
        ("尺码太大", "尺码偏大"),
        ("空调不制冷", "空调不制冷"),
        ("没有发票", "无发票"),
        ("耳机也没有", "无耳机"),
        ("質量太差了！！", "质量差"),
        ("收到的与描述不符", "描述不符"),
        ("货不对板", "描述不符"),
        ("颜色和图片不一样", "图片不符"),
        ("颜色不一样", "颜色不符"),
        ("尺寸与描述不一致", "描述不符"),
        ("耳机有杂音", "耳机杂音"),
        ("衣服有色差", "衣服色差"),
    ],
)
def test_complaints_become_whiteboard_phrases(review: str, phrase: str) -> None:
    found = extract_aspects(review)
    assert Aspect(phrase, "negative") in found, found


def test_praise_is_positive() -> None:
    assert extract_aspects("服务非常好，房间很干净") == [
        Aspect("服务好", "positive"),
        Aspect("房间干净", "positive"),
    ]


def test_negated_praise_is_a_complaint() -> None:
    assert Aspect("水果不新鲜", "negative") in extract_aspects("水果不新鲜")
    assert Aspect("菜难吃", "negative") in extract_aspects("菜不好吃")


def test_negated_complaint_is_not_a_complaint() -> None:
    found = extract_aspects("送货速度不慢")
    assert found and all(aspect.polarity != "negative" for aspect in found)


def test_an_unwanted_thing_absent_is_praise_an_expected_one_a_complaint() -> None:
    for review in ["没有噪音", "房间没有任何异味", "没有什么缺点", "没有什么毛病"]:
        found = extract_aspects(review)
        assert found and all(aspect.polarity == "positive" for aspect in found), review
    assert extract_aspects("没有发票") == [Aspect("无发票", "negative")]
    # 什么 and 任何 leave the negation standing: the effect is still what is missing.
    for review in ["没什么效果", "没有什么效果", "没啥效果", "用了没有任何效果"]:
        assert extract_aspects(review) == [Aspect("无效果", "negative")], review
    assert extract_aspects("没有什么问题") == []


def test_what_is_missing_keeps_its_whole_name() -> None:
    assert extract_aspects("没有手机壳") == [Aspect("无手机壳", "negative")]
    assert extract_aspects("都没有苹果味") == [Aspect("无苹果味", "negative")]
    assert extract_aspects("没有坏果") == [Aspect("没坏果", "positive")]
    # A defect under the negation is denied (没有划痕); a quality compares with something else.
    assert extract_aspects("没有玻璃划痕") == [Aspect("玻璃没划痕", "positive")]
    assert extract_aspects("没有小米好用") == []
    # 无语 (speechless), often cut 无 语, names nothing missing.
    assert extract_aspects("买了两次都这样，真是无语") == []


def test_arriving_only_after_days_is_a_late_delivery() -> None:
    assert extract_aspects("16号的订单，26号才收到") == [Aspect("到货慢", "negative")]
    assert extract_aspects("等了一个星期才收到货") == [Aspect("到货慢", "negative")]
    assert extract_aspects("快递三天才到") == [Aspect("快递慢", "negative")]
    assert extract_aspects("过了一周才发货") == [Aspect("发货慢", "negative")]
    # The customer arriving late, at a time of day or somewhere, is no delivery.
    assert extract_aspects("外卖等了四十分钟才送到") == [Aspect("外卖慢", "negative")]
    for review in ["晚上十点才到", "下午才到酒店", "我才到家就发现", "今天才收到，还没用",
                   "坐地铁后走了二十多分钟才到"]:
        assert extract_aspects(review) == [], review


def test_sameness_is_a_complaint_only_when_denied_of_something() -> None:
    assert extract_aspects("一样的价格别家服务更好") == [Aspect("服务好", "positive")]
    assert extract_aspects("颜色和图片一致") == []
    assert extract_aspects("感觉不一样") == []  # of what?
    assert extract_aspects("给人不一样的体验") == []


def test_the_same_noun_can_be_good_or_bad_by_its_measure() -> None:
    assert Aspect("噪音大", "negative") in extract_aspects("噪音很大")
    assert Aspect("噪音小", "positive") in extract_aspects("噪音很小")
    assert Aspect("房间小", "negative") in extract_aspects("房间小")


def test_each_clause_has_its_own_target() -> None:
    assert texts("这个手机真的不错，就是电池不耐用，屏幕也有点暗") == [
        "手机好",
        "电池不耐用",
        "屏幕暗",
    ]


def test_a_general_verdict_is_an_overall_phrase_not_an_issue() -> None:
    assert texts("太差了！") == ["整体差"]


@pytest.mark.parametrize(
    "review",
    ["", "   ", "😡😡😡", "Great product, fast shipping!", "12345", "？？？！！！", "\u3000\ufeff"],
)
def test_text_without_chinese_opinions_has_no_aspects(review: str) -> None:
    assert extract_aspects(review) == []


def test_full_width_and_mixed_text() -> None:
    assert extract_aspects("ＷｉＦｉ很差，app也难用") == [
        Aspect("wifi差", "negative"),
        Aspect("app难用", "negative"),
    ]


def test_batch_matches_one_by_one() -> None:
    reviews = ["出餐太慢了", "服務員態度很差", "", "房间很干净"]
    assert extract_aspects_batch(reviews) == [extract_aspects(r) for r in reviews]


def test_a_phrase_typed_by_staff_is_taken_apart() -> None:
    parts = parse_aspect("镜子太暗")
    assert (parts.target, parts.predicate, parts.polarity) == ("镜子", "暗", "negative")
    assert predicate_class(parse_aspect("镜子看不清").predicate) == "暗"


def test_an_unknown_phrase_is_all_target() -> None:
    parts = parse_aspect("房卡只做一天")
    assert parts.predicate == "" and parts.target == "房卡只做一天"


@settings(max_examples=300, deadline=None)
@given(
    st.text(
        alphabet=st.sampled_from(
            [
                *"镜子太暗了很慢差不好没有的，。！服务员态度出餐分量少贵非常有点镜灯光看清楚試衣間",
                "a",
                "1",
                " ",
                "😀",
                "\u3000",
            ]
        ),
        max_size=40,
    )
)
def test_targets_come_from_the_text(review: str) -> None:
    """Whatever the input, every target is a word of the normalised review, or the implied
    target of its predicate (太贵了 → 价格) or the overall verdict (整体): the extractor never
    invents what a complaint is about."""
    normalised = normalise(review)
    implied = set(IMPLIED_TARGET.values())
    for parts in parts_from_tokens(rjieba.cut(normalised)):
        assert parts.text
        assert parts.polarity in ("negative", "neutral", "positive")
        assert parts.target in normalised or parts.target in implied, (review, parts)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=60))
def test_any_text_extracts_without_error_and_without_duplicates(review: str) -> None:
    found = extract_aspects(review)
    phrases = [aspect.text for aspect in found]
    assert len(phrases) == len(set(phrases))
    assert all(phrase == normalise(phrase) for phrase in phrases)


@settings(max_examples=200, deadline=None)
@given(
    st.text(
        alphabet=st.sampled_from(list("镜子太暗慢差服务员态度好不没有出餐分量少")),
        min_size=1,
        max_size=12,
    )
)
def test_extracting_a_phrase_again_gives_the_phrase(review: str) -> None:
    """Canonical phrases are a fixed point: a phrase read back is itself."""
    for aspect in extract_aspects(review):
        assert parse_aspect(aspect.text).text == aspect.text, (review, aspect)


def test_labelled_complaints_are_mostly_found() -> None:
    """On the training split of the labelled file (row % 5 != 0): most complaints get at least
    one negative aspect. (The match rate itself is a benchmark: bench/aspects_bench.py.)"""
    path = DATA / "online_shopping_categories.jsonl"
    if not path.exists():
        pytest.skip(f"{path} is absent (development data)")
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
    complaints = [r for r in rows if r["row"] % 5 != 0 and r["primary"] != "not_a_complaint"]
    found = sum(
        1 for r in complaints if any(a.polarity == "negative" for a in extract_aspects(r["review"]))
    )
    assert found / len(complaints) >= 0.75


def test_a_phrase_the_segmenter_cuts_differently_alone_reads_back_as_written() -> None:
    # Inside 暗量太差 the target is 暗量; on its own, 暗量差 segments as 暗 + 量差.
    assert [a.text for a in extract_aspects("暗量太差")] == ["暗量差"]
    assert parse_aspect("暗量差").text == "暗量差"
