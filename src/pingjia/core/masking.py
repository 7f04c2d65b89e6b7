"""Server-side masking of personal data for display (GB/T 35273-2020 §7.2).

Pure functions of strings. A masked value is still personal data (PIPL art. 73): masking decides
what a screen shows, not who may see the record.
"""

from __future__ import annotations

import re
import unicodedata

STARS = "****"
# Administrative units that end an address prefix that may be shown.
_ADDRESS_UNITS = re.compile(r"^.{0,16}?(?:自治区|自治州|特别行政区|省|市|区|县|旗|盟)")
_DISTRICT_LEVEL = ("区", "县", "旗")


def mask_phone(value: str) -> str:
    """138****1234 for a mobile number; area code and last two digits for other numbers."""
    if not value:
        return ""
    text = unicodedata.normalize("NFKC", value).strip()
    digits = re.sub(r"\D", "", text)
    mobile = re.fullmatch(r"(?:0086|86)?(1\d{2})\d{4}(\d{4})", digits)
    if mobile:
        return f"{mobile.group(1)}{STARS}{mobile.group(2)}"
    landline = re.fullmatch(r"(0\d{2,3})[-\s]?(\d{5,8})", text)
    if landline:
        area, number = landline.groups()
        return f"{area}-{'*' * (len(number) - 2)}{number[-2:]}"
    if len(digits) > 6:
        return f"{digits[:3]}{STARS}{digits[-2:]}"
    return "*" * max(len(digits), 1)


def mask_name(value: str) -> str:
    """张* for 张三, 欧*** for 欧阳娜娜: the first character, a star for each other one."""
    name = value.strip()
    if not name:
        return ""
    return name[0] + "*" * max(len(name) - 1, 1)


def mask_email(value: str) -> str:
    """d***@x.com: first character of the mailbox, then the domain."""
    local, at, domain = value.strip().partition("@")
    if not at:
        return mask_name(local)
    return f"{local[:1]}***@{domain}"


def mask_address(value: str) -> str:
    """北京市海淀区**** : the administrative prefix (province, city, district) is kept."""
    address = value.strip()
    if not address:
        return ""
    prefix_end = 0
    while match := _ADDRESS_UNITS.match(address[prefix_end:]):
        if prefix_end + match.end() > 16:
            break
        prefix_end += match.end()
        segment = match.group()
        if segment.endswith(_DISTRICT_LEVEL) and not segment.endswith("自治区"):
            break  # nothing below the district is shown
    return (address[:prefix_end] or address[: min(6, len(address) // 2)]) + STARS


def mask_id_number(value: str) -> str:
    """5***************1X: first character and last two of an identity number."""
    number = value.strip()
    if len(number) <= 3:
        return "*" * len(number)
    return number[0] + "*" * (len(number) - 3) + number[-2:]
