"""Features shared by the sentiment and category models: the n-grams of a review.

A review is normalised and segmented once (`prepare`); both models look its n-grams up in their
own vocabulary. A vocabulary rather than a hashing trick: a dictionary lookup is several times
faster in Python than any stable string hash, and storing the n-grams a model knows costs little.
"""

from __future__ import annotations

import itertools
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

from pingjia.analysis.text.normalise import normalise, words

_SPACES = re.compile(r"\s+")
# Joins the n-grams when a vocabulary is stored; n-grams never contain it (whitespace is
# collapsed to one space before n-grams are cut).
_SEPARATOR = "\n"


def grams(normalised: str, tokens: Sequence[str]) -> list[str]:
    """Words, word pairs, and character 1–3-grams of a normalised review.

    Characters catch what segmentation splits badly (不太好, 没毛病); words and word pairs catch
    longer phrases (质量 不错). Duplicates are harmless: features are binary.
    """
    text = _SPACES.sub(" ", normalised).strip()
    out = list(text)
    out += [text[i : i + 2] for i in range(len(text) - 1)]
    out += [text[i : i + 3] for i in range(len(text) - 2)]
    out += tokens
    out += [f"{a} {b}" for a, b in itertools.pairwise(tokens)]
    return out


@dataclass(frozen=True)
class Prepared:
    """A batch of reviews, normalised and cut into n-grams once for every model."""

    normalised: tuple[str, ...]
    grams: tuple[list[str], ...]
    _matrices: dict[int, tuple[Vocabulary, sp.csr_matrix]] = field(
        default_factory=dict, compare=False, repr=False
    )

    def __len__(self) -> int:
        return len(self.normalised)

    def matrix(self, vocabulary: Vocabulary) -> sp.csr_matrix:
        """The batch's features in this vocabulary, computed once per vocabulary: models that
        share one (the cold-start sentiment and category models) pay for the lookups once."""
        cached = self._matrices.get(id(vocabulary))
        if cached is None or cached[0] is not vocabulary:
            cached = (vocabulary, vocabulary.matrix(self.grams))
            self._matrices[id(vocabulary)] = cached
        return cached[1]


def prepare(texts: Iterable[str]) -> Prepared:
    normalised = tuple(normalise(t or "") for t in texts)
    return prepare_normalised(normalised, [words(n) for n in normalised])


def prepare_normalised(normalised: Sequence[str], tokens: Sequence[Sequence[str]]) -> Prepared:
    """For callers that already hold the normalised text and its words (the search index)."""
    return Prepared(
        tuple(normalised), tuple(grams(n, t) for n, t in zip(normalised, tokens, strict=True))
    )


class Vocabulary:
    """The n-grams a model has weights for, each with its column."""

    def __init__(self, entries: Sequence[str]) -> None:
        self.entries = tuple(entries)
        self._column = {g: i for i, g in enumerate(self.entries)}

    def __len__(self) -> int:
        return len(self.entries)

    @classmethod
    def from_documents(cls, documents: Iterable[Sequence[str]], *, min_count: int) -> Vocabulary:
        """N-grams found in at least `min_count` documents: rarer ones mostly learn noise."""
        counts: Counter[str] = Counter()
        for doc in documents:
            counts.update(set(doc))
        kept = sorted(g for g, n in counts.items() if n >= min_count and _SEPARATOR not in g)
        return cls(kept)

    def matrix(self, documents: Sequence[Sequence[str]]) -> sp.csr_matrix:
        """Binary presence of each known n-gram, rows scaled to unit length."""
        column = self._column.get
        indices: list[int] = []
        indptr = [0]
        for doc in documents:
            found = set(map(column, doc))
            found.discard(None)
            indices.extend(found)  # type: ignore[arg-type]
            indptr.append(len(indices))
        lengths = np.asarray(np.diff(indptr), dtype=np.int64)
        scale = (1.0 / np.sqrt(np.maximum(lengths, 1))).astype(np.float32)
        data = np.repeat(scale, lengths)
        return sp.csr_matrix(
            (data, np.asarray(indices, dtype=np.int32), np.asarray(indptr, dtype=np.int64)),
            shape=(len(documents), len(self.entries)),
        )

    def columns_of(self, entries: Iterable[str]) -> np.ndarray:
        """The columns of n-grams this vocabulary holds (KeyError for one it does not)."""
        return np.fromiter((self._column[g] for g in entries), dtype=np.int64)

    def to_array(self) -> np.ndarray:
        return np.frombuffer(_SEPARATOR.join(self.entries).encode("utf-8"), dtype=np.uint8)

    @classmethod
    def from_array(cls, array: np.ndarray) -> Vocabulary:
        text = array.tobytes().decode("utf-8")
        return cls(text.split(_SEPARATOR) if text else [])
