"""Chinese full-text search of reviews.

Each review keeps `search_text`: its text and append review, normalised (full-width forms,
Traditional to Simplified, lower case) and segmented with jieba's search mode, plus every
Chinese character on its own, so that a one-character query (慢) finds 太慢了 and a Traditional
query finds Simplified text. SQLite indexes it with FTS5 (migration reviews 0007), kept in step
by triggers. PostgreSQL keeps it as a `simple` tsvector too, in the stored generated column
`search_vector` with a GIN index (migration reviews 0011), which the model does not know: a
review list checks a review's stored vector without parsing its text again. `matching` hides
the difference.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any, TypeVar

import rjieba
from django.db import connection
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import BooleanField, F, QuerySet
from django.db.models.expressions import Expression, RawSQL
from django.db.models.sql.compiler import SQLCompiler

from pingjia.analysis.text.normalise import normalise, search_terms

MAX_TERMS = 12
_WORD = re.compile(r"\w", re.UNICODE)
# Runs of the characters of `normalise.CJK`: a text's Chinese characters are taken from its
# runs, which makes a string object per run rather than per character of the whole text.
_CJK_RUN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]+")
_MAX_REMEMBERED = 500_000


class _TermOfPiece(dict[str, str]):
    """What each piece jieba cuts becomes as a term ("" when it is dropped): the rule of
    `normalise.search_terms` (trimmed, at least one word character). Remembered per piece
    because the same few thousand pieces make up most texts, and looked up with C-level
    `map` so that a text's terms cost no Python loop (an import indexes a million texts)."""

    def __missing__(self, piece: str) -> str:
        trimmed = piece.strip()
        term = trimmed if trimmed and _WORD.search(trimmed) else ""
        if len(self) < _MAX_REMEMBERED:
            self[piece] = term
        return term


_TERM_OF_PIECE = _TermOfPiece()


def index_text(*texts: str) -> str:
    """What is stored in `search_text` for these texts: the search terms of each, then each
    Chinese character not already a term, in order of first appearance."""
    seen: dict[str, None] = {}
    for text in texts:
        if not text:
            continue
        normalised = normalise(text)
        seen.update(dict.fromkeys(map(_TERM_OF_PIECE.__getitem__,
                                      rjieba.cut_for_search(normalised))))
        seen.update(dict.fromkeys("".join(_CJK_RUN.findall(normalised))))
    seen.pop("", None)
    return " ".join(seen)


def query_terms(query: str) -> list[str]:
    """The terms every matching review must contain."""
    terms = list(dict.fromkeys(t for t in search_terms(normalise(query)) if t))
    return terms[:MAX_TERMS]


def excerpt(text: str, terms: Sequence[str], *,
            width: int | None) -> list[tuple[str, bool]] | None:
    """What a list of search results shows of `text`: at most `width` characters (all of it
    where None), from a little before the first match, as pieces marked True where a term
    occurs; "…" pieces where text is left out. The terms are found in the normalised text, so
    that 态度 marks 態度; None when no term occurs (the match was in the append review)."""
    folded = normalise(text)
    if len(folded) != len(text):
        # NFKC changed a length (㈱ → (株)): normalise character by character, keeping each
        # character's place.
        folded = "".join((normalise(character) or " ")[0] for character in text)
    spans = []
    for term in terms:
        start = folded.find(term)
        while start != -1:
            spans.append((start, start + len(term)))
            start = folded.find(term, start + 1)
    if not spans:
        return None
    spans.sort()
    merged = [spans[0]]
    for start, stop in spans[1:]:  # overlapping or touching terms (四十, 四十分钟) mark once
        if start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(stop, merged[-1][1]))
        else:
            merged.append((start, stop))
    if width is None:
        begin, end = 0, len(text)
    else:
        begin = max(0, min(merged[0][0] - width // 4, len(text) - width))
        end = min(len(text), begin + width)
    pieces = [("…", False)] if begin else []
    at = begin
    for start, stop in merged:
        start, stop = max(start, begin), min(stop, end)
        if start >= stop:
            continue  # outside the excerpt
        if start > at:
            pieces.append((text[at:start], False))
        pieces.append((text[start:stop], True))
        at = stop
    if at < end:
        pieces.append((text[at:end], False))
    if end < len(text):
        pieces.append(("…", False))
    return pieces


ReviewsT = TypeVar("ReviewsT", bound=QuerySet[Any])

# SQLite: a search with fewer matches than this reads them all and sorts them by time (0.75 µs
# a match at a million reviews); one with more walks the time index newest first and checks
# each review against its matches, which fills a page long before it has read them all. The
# walk's worst case, matches all among the oldest reviews, reads the whole index (45 ms at a
# million), where reading and sorting the 650,000 matches of 的 took 270 ms.
FEW_MATCHES = 5_000
_FTS_MATCHES = "SELECT rowid FROM reviews_review_fts WHERE reviews_review_fts MATCH %s"


class _ReviewCondition(Expression):
    """A condition on the query's own review table, written as SQL around the table's alias
    (`{review}`): the review is named through its id, so the condition carries the alias the
    query gives the table, also when the query becomes a subquery."""

    output_field = BooleanField()

    def __init__(self, template: str, params: list[Any]) -> None:
        super().__init__()
        self.template = template
        self.params = params
        self.review: Any = F("pk")  # the query's review id column once resolved

    def get_source_expressions(self) -> list[Any]:
        return [self.review]

    def set_source_expressions(self, exprs: Sequence[Any]) -> None:
        (self.review,) = exprs

    def as_sql(self, compiler: SQLCompiler,
               connection: BaseDatabaseWrapper) -> tuple[str, list[Any]]:
        review = compiler.quote_name_unless_alias(self.review.alias)
        return self.template.format(review=review), list(self.params)


def estimated_matches(query: str) -> tuple[float, float] | None:
    """PostgreSQL: how many reviews the planner expects `query` to match, from the search
    vector's statistics (migration 0012 keeps ten times the usual), and how many reviews there
    are; a millisecond, as nothing is read. None where there are no terms or the table has
    never been analysed."""
    terms = query_terms(query)
    if not terms:
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT reltuples FROM pg_class WHERE oid = 'reviews_review'::regclass")
        (total,) = cursor.fetchone()
        if total <= 0:
            return None
        cursor.execute("EXPLAIN (FORMAT JSON) SELECT 1 FROM reviews_review "
                       "WHERE search_vector @@ plainto_tsquery('simple', %s)", [" ".join(terms)])
        (plan,) = cursor.fetchone()
    if isinstance(plan, str):
        plan = json.loads(plan)
    return float(plan[0]["Plan"]["Plan Rows"]), float(total)


def matching(reviews: ReviewsT, query: str) -> ReviewsT:
    """The reviews containing every term of `query`. The statements are constant; the terms
    travel as parameters."""
    terms = query_terms(query)
    if not terms:
        return reviews
    if connection.vendor == "postgresql":
        # The review's stored vector, checked where the list reads the review: not a subquery
        # of matching ids, which PostgreSQL looked up again for every review it read (20–40 ms
        # against 0.3 s for a search within one sentiment at a million reviews).
        return reviews.filter(_ReviewCondition(
            "{review}.search_vector @@ plainto_tsquery('simple', %s)", [" ".join(terms)]))
    # Every term a quoted string: search syntax in a query is only text.
    expression = " AND ".join('"' + term.replace('"', '""') + '"' for term in terms)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM ({_FTS_MATCHES} LIMIT %s)",  # noqa: S608
                       [expression, FEW_MATCHES])
        (count,) = cursor.fetchone()
    if count < FEW_MATCHES:
        return reviews.filter(pk__in=RawSQL(_FTS_MATCHES, [expression]))  # noqa: S611
    # The unary plus keeps SQLite from starting at the matches' ids: it walks the index that
    # gives the list's order and checks each review against the matches, read once.
    return reviews.filter(_ReviewCondition(f"+{{review}}.id IN ({_FTS_MATCHES})", [expression]))
