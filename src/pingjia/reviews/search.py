"""Chinese full-text search of reviews.

Each review keeps `search_text`: its text and append review, normalised (full-width forms,
Traditional to Simplified, lower case) and segmented with jieba's search mode, plus every
Chinese character on its own, so that a one-character query (慢) finds 太慢了 and a Traditional
query finds Simplified text. SQLite indexes it with FTS5, PostgreSQL with a GIN index on a
`simple` tsvector (migration reviews 0007); `matching` hides the difference.
"""

from __future__ import annotations

from typing import Any, TypeVar

from django.db import connection
from django.db.models import QuerySet
from django.db.models.expressions import RawSQL

from pingjia.analysis.text.normalise import CJK, normalise, search_terms

MAX_TERMS = 12


def index_text(*texts: str) -> str:
    """What is stored in `search_text` for these texts."""
    seen: dict[str, None] = {}
    for text in texts:
        if not text:
            continue
        normalised = normalise(text)
        seen.update(dict.fromkeys(search_terms(normalised)))
        seen.update(dict.fromkeys(CJK.findall(normalised)))
    seen.pop("", None)
    return " ".join(seen)


def query_terms(query: str) -> list[str]:
    """The terms every matching review must contain."""
    terms = list(dict.fromkeys(t for t in search_terms(normalise(query)) if t))
    return terms[:MAX_TERMS]


ReviewsT = TypeVar("ReviewsT", bound=QuerySet[Any])


def matching(reviews: ReviewsT, query: str) -> ReviewsT:
    """The reviews containing every term of `query`. The statements are constant; the terms
    travel as parameters."""
    terms = query_terms(query)
    if not terms:
        return reviews
    if connection.vendor == "postgresql":
        sql = ("SELECT id FROM reviews_review WHERE to_tsvector('simple', search_text) "
               "@@ plainto_tsquery('simple', %s)")
        return reviews.filter(pk__in=RawSQL(sql, [" ".join(terms)]))  # noqa: S611
    expression = " AND ".join('"' + term.replace('"', '""') + '"' for term in terms)
    sql = "SELECT rowid FROM reviews_review_fts WHERE reviews_review_fts MATCH %s"
    return reviews.filter(pk__in=RawSQL(sql, [expression]))  # noqa: S611
