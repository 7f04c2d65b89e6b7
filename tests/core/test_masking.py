from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pingjia.core.masking import (
    mask_address,
    mask_email,
    mask_id_number,
    mask_name,
    mask_phone,
)


@pytest.mark.parametrize(("value", "masked"), [
    ("13812341234", "138****1234"),
    ("138 1234 1234", "138****1234"),
    ("+86 138-1234-1234", "138****1234"),
    ("１３８１２３４１２３４", "138****1234"),  # full-width digits, as typed on a phone
    ("021-62345678", "021-******78"),
    ("0915 1234567", "0915-*****67"),
    ("", ""),
])
def test_phone_keeps_prefix_and_last_digits(value: str, masked: str) -> None:
    assert mask_phone(value) == masked


@pytest.mark.parametrize(("value", "masked"), [
    ("张三", "张*"), ("欧阳娜娜", "欧***"), ("李", "李*"), ("David", "D****"), ("", ""),
])
def test_name_keeps_first_character(value: str, masked: str) -> None:
    assert mask_name(value) == masked


@pytest.mark.parametrize(("value", "masked"), [
    ("david@example.com", "d***@example.com"), ("d@x.com", "d***@x.com"),
])
def test_email_keeps_first_character_and_domain(value: str, masked: str) -> None:
    assert mask_email(value) == masked


@pytest.mark.parametrize(("value", "masked"), [
    ("北京市海淀区马连洼街道100号", "北京市海淀区****"),
    ("广东省深圳市南山区科技园南区1栋", "广东省深圳市南山区****"),
    ("新疆维吾尔自治区乌鲁木齐市天山区解放路1号", "新疆维吾尔自治区乌鲁木齐市天山区****"),
    ("长安街一号院", "长安街****"),
])
def test_address_keeps_administrative_prefix(value: str, masked: str) -> None:
    assert mask_address(value) == masked


def test_id_number_keeps_first_and_last_two() -> None:
    assert mask_id_number("51010419900101123X") == "5***************3X"


@given(st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True))
def test_masked_mobile_never_shows_the_middle_digits(phone: str) -> None:
    assert mask_phone(phone) == phone[:3] + "****" + phone[-4:]


@given(st.text(min_size=2, max_size=12).filter(lambda s: s.strip() == s and len(s) > 1))
def test_masked_name_hides_all_but_the_first_character(name: str) -> None:
    masked = mask_name(name)
    assert masked[0] == name[0] and set(masked[1:]) == {"*"}
