"""One row of an export, checked and turned into the fields of a review.

Identity (what makes re-imports idempotent): the channel's review id when the file has one;
otherwise `fp:` + a SHA-256 fingerprint of the review's content — its time as written in the
file, the customer's nickname and name, product, order, rating and text (whitespace and
full-width forms normalised) — so the same review exported twice gets the same identity, and an
append review, a reply or a later export of it do not change it.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.utils.translation import gettext as _

from pingjia.reviews.importing import cells
from pingjia.reviews.importing.formats import ImportFormat
from pingjia.reviews.importing.reading import Cell

LIMITS = {
    "external_id": 64, "order_id": 64, "product_code": 64, "store_code": 40,
    "product": 200, "store_name": 100, "customer_name": 60, "customer_nick": 100,
    "customer_phone": 30, "customer_email": 254, "text": 10_000, "append_text": 10_000,
    "reply": 10_000,
}
IDENTIFIERS = ("external_id", "order_id", "product_code", "store_code")
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_LATIN = re.compile(r"[A-Za-z]")


class RowError(ValueError):
    """Why a row cannot be imported; shown beside its row number."""


@dataclass
class ReviewRow:
    row: int
    identity: str
    external_id: str = ""
    reviewed_at: datetime | None = None
    rating: int | None = None
    sub_scores: dict[str, int] = field(default_factory=dict)
    text: str = ""
    customer_name: str = ""
    customer_nick: str = ""
    customer_phone: str = ""
    customer_email: str = ""
    order_id: str = ""
    product: str = ""
    product_code: str = ""
    store_code: str = ""
    store_name: str = ""
    tags: list[str] = field(default_factory=list)
    images: list[str] = field(default_factory=list)
    append_text: str = ""
    appended_at: datetime | None = None
    reply: str = ""
    language: str = ""
    # The row as read from a file (see services._source_hash); empty for other sources.
    source_hash: str = ""

    @property
    def has_customer(self) -> bool:
        return bool(self.customer_phone or self.customer_email or self.customer_nick
                    or self.customer_name)


def language_of(text: str) -> str:
    """Chinese (`zh`), English (`en`) or unknown; the script of Chinese text is decided by
    the analysis."""
    if _CJK.search(text):
        return "zh"
    return "en" if _LATIN.search(text) else ""


def fingerprint(row: ReviewRow, written_time: str) -> str:
    parts = [written_time, row.customer_nick, row.customer_name, row.product, row.order_id,
             str(row.rating or ""), row.text]
    normalized = "\x1f".join(" ".join(unicodedata.normalize("NFKC", p).split()) for p in parts)
    return hashlib.sha256(normalized.encode()).hexdigest()


def parse_row(values: list[Cell], number: int, *, fmt: ImportFormat, fields: dict[str, int],
              scores: dict[str, int], tz: ZoneInfo) -> ReviewRow:
    """The row's review, or RowError with the reason."""
    return RowParser(fmt=fmt, fields=fields, scores=scores, tz=tz).parse(values, number)


class RowParser:
    """`parse_row` for many rows of one file: which cell feeds which field, and how it is read,
    is worked out once instead of once per row."""

    def __init__(self, *, fmt: ImportFormat, fields: dict[str, int], scores: dict[str, int],
                 tz: ZoneInfo) -> None:
        self.tz = tz
        self.scale = fmt.rating_scale
        self.plain: list[tuple[str, int, Callable[[Cell], str], int]] = [
            (name, fields[name],
             cells.identifier if name in IDENTIFIERS
             else cells.phone if name == "customer_phone" else cells.text, LIMITS[name])
            for name in LIMITS if name in fields]
        self.reviewed_at = fields.get("reviewed_at")
        self.appended_at = fields.get("appended_at")
        self.rating = fields.get("rating")
        self.tags = fields.get("tags")
        self.images = fields.get("images")
        self.scores = list(scores.items())

    def parse(self, values: list[Cell], number: int) -> ReviewRow:
        """The row's review, or RowError with the reason."""
        width = len(values)

        def cell(index: int | None) -> Cell:
            return values[index] if index is not None and index < width else None

        try:
            found: dict[str, Any] = {}
            for name, index, read, limit in self.plain:
                value = read(values[index] if index < width else None)
                if len(value) > limit:
                    cells.limited(value, limit, name)
                found[name] = value
            row = ReviewRow(row=number, identity="", **found)
            written_time = cell(self.reviewed_at)
            row.reviewed_at = cells.moment(written_time, self.tz)
            row.appended_at = cells.moment(cell(self.appended_at), self.tz)
            row.rating = cells.rating(cell(self.rating), self.scale)
            if self.scores:
                row.sub_scores = {name: score for name, index in self.scores
                                  if (score := cells.rating(cell(index), "stars")) is not None}
            if self.tags is not None:
                row.tags = cells.split_list(cell(self.tags))
            if self.images is not None:
                row.images = [url for url in cells.split_list(cell(self.images))
                              if url.startswith(("http://", "https://"))]
        except ValueError as exc:
            raise RowError(str(exc)) from None
        if not row.text and row.rating is None:
            raise RowError(_("neither text nor rating"))
        row.language = language_of(row.text)
        row.identity = row.external_id or "fp:" + fingerprint(row, cells.text(written_time))
        return row
