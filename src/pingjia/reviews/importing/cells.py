"""Interpret one cell of an export once its column is known.

Every function takes a raw `Cell` (as `reading.read_table` returns it: str from CSV,
native types from spreadsheets) and either returns a clean value or raises
ValueError with a short reason in the reader's language, shown beside the row number.
No database: the rules are tested without one.
"""

from __future__ import annotations

import math
import re
import unicodedata
from datetime import UTC, date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from django.utils.translation import gettext as _

from pingjia.reviews.importing.reading import Cell

__all__ = [
    "RATING_SCALES",
    "identifier",
    "limited",
    "moment",
    "phone",
    "rating",
    "split_list",
    "text",
]

# Zero-width characters and NBSP arrive in ids copied from web back-ends.
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00a0"))
_WHITESPACE = re.compile(r"\s+")
# What Excel shows once it has turned a long id into a number: "1.23457E+17".
_SCIENTIFIC = re.compile(r"[+-]?\d+(?:\.\d+)?[eE][+-]?\d+")
_TRAILING_ZERO_DECIMAL = re.compile(r"(\d+)\.0+")
_MAX_EXACT_FLOAT = 2**53  # above this a float no longer holds every integer


def text(value: Cell) -> str:
    """The cell as written, only trimmed: review text must reach the database unchanged
    (no NFKC: full-width punctuation and letters are part of what the customer wrote)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"  # what Excel displays
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


def _lost_digits(shown: str) -> ValueError:
    return ValueError(_("the id lost its digits in Excel (shown as %(shown)s): export it as "
                        "text") % {"shown": shown})


def _unreadable_date(written: str) -> ValueError:
    return ValueError(_("unreadable date: %(value)s") % {"value": written})


def _compact(value: str) -> str:
    """NFKC (full-width digits → ASCII), no invisible characters, no spaces at all."""
    normalized = unicodedata.normalize("NFKC", value.translate(_INVISIBLE))
    return _WHITESPACE.sub("", normalized)


def _integral_text(value: int | float, refusal: str) -> str:
    """`refusal`: the reason, with %(value)s for the value."""
    if isinstance(value, bool):
        raise ValueError(refusal % {"value": text(value)})
    if isinstance(value, int):
        return str(value)
    if not math.isfinite(value) or not value.is_integer():
        raise ValueError(refusal % {"value": value})
    if abs(value) >= _MAX_EXACT_FLOAT:
        # Excel keeps 15 significant digits; the rest of an 18-digit id is gone already.
        raise _lost_digits(f"{value:.5E}")
    return str(int(value))


def identifier(value: Cell) -> str:
    """An order/product/review/store id, compared exactly on re-import.

    Normalised so that the same id typed or exported differently matches (full-width
    digits, stray spaces, Excel's `="0123"` text trick, a trailing ".0"). Leading
    zeros are kept. Ids that Excel already turned into "1.23457E+17" are refused, as
    the digits cannot be recovered and a wrong id would merge unrelated reviews.
    """
    if value is None:
        return ""
    if isinstance(value, str) and value.isascii() and value.isalnum() \
            and "e" not in value and "E" not in value:
        return value  # the usual id: nothing to normalise, and it cannot be "1E17"
    if isinstance(value, int | float):
        return _integral_text(value, _("not an id: %(value)s"))
    if isinstance(value, datetime | date):
        raise ValueError(_("not an id: %(value)s") % {"value": value.isoformat()})
    result = _compact(value)
    if len(result) >= 3 and result.startswith('="') and result.endswith('"'):
        result = result[2:-1]  # ="0123": how exports force Excel to keep a cell as text
    result = result.removeprefix("'")  # Excel's text prefix, when it leaks into a CSV
    if _SCIENTIFIC.fullmatch(result):
        raise _lost_digits(result)
    if decimal := _TRAILING_ZERO_DECIMAL.fullmatch(result):
        result = decimal.group(1)
    return result


_PHONE_SEPARATORS = re.compile(r"[\s\-–—().·/]")
_PHONE = re.compile(r"\+?[\d*]+")


def phone(value: Cell) -> str:
    """A phone number as digits with an optional leading "+".

    Separators (spaces, dashes, brackets, dots) are dropped. "*" is kept because
    platforms mask numbers ("138****8000"); dropping it would forge a different
    number. A cell without any digit ("无", "-", "N/A") means no phone and gives "".
    """
    if value is None:
        return ""
    if isinstance(value, str) and value.isascii() and value.isdigit():
        return value  # plain digits: the usual case, and nothing to normalise
    if isinstance(value, int | float):
        return _integral_text(value, _("not a phone number: %(value)s"))
    if isinstance(value, datetime | date):
        raise ValueError(_("not a phone number: %(value)s") % {"value": value.isoformat()})
    compact = _compact(value)
    if _SCIENTIFIC.fullmatch(compact):
        raise ValueError(
            _("the phone number lost its digits in Excel (shown as %(shown)s): export it as "
              "text") % {"shown": compact}
        )
    if decimal := _TRAILING_ZERO_DECIMAL.fullmatch(compact):
        compact = decimal.group(1)
    result = _PHONE_SEPARATORS.sub("", compact)
    if not any(char.isdigit() for char in result):
        return ""
    if not _PHONE.fullmatch(result):
        raise ValueError(_("not a phone number: %(value)s") % {"value": value.strip()})
    return result


# --- dates and times ----------------------------------------------------------------

_EXCEL_EPOCH = datetime(1899, 12, 30)  # naive: the zone is added per value
_EXCEL_MAX = 2958466  # serial of 10000-01-01: Excel's last day is the one before
_DATE_TIME = re.compile(
    r"""
    (?P<year>\d{4}) \s* [-/.年] \s* (?P<month>\d{1,2}) \s* [-/.月] \s* (?P<day>\d{1,2}) \s* 日?
    (?:
        (?: \s*T\s* | \s+ | (?<=日) )
        (?P<ampm1>上午|下午|AM|PM)? \s*
        (?P<hour>\d{1,2}) \s* [:时點点] \s* (?P<minute>\d{1,2})
        (?:
            \s*:\s* (?P<second>\d{1,2}) (?:[.,](?P<fraction>\d{1,6}))?
          | \s*分 (?: \s* (?P<cn_second>\d{1,2}) \s*秒 )?
        )?
        \s* (?P<ampm2>上午|下午|AM|PM)?
    )?
    \s* (?P<zone>Z|[+-]\d{2}:?\d{2})?
    """,
    re.VERBOSE | re.IGNORECASE,
)
_COMPACT_DATE = re.compile(
    r"(?P<year>\d{4})(?P<month>\d{2})(?P<day>\d{2})"
    r"(?:\s*(?P<hour>\d{2})(?P<minute>\d{2})(?P<second>\d{2}))?"
)
_NUMBER = re.compile(r"\d+(?:\.\d+)?")
# The form nearly every export writes; `datetime.fromisoformat` reads it in C. Anything else,
# and any value it refuses, takes the general path, which words the error.
_ISO = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}(?: [0-9]{2}:[0-9]{2}(?::[0-9]{2})?)?")


def moment(value: Cell, tz: ZoneInfo) -> datetime | None:
    """An aware datetime; naive values are read as local time in `tz` (the company's zone).

    Accepted: spreadsheet date cells; Excel serial numbers (1900 system, 1 ≤ n < 2958466,
    also as text such as "45658.5"); "2025-01-02 12:00[:00]", "2025-01-02T12:00:00" with
    an optional "Z"/"+08:00"; "2025/1/2", "2025.1.2", "2025/01/02 8:05"; "2025年1月2日",
    "2025年1月2日 12:00:00", "2025年01月02日 12时00分[00秒]"; 上午/下午 or AM/PM; compact
    "20250102", "20250102 120000", "20250102120000"; Unix time as 10 digits (seconds) or
    13 digits (milliseconds), which API exports use. Two-digit years are refused:
    "25/1/2" is ambiguous between day-first and year-first.
    """
    if value is None or value == "":  # most rows have no append review, nor its time
        return None
    if isinstance(value, bool):
        raise ValueError(_unreadable_date(text(value)))
    if isinstance(value, datetime):
        return value.replace(tzinfo=tz) if value.tzinfo is None else value.astimezone(tz)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=tz)
    if isinstance(value, float):
        return _from_number(value, str(value), tz)
    if isinstance(value, str) and _ISO.fullmatch(value):
        try:
            return datetime.fromisoformat(value).replace(tzinfo=tz)
        except ValueError:
            pass
    # An int goes the way of its digits: 20250102 from a number cell is a date too.
    written = str(value) if isinstance(value, int) else value.strip()
    if not written:
        return None
    normalized = unicodedata.normalize("NFKC", written.translate(_INVISIBLE)).strip()
    if _NUMBER.fullmatch(normalized):
        if len(normalized) in (8, 14) and normalized.isdigit():
            return _from_match(_COMPACT_DATE.fullmatch(normalized), written, tz)
        number = float(normalized) if "." in normalized else int(normalized)
        return _from_number(number, written, tz)
    match = _COMPACT_DATE.fullmatch(normalized) or _DATE_TIME.fullmatch(normalized)
    return _from_match(match, written, tz)


def _from_number(number: int | float, written: str, tz: ZoneInfo) -> datetime:
    if isinstance(number, int) and len(str(abs(number))) in (10, 13):
        seconds = number / 1000 if number >= 10**12 else number
        return datetime.fromtimestamp(seconds, tz=UTC).astimezone(tz)
    if not (math.isfinite(number) and 1 <= number < _EXCEL_MAX):
        raise ValueError(_unreadable_date(written))
    # Rounded to the millisecond: 08:00 is stored as 0.33333333…, not exactly.
    naive = _EXCEL_EPOCH + timedelta(milliseconds=round(number * 86_400_000))
    return naive.replace(tzinfo=tz)


def _from_match(match: re.Match[str] | None, written: str, tz: ZoneInfo) -> datetime:
    if match is None:
        raise ValueError(_unreadable_date(written))
    parts = match.groupdict()
    hour = int(parts.get("hour") or 0)
    half = (parts.get("ampm1") or parts.get("ampm2") or "").upper()
    try:
        if half:
            if not 1 <= hour <= 12:
                raise ValueError
            hour = hour % 12 + (12 if half in ("下午", "PM") else 0)
        fraction = (parts.get("fraction") or "").ljust(6, "0")
        naive = datetime(
            int(parts["year"]),
            int(parts["month"]),
            int(parts["day"]),
            hour,
            int(parts.get("minute") or 0),
            int(parts.get("second") or parts.get("cn_second") or 0),
            int(fraction),
        )
    except ValueError:
        raise ValueError(_unreadable_date(written)) from None
    zone = parts.get("zone")
    if not zone:
        return naive.replace(tzinfo=tz)
    if zone.upper() == "Z":
        return naive.replace(tzinfo=UTC).astimezone(tz)
    sign = -1 if zone[0] == "-" else 1
    digits = zone[1:].replace(":", "")
    offset = timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
    if offset >= timedelta(hours=24):
        raise ValueError(_unreadable_date(written))
    return naive.replace(tzinfo=timezone(sign * offset)).astimezone(tz)


# --- ratings -----------------------------------------------------------------------

RATING_SCALES = ("stars", "good_neutral_bad", "score_100")
_GOOD_NEUTRAL_BAD = {
    "好评": 5, "好": 5, "good": 5, "positive": 5,
    "中评": 3, "中": 3, "neutral": 3,
    "差评": 1, "差": 1, "bad": 1, "negative": 1,
}
_STARS = {str(n): n for n in range(1, 6)}
_RATING_SUFFIX = re.compile(r"\s*(?:颗星|星级|星|分|stars?|points?)$", re.IGNORECASE)


def rating(value: Cell, scale: str) -> int | None:
    """A 1–5 rating; empty → None. `scale` says how the channel writes it:

    - "stars": 1 to 5 as a number or text ("5", 5, 5.0, "4.0", "５", "5星", "5分",
      "★★★★★"). Anything else, including half stars such as 4.5, is refused rather
      than rounded, so a wrong column is noticed.
    - "good_neutral_bad" (淘宝/天猫, which have no stars): 好评/good → 5, 中评/neutral → 3,
      差评/bad → 1 (case-insensitive; 好/中/差 and positive/negative also accepted).
    - "score_100" (channels scoring 0–100): 0–20 → 1, 21–40 → 2, 41–60 → 3, 61–80 → 4,
      81–100 → 5; a fractional score goes up to the next band (20.5 → 2).
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if scale == "stars" and isinstance(value, str) and (stars := _STARS.get(value)):
        return stars
    if isinstance(value, bool | datetime | date):
        raise ValueError(_("unreadable rating: %(value)s") % {"value": text(value)})
    written = text(value)
    if scale == "good_neutral_bad":
        key = unicodedata.normalize("NFKC", written).strip().lower()
        if key in _GOOD_NEUTRAL_BAD:
            return _GOOD_NEUTRAL_BAD[key]
        raise ValueError(_("unreadable rating: %(value)s (expected 好评, 中评 or 差评)")
                         % {"value": written})
    if scale == "stars":
        number = _rating_number(value)
        if number is None:
            raise ValueError(_("unreadable rating: %(value)s") % {"value": written})
        if number not in (1, 2, 3, 4, 5):
            raise ValueError(_("rating out of range 1–5: %(value)s") % {"value": written})
        return int(number)
    if scale == "score_100":
        number = _rating_number(value)
        if number is None:
            raise ValueError(_("unreadable score: %(value)s") % {"value": written})
        if not 0 <= number <= 100:
            raise ValueError(_("score out of range 0–100: %(value)s") % {"value": written})
        return max(1, math.ceil(number / 20))
    raise ValueError(f"unknown rating scale: {scale}")


def _rating_number(value: int | float | str) -> float | None:
    if isinstance(value, int | float):
        return float(value) if math.isfinite(value) else None
    key = unicodedata.normalize("NFKC", value).strip()
    if key and set(key) <= {"★"}:
        return float(len(key))
    key = _RATING_SUFFIX.sub("", key)
    if not _NUMBER.fullmatch(key):
        return None
    return float(key)


_LIST_SEPARATORS = re.compile(r"[,，、;；|\r\n]")


def split_list(value: Cell) -> list[str]:
    """Tags or image URLs in one cell, separated by , ， 、 ; ； | or line breaks.

    Order is kept (the first image is the cover) and repeats are dropped (exports
    repeat tags when a review was edited).
    """
    items = (item.strip() for item in _LIST_SEPARATORS.split(text(value)))
    return list(dict.fromkeys(item for item in items if item))


def limited(value: str, limit: int, field: str) -> str:
    """`value` unchanged if it fits the database column, rather than truncating silently."""
    if len(value) > limit:
        raise ValueError(_("%(field)s is longer than %(limit)s characters")
                         % {"field": field, "limit": limit})
    return value
