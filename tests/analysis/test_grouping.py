"""Recurring issues: similar complaints grouped across wording, staff decisions kept, spikes."""

from __future__ import annotations

import random

from hypothesis import given, settings
from hypothesis import strategies as st

from pingjia.analysis.text.aspects import extract_aspects
from pingjia.analysis.text.grouping import (
    GroupDecisions,
    Grouping,
    GroupItem,
    Move,
    RecurringIssue,
    assign,
    detect_spike,
    issue_signature,
    recompute,
    target_similarity,
)
from pingjia.analysis.text.normalise import normalise

MIRROR = [
    "试衣间的镜子太暗了，根本看不清衣服颜色",
    "试衣间灯光暗，照镜子看不出效果",
    "试衣间镜子看不清，体验很差",
    "试衣间的灯光太暗",
    "镜子太暗了，试衣服看不清楚",
    "试衣间光线很暗，衣服颜色都看不准",
]
OTHERS = [
    "出餐太慢了，等了半小时",
    "上菜很慢，服务员也不催",
    "出餐速度太慢",
    "快递太慢了，一个星期才到",
    "物流很慢",
    "送货太慢",
    "手机屏幕有点暗，看视频不舒服",
    "屏幕太暗了，手机亮度调到最高也不行",
    "服务员态度很差",
    "店员态度非常差",
    "收银员态度差",
]


def complaint(item_id: int | str, review: str, category: str | None = None) -> GroupItem:
    phrases = tuple(a.text for a in extract_aspects(review) if a.polarity != "positive")
    return GroupItem(item_id, phrases, normalise(review), category)


def corpus() -> list[GroupItem]:
    return [complaint(i, text) for i, text in enumerate(MIRROR + OTHERS)]


def group_of(grouping: Grouping, item_id: int | str) -> set[str]:
    return {issue.key for issue in grouping.issues if item_id in issue.member_ids}


def issue_holding(grouping: Grouping, item_id: int | str) -> RecurringIssue:
    (key,) = group_of(grouping, item_id)
    return grouping.by_key()[key]


def test_mirror_variants_end_up_in_one_group() -> None:
    grouping = recompute(corpus())
    mirror = issue_holding(grouping, 0)
    assert set(mirror.member_ids) == set(range(len(MIRROR)))
    assert mirror.name in {"镜子暗", "灯光暗", "镜子看不清"}


def test_unrelated_complaints_stay_apart() -> None:
    grouping = recompute(corpus())
    first_other = len(MIRROR)
    keys = [group_of(grouping, i) for i in range(first_other, first_other + len(OTHERS))]
    kitchen, delivery, screen, attitude = keys[0], keys[3], keys[6], keys[8]
    assert keys[1] == keys[2] == kitchen
    assert keys[4] == keys[5] == delivery
    assert keys[7] == screen
    assert keys[9] == keys[10] == attitude
    all_groups = [kitchen, delivery, screen, attitude, group_of(grouping, 0)]
    assert len(set().union(*all_groups)) == 5  # five different groups


def test_group_output_is_plain_and_stable() -> None:
    first, second = recompute(corpus()), recompute(list(reversed(corpus())))
    assert {i.key: set(i.member_ids) for i in first.issues} == {
        i.key: set(i.member_ids) for i in second.issues
    }
    for issue in first.issues:
        assert issue.key and issue.name and issue.signatures and issue.key in issue.signatures


def test_a_merge_survives_a_recompute() -> None:
    grouping = recompute(corpus())
    kitchen = issue_holding(grouping, len(MIRROR)).key
    delivery = issue_holding(grouping, len(MIRROR) + 3).key
    decisions = GroupDecisions(merged={delivery: kitchen})
    again = recompute(corpus(), decisions, known_keys=[i.key for i in grouping.issues])
    merged = again.by_key()[kitchen]
    assert {len(MIRROR) + n for n in range(6)} <= set(merged.member_ids)
    assert delivery not in again.by_key()
    assert delivery in merged.aliases


def test_a_rename_and_a_dismissal_survive_a_recompute() -> None:
    grouping = recompute(corpus())
    mirror, attitude = issue_holding(grouping, 0).key, issue_holding(grouping, 14).key
    decisions = GroupDecisions(renamed={mirror: "试衣间镜子太暗"}, dismissed=frozenset({attitude}))
    more = [*corpus(), complaint(99, "试衣间的镜子太暗，看不清")]
    again = recompute(more, decisions).by_key()
    assert again[mirror].name == "试衣间镜子太暗" and again[mirror].renamed
    assert 99 in again[mirror].member_ids
    assert again[attitude].dismissed and not again[mirror].dismissed


def test_split_off_members_stay_split() -> None:
    grouping = recompute(corpus())
    mirror = issue_holding(grouping, 0).key
    decisions = GroupDecisions(
        moves=(Move(4, mirror, "split-1"), Move(5, mirror, "split-1"), Move(3, mirror, None)),
        renamed={"split-1": "光线暗"},
    )
    again = recompute(corpus(), decisions).by_key()
    assert set(again["split-1"].member_ids) == {4, 5}
    assert again["split-1"].name == "光线暗"
    assert set(again[mirror].member_ids) == {0, 1, 2}
    assert all(3 not in issue.member_ids for issue in again.values())


def test_incremental_assignment_agrees_with_recompute() -> None:
    old = corpus()
    new = [
        complaint("n1", "试衣间镜子太暗了"),
        complaint("n2", "上菜太慢"),
        complaint("n3", "快递慢死了，物流太慢"),
        complaint("n4", "试衣间的灯光很暗"),
    ]
    grouping = recompute(old)
    assignment = assign(new, grouping)
    together = recompute(old + new)
    for item in new:
        expected = group_of(together, item.id)
        placed = {key for key, ids in assignment.added.items() if item.id in ids}
        assert placed == expected, item


def test_a_new_kind_of_complaint_makes_a_new_group() -> None:
    grouping = recompute(corpus())
    assignment = assign([complaint("n1", "停车场太小了"), complaint("n2", "停车场很小")], grouping)
    assert not assignment.added
    (issue,) = assignment.new_issues
    assert set(issue.member_ids) == {"n1", "n2"} and issue.name == "停车场小"


def test_assignment_follows_merges() -> None:
    grouping = recompute(corpus())
    kitchen = issue_holding(grouping, len(MIRROR)).key
    delivery = issue_holding(grouping, len(MIRROR) + 3).key
    assignment = assign(
        [complaint("n1", "物流太慢")], grouping, GroupDecisions(merged={delivery: kitchen})
    )
    assert assignment.added == {kitchen: ("n1",)}


def test_verdicts_and_praise_are_not_issues() -> None:
    grouping = recompute(
        [
            complaint(1, "太差了！"),
            complaint(2, "太差了"),
            complaint(3, "服务很好"),
            complaint(4, "服务很好"),
        ]
    )
    assert grouping.issues == ()


def test_signatures_read_target_and_defect_classes() -> None:
    assert issue_signature("镜子太暗") == issue_signature("镜子看不清") == "镜子|暗"
    assert issue_signature("快递慢") == issue_signature("物流很慢") == "物流|慢"
    assert issue_signature("整体差") is None and issue_signature("服务好") is None
    assert issue_signature("服务差") == issue_signature("服务态度很差") == "态度|差"
    # A verdict on the business as a whole is no issue; a defect of it is.
    assert issue_signature("酒店太差") is None and issue_signature("东西一般") is None
    assert issue_signature("酒店很吵") == "酒店|吵"


def test_target_similarity() -> None:
    assert target_similarity("电池", "电池") == 1.0
    assert target_similarity("电池", "电池续航") == 0.8
    assert target_similarity("镜子", "灯光") == 0.0


# ---- spikes ----------------------------------------------------------------------------------


def test_a_spike_is_flagged() -> None:
    check = detect_spike([10, 9, 11, 10, 12, 9, 10, 11, 10, 9, 40])
    assert check.is_spike and check.baseline == 10 and check.score > 3.5


def test_steady_growth_is_not_a_spike() -> None:
    assert not detect_spike(list(range(10, 23))).is_spike


def test_noise_is_not_a_spike() -> None:
    rng = random.Random(7)  # noqa: S311 - repeatable noise, not a secret
    for _ in range(200):
        weeks = [rng.choice([8, 9, 10, 11, 12, 13]) for _ in range(12)]
        assert not detect_spike(weeks).is_spike, weeks


def test_small_numbers_and_short_histories_are_not_spikes() -> None:
    assert not detect_spike([0, 0, 0, 0, 0, 0, 3]).is_spike  # below the minimum count
    assert not detect_spike([1, 30]).is_spike  # two weeks are no history
    assert not detect_spike([]).is_spike


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=1000), min_size=5, max_size=30))
def test_a_week_no_higher_than_its_usual_level_is_never_a_spike(weeks: list[int]) -> None:
    history = weeks[-11:-1]
    calm = [*weeks[:-1], min(history)]
    assert not detect_spike(calm).is_spike


@settings(max_examples=100, deadline=None)
@given(
    st.lists(st.sampled_from(MIRROR + OTHERS + ["太差了", "", "服务很好", "出餐慢"]), max_size=25)
)
def test_every_member_has_an_aspect_of_its_group(reviews: list[str]) -> None:
    items = [complaint(i, text) for i, text in enumerate(reviews)]
    grouping = recompute(items, min_size=1)
    for issue in grouping.issues:
        assert len(issue.member_ids) == len(set(issue.member_ids))
        for member in issue.member_ids:
            signatures = {issue_signature(p) for p in items[int(member)].aspects}
            assert signatures & set(issue.signatures), (issue, items[int(member)])
