"""One normalisation and one segmentation for search and analysis.

Full-width forms become ASCII (NFKC), Traditional Chinese becomes Simplified and Latin letters
lower case; the original text is kept for display by whoever calls this.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import opencc
import rjieba

_WORD = re.compile(r"\w", re.UNICODE)
CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


@lru_cache(maxsize=1)
def _to_simplified() -> opencc.OpenCC:
    return opencc.OpenCC("t2s")


def normalise(text: str) -> str:
    return _to_simplified().convert(unicodedata.normalize("NFKC", text)).lower()


def words(normalised: str) -> list[str]:
    """jieba's segmentation (precise mode) of normalised text, punctuation and spaces dropped."""
    return [t for t in (w.strip() for w in rjieba.cut(normalised)) if t and _WORD.search(t)]


def search_terms(normalised: str) -> list[str]:
    """jieba's search mode: words and the shorter words inside them, punctuation dropped."""
    pieces = (w.strip() for w in rjieba.cut_for_search(normalised))
    return [t for t in pieces if t and _WORD.search(t)]
