"""The cell parsers of the review import: pure functions, no database."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import translation
from hypothesis import given, settings
from hypothesis import strategies as st

from pingjia.reviews.importing import cells
from pingjia.reviews.importing.reading import Cell


@pytest.fixture(autouse=True, scope="module")
def _english() -> Iterator[None]:
    """The reasons are checked in the source language; the import tests check them in the
    default one, Simplified Chinese."""
    with translation.override("en"):
        yield

SHANGHAI = ZoneInfo("Asia/Shanghai")

# --- text ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, ""),
        ("", ""),
        ("  很好！ＡＢＣ，真的  \n", "很好！ＡＢＣ，真的"),  # full-width forms stay
        ("line one\nline two", "line one\nline two"),
        (42, "42"),
        (42.0, "42"),
        (4.5, "4.5"),
        (True, "TRUE"),
        (datetime(2025, 1, 2, 12, 30), "2025-01-02T12:30:00"),
        (date(2025, 1, 2), "2025-01-02"),
    ],
)
def test_text(value: Cell, expected: str) -> None:
    assert cells.text(value) == expected


# --- identifier and phone -----------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, ""),
        ("", ""),
        ("123456789012345678", "123456789012345678"),
        ("１２３４５６７８９０１２３４５６７８", "123456789012345678"),
        (" 0012 3456\u200b\u00a0", "00123456"),
        ("123456789012345678.0", "123456789012345678"),
        ("12.00", "12"),
        ('="0012345"', "0012345"),
        ("'0012345", "0012345"),
        ("\t123456789012345678", "123456789012345678"),
        ("SKU-00A1", "SKU-00A1"),
        (123456789012, "123456789012"),
        (123456789012.0, "123456789012"),
        (2**53 - 1, str(2**53 - 1)),
        (123456789012345678, "123456789012345678"),  # an int is exact, whatever its size
    ],
)
def test_identifier(value: Cell, expected: str) -> None:
    assert cells.identifier(value) == expected


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("1.23457E+17", "1.23457E+17"),
        ("１.２３４５７Ｅ＋１７", "1.23457E+17"),
        ("1.23457e17", "1.23457e17"),
        (1.2345678901234568e17, "1.23457E+17"),  # a number cell beyond 2**53
    ],
)
def test_identifier_refuses_ids_excel_already_destroyed(value: Cell, shown: str) -> None:
    with pytest.raises(ValueError) as caught:
        cells.identifier(value)
    assert str(caught.value) == (
        f"the id lost its digits in Excel (shown as {shown}): export it as text"
    )


@pytest.mark.parametrize("value", [12.5, float("nan"), float("inf"), True, date(2025, 1, 2)])
def test_identifier_refuses_non_ids(value: Cell) -> None:
    with pytest.raises(ValueError, match="not an id"):
        cells.identifier(value)


DIGITS = "0123456789"
FULL_WIDTH_DIGITS = "０１２３４５６７８９"


@given(st.text(alphabet=DIGITS + FULL_WIDTH_DIGITS, max_size=30))
def test_identifier_of_any_digits_is_the_ascii_digits(value: str) -> None:
    ascii_digits = value.translate(str.maketrans(FULL_WIDTH_DIGITS, DIGITS))
    assert cells.identifier(value) == ascii_digits


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, ""),
        ("", ""),
        ("13800138000", "13800138000"),
        ("+86 138-0013-8000", "+8613800138000"),
        ("(010) 1234 5678", "01012345678"),
        ("＋８６ １３８００１３８０００", "+8613800138000"),
        ("138****8000", "138****8000"),  # masked by the platform: kept, not forged
        ("13800138000.0", "13800138000"),
        (13800138000, "13800138000"),
        (13800138000.0, "13800138000"),
        ("无", ""),
        ("-", ""),
    ],
)
def test_phone(value: Cell, expected: str) -> None:
    assert cells.phone(value) == expected


@pytest.mark.parametrize("value", [1.5, "138abc0000", "86+138", "1.38001E+10"])
def test_phone_refusals(value: Cell) -> None:
    with pytest.raises(ValueError, match="phone number"):
        cells.phone(value)


# --- moment -------------------------------------------------------------------------


def at(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0,
    microsecond: int = 0, *, tz: ZoneInfo = SHANGHAI,
) -> datetime:
    return datetime(year, month, day, hour, minute, second, microsecond, tzinfo=tz)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2025-01-02 12:00", at(2025, 1, 2, 12)),
        ("2025-01-02 12:00:00", at(2025, 1, 2, 12)),
        ("2025-01-02T12:00:00", at(2025, 1, 2, 12)),
        ("2025-01-02T12:00:00+08:00", at(2025, 1, 2, 12)),
        ("2025-01-02T04:00:00Z", at(2025, 1, 2, 12)),
        ("2025-01-02 04:00:00+0000", at(2025, 1, 2, 12)),
        ("2025-01-02 12:00:00.250", at(2025, 1, 2, 12, 0, 0, 250_000)),
        ("2025/1/2", at(2025, 1, 2)),
        ("2025/01/02 8:05", at(2025, 1, 2, 8, 5)),
        ("2025.1.2", at(2025, 1, 2)),
        ("2025年1月2日", at(2025, 1, 2)),
        ("2025年1月2日 12:00:00", at(2025, 1, 2, 12)),
        ("2025年01月02日 12时00分", at(2025, 1, 2, 12)),
        ("2025年01月02日 12时05分30秒", at(2025, 1, 2, 12, 5, 30)),
        ("2025年1月2日12:00", at(2025, 1, 2, 12)),
        ("２０２５－０１－０２ １２：００", at(2025, 1, 2, 12)),
        ("2025/1/2 下午 3:05", at(2025, 1, 2, 15, 5)),
        ("2025/1/2 上午12:30", at(2025, 1, 2, 0, 30)),
        ("2025-01-02 3:05 PM", at(2025, 1, 2, 15, 5)),
        ("20250102", at(2025, 1, 2)),
        ("20250102 120000", at(2025, 1, 2, 12)),
        ("20250102120000", at(2025, 1, 2, 12)),
        ("45658", at(2025, 1, 1)),
        ("45658.5", at(2025, 1, 1, 12)),
        (45658, at(2025, 1, 1)),
        (45658.5, at(2025, 1, 1, 12)),
        (45658.333333333, at(2025, 1, 1, 8)),  # Excel's inexact 08:00
        (20250102, at(2025, 1, 2)),
        ("1735790400", at(2025, 1, 2, 12)),  # Unix seconds, as API exports write them
        (1735790400000, at(2025, 1, 2, 12)),  # Unix milliseconds
        (datetime(2025, 1, 2, 12), at(2025, 1, 2, 12)),
        (datetime(2025, 1, 2, 4, tzinfo=UTC), at(2025, 1, 2, 12)),
        (date(2025, 1, 2), at(2025, 1, 2)),
    ],
)
def test_moment(value: Cell, expected: datetime) -> None:
    result = cells.moment(value, SHANGHAI)
    assert result == expected
    assert result is not None
    assert result.utcoffset() == timedelta(hours=8)


@pytest.mark.parametrize("value", [None, "", "   "])
def test_moment_empty(value: Cell) -> None:
    assert cells.moment(value, SHANGHAI) is None


@pytest.mark.parametrize(
    "value",
    [
        "2025-02-30",
        "2025-13-01",
        "2025-01-02 25:00",
        "2025-01-02 12:60",
        "2025/1/2 下午 13:00",
        "25-01-02",  # two-digit years are ambiguous
        "1/2/2025",
        "yesterday",
        "2025-01-02 12:00+25:00",
        "0",
        "2958466",
        0,
        -1.5,
        2958466,
        float("nan"),
        True,
    ],
)
def test_moment_refusals(value: Cell) -> None:
    with pytest.raises(ValueError, match="unreadable date"):
        cells.moment(value, SHANGHAI)


def test_moment_in_another_zone() -> None:
    berlin = ZoneInfo("Europe/Berlin")
    assert cells.moment("2025-07-01 12:00", berlin) == at(2025, 7, 1, 12, tz=berlin)


naive_datetimes = st.datetimes(min_value=datetime(1000, 1, 1), max_value=datetime(9999, 12, 31))


@settings(max_examples=300)
@given(moment=naive_datetimes.map(lambda value: value.replace(microsecond=0)))
def test_moment_round_trips_written_datetimes(moment: datetime) -> None:
    expected = moment.replace(tzinfo=SHANGHAI)
    for pattern in ("%Y-%m-%d %H:%M:%S", "%Y年%m月%d日 %H:%M:%S"):
        assert cells.moment(moment.strftime(pattern), SHANGHAI) == expected


# --- rating -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("5", 5),
        (5, 5),
        (5.0, 5),
        ("5星", 5),
        ("５", 5),
        ("4.0", 4),
        (" 3 分", 3),
        ("★★", 2),
        ("1", 1),
        (None, None),
        ("", None),
        ("  ", None),
    ],
)
def test_rating_stars(value: Cell, expected: int | None) -> None:
    assert cells.rating(value, "stars") == expected


@pytest.mark.parametrize("value", [0, 6, 4.5, "0", "6", "4.5", "★★★★★★"])
def test_rating_stars_out_of_range(value: Cell) -> None:
    with pytest.raises(ValueError, match="rating out of range 1–5"):
        cells.rating(value, "stars")


@pytest.mark.parametrize("value", ["five", "好评", True, date(2025, 1, 2)])
def test_rating_stars_unreadable(value: Cell) -> None:
    with pytest.raises(ValueError, match="unreadable rating"):
        cells.rating(value, "stars")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("好评", 5),
        ("中评", 3),
        ("差评", 1),
        ("good", 5),
        ("Neutral", 3),
        ("BAD", 1),
        (" 好评 ", 5),
        (None, None),
    ],
)
def test_rating_good_neutral_bad(value: Cell, expected: int | None) -> None:
    assert cells.rating(value, "good_neutral_bad") == expected


def test_rating_good_neutral_bad_refuses_stars() -> None:
    with pytest.raises(ValueError, match="好评, 中评 or 差评"):
        cells.rating("5", "good_neutral_bad")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (0, 1), (20, 1), (21, 2), (40, 2), (41, 3), (60, 3),
        (61, 4), (80, 4), (81, 5), (100, 5), ("95分", 5), ("20.5", 2), (None, None),
    ],
)
def test_rating_score_100(value: Cell, expected: int | None) -> None:
    assert cells.rating(value, "score_100") == expected


@pytest.mark.parametrize("value", [-1, 101, "150"])
def test_rating_score_100_out_of_range(value: Cell) -> None:
    with pytest.raises(ValueError, match="score out of range"):
        cells.rating(value, "score_100")


def test_rating_unknown_scale() -> None:
    with pytest.raises(ValueError, match="unknown rating scale"):
        cells.rating("5", "emoji")


# --- split_list, limited ------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, []),
        ("", []),
        ("味道好,分量足，服务好、环境好;干净|实惠\n快", [
            "味道好", "分量足", "服务好", "环境好", "干净", "实惠", "快"]),
        (" a , ,b,,a ；c ", ["a", "b", "c"]),
        ("https://img.example.com/1.jpg\r\nhttps://img.example.com/2.jpg|"
         "https://img.example.com/1.jpg", [
            "https://img.example.com/1.jpg", "https://img.example.com/2.jpg"]),
        (42, ["42"]),
    ],
)
def test_split_list(value: Cell, expected: list[str]) -> None:
    assert cells.split_list(value) == expected


def test_limited() -> None:
    assert cells.limited("好" * 10, 10, "text") == "好" * 10
    with pytest.raises(ValueError, match=r"^order_id is longer than 5 characters$"):
        cells.limited("123456", 5, "order_id")
