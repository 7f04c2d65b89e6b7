"""Features shared by the sentiment and category models: the n-grams of a review.

A batch of reviews is normalised and segmented once (`prepare`); every model looks the batch's
n-grams up in its vocabulary, and models that share a vocabulary share the lookup too.

The n-grams of a review are its character 1–3-grams and its words. Characters catch what
segmentation splits badly (不太好, 没毛病); words catch longer phrases (性价比高). Features are
binary, so a word that is also a character n-gram (质量) is one feature. That makes the lookup
cheap: the character n-grams of a whole batch are looked up at once in a numpy hash table keyed
by their code points (exact, no hashing trick), and only words longer than three characters, the
ones the character n-grams do not already cover, go through a Python dictionary.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from itertools import compress

import numpy as np
import rjieba
import scipy.sparse as sp

from pingjia.analysis.text.normalise import _to_simplified, normalise

_SPACES = re.compile(r"\s+")
_WORD = re.compile(r"\w", re.UNICODE)
# Joins the n-grams when a vocabulary is stored; n-grams never contain it (whitespace is
# collapsed to one space before n-grams are cut).
_SEPARATOR = "\n"
# Joins a batch for one call to the converter and the segmenter. Neither carries anything
# across it: it is in no conversion phrase, and the segmenter cuts at every character that is
# not a letter, digit or ideograph. A batch whose texts contain it is handled text by text.
_BATCH_SEPARATOR = "\x1e"
_LONGEST_CHAR_GRAM = 3
_CODE_BITS = 21  # every code point + 1 fits; three of them fit one uint64
_HASH_MULTIPLIER = np.uint64(0x9E3779B97F4A7C15)


def grams(normalised: str, tokens: Sequence[str]) -> list[str]:
    """Character 1–3-grams of the text (whitespace collapsed) and its words. Duplicates are
    harmless: features are binary."""
    text = collapse_spaces(normalised)
    out = list(text)
    out += [text[i : i + 2] for i in range(len(text) - 1)]
    out += [text[i : i + 3] for i in range(len(text) - 2)]
    out += tokens
    return out


def collapse_spaces(normalised: str) -> str:
    return _SPACES.sub(" ", normalised).strip()


def is_word(token: str) -> bool:
    """What `normalise.words` keeps of jieba's tokens: not punctuation, not space."""
    return bool(token.strip()) and _WORD.search(token) is not None


def normalise_batch(texts: Sequence[str]) -> list[str]:
    """`normalise` of each text, faster: the full-width check skips texts already in NFKC, and
    the Traditional→Simplified converter runs once per batch rather than once per text."""
    if len(texts) < 2:
        return [normalise(t) for t in texts]
    nfkc = _nfkc_batch(texts)
    joined = _BATCH_SEPARATOR.join(nfkc)
    converted = _to_simplified().convert(joined).split(_BATCH_SEPARATOR)
    if len(converted) != len(nfkc):  # a text held the separator itself
        return [normalise(t) for t in nfkc]
    return [t.lower() for t in converted]


def segment_batch(normalised: Sequence[str]) -> list[list[str]]:
    """`rjieba.cut` of each text (punctuation kept: the aspect scan needs the clauses), in one
    call for the batch."""
    if len(normalised) < 2 or any(_BATCH_SEPARATOR in t for t in normalised):
        return [rjieba.cut(t) for t in normalised]
    tokens = rjieba.cut(_BATCH_SEPARATOR.join(normalised))
    out: list[list[str]] = []
    start = 0
    for _ in range(len(normalised) - 1):
        end = tokens.index(_BATCH_SEPARATOR, start)
        out.append(tokens[start:end])
        start = end + 1
    out.append(tokens[start:])
    if len(out) != len(normalised):  # cannot happen with the segmenter's rules; stay exact
        return [rjieba.cut(t) for t in normalised]
    return out


@lru_cache(maxsize=1)
def _compatibility_forms() -> np.ndarray:
    """For each character of the Basic Multilingual Plane, its compatibility decomposition where
    that is one character (，→ , and Ａ → A: the forms Chinese reviews are full of), else the
    character itself."""
    forms = np.arange(0x10000, dtype=np.uint32)
    for code in range(0x10000):
        if 0xD800 <= code <= 0xDFFF:
            continue
        decomposed = unicodedata.normalize("NFKD", chr(code))
        if len(decomposed) == 1:
            forms[code] = ord(decomposed)
    return forms


def _nfkc_batch(texts: Sequence[str]) -> list[str]:
    """`unicodedata.normalize("NFKC", t)` of each text, several times faster on Chinese text.
    Replacing a character by its compatibility decomposition leaves the NFKC form unchanged, so
    where the replaced text is already in NFKC, it is the NFKC form of the text; elsewhere (a
    character that decomposes into several, a combining mark) the text is normalised in full."""
    joined = _BATCH_SEPARATOR.join(texts)
    codes = np.frombuffer(joined.encode("utf-32-le"), dtype=np.uint32).copy()
    basic = codes < 0x10000
    codes[basic] = _compatibility_forms()[codes[basic]]
    replaced = codes.tobytes().decode("utf-32-le").split(_BATCH_SEPARATOR)
    if len(replaced) != len(texts):  # a text held the separator itself
        replaced = list(texts)
    return [
        r if unicodedata.is_normalized("NFKC", r) else unicodedata.normalize("NFKC", t)
        for r, t in zip(replaced, texts, strict=True)
    ]


@dataclass(frozen=True, eq=False)
class Prepared:
    """A batch of reviews, normalised and segmented once for every model and for the aspects."""

    normalised: tuple[str, ...]
    tokens: tuple[list[str], ...]  # jieba's tokens of each normalised text, punctuation kept
    _matrices: dict[int, tuple[Vocabulary, sp.csr_matrix]] = field(
        default_factory=dict, compare=False, repr=False
    )

    def __len__(self) -> int:
        return len(self.normalised)

    @cached_property
    def words(self) -> tuple[list[str], ...]:
        """The tokens `normalise.words` would give: punctuation and spaces dropped."""
        return tuple([t for t in tokens if is_word(t)] for tokens in self.tokens)

    @cached_property
    def grams(self) -> tuple[list[str], ...]:
        """Every n-gram as a string, for building a vocabulary (the lookup does without)."""
        return tuple(grams(n, w) for n, w in zip(self.normalised, self.words, strict=True))

    @cached_property
    def _characters(self) -> tuple[np.ndarray, np.ndarray]:
        """Code points of the batch's space-collapsed texts end to end, and each text's length."""
        texts = [collapse_spaces(n) for n in self.normalised]
        codes = np.frombuffer("".join(texts).encode("utf-32-le"), dtype=np.uint32)
        return codes, np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))

    def select(self, mask: Sequence[bool] | np.ndarray) -> Prepared:
        """The reviews where `mask` is true, as a batch of their own."""
        keep = np.flatnonzero(np.asarray(mask, dtype=bool)).tolist()
        return Prepared(
            tuple(self.normalised[i] for i in keep), tuple(self.tokens[i] for i in keep)
        )

    def matrix(self, vocabulary: Vocabulary) -> sp.csr_matrix:
        """The batch's features in this vocabulary, computed once per vocabulary: models that
        share one (the sentiment model and the category model built on it) pay once."""
        cached = self._matrices.get(id(vocabulary))
        if cached is None or cached[0] is not vocabulary:
            cached = (vocabulary, vocabulary.matrix_of(self))
            self._matrices[id(vocabulary)] = cached
        return cached[1]


def prepare(texts: Iterable[str]) -> Prepared:
    normalised = normalise_batch([t or "" for t in texts])
    return Prepared(tuple(normalised), tuple(segment_batch(normalised)))


def _char_key(gram: str) -> int:
    key = 0
    for position, char in enumerate(gram):
        key |= (ord(char) + 1) << (_CODE_BITS * position)
    return key


class _CharTable:
    """Open-addressing hash table from a character n-gram's key (its code points + 1, 21 bits
    each) to its column, probed for a whole batch at once with numpy."""

    def __init__(self, keys: Sequence[int], columns: Sequence[int]) -> None:
        size = 1 << max(4, (2 * len(keys) - 1).bit_length() + 1)  # load factor ≤ 1/4
        self.bits = size.bit_length() - 1
        self.keys = np.zeros(size, dtype=np.uint64)
        self.columns = np.full(size, -1, dtype=np.int32)
        self.longest_probe = 0
        if not len(keys):
            return
        key_array = np.asarray(keys, dtype=np.uint64)
        mask = size - 1
        slots = self._home(key_array).tolist()
        table_keys = self.keys
        for key, slot, column in zip(key_array.tolist(), slots, columns, strict=True):
            probe = 0
            while table_keys[(slot + probe) & mask]:
                probe += 1
            table_keys[(slot + probe) & mask] = key
            self.columns[(slot + probe) & mask] = column
            self.longest_probe = max(self.longest_probe, probe)

    def _home(self, keys: np.ndarray) -> np.ndarray:
        return ((keys * _HASH_MULTIPLIER) >> np.uint64(64 - self.bits)).astype(np.int64)

    def lookup(self, keys: np.ndarray) -> np.ndarray:
        """The column of each key, -1 where the vocabulary lacks it (or the key is 0)."""
        found = np.full(len(keys), -1, dtype=np.int32)
        home = self._home(keys)
        pending = np.arange(len(keys))
        mask = (1 << self.bits) - 1
        for probe in range(self.longest_probe + 1):
            slots = (home[pending] + probe) & mask
            stored = self.keys[slots]
            wanted = keys[pending]
            hit = stored == wanted
            found[pending[hit]] = self.columns[slots[hit]]
            pending = pending[~hit & (stored != 0)]
            if not len(pending):
                break
        return found


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

    @cached_property
    def _chars(self) -> _CharTable:
        short = [(g, i) for g, i in self._column.items() if 0 < len(g) <= _LONGEST_CHAR_GRAM]
        return _CharTable([_char_key(g) for g, _ in short], [i for _, i in short])

    @cached_property
    def _long_words(self) -> dict[str, int]:
        return {g: i for g, i in self._column.items() if len(g) > _LONGEST_CHAR_GRAM}

    def matrix(self, documents: Sequence[Sequence[str]]) -> sp.csr_matrix:
        """Binary presence of each known n-gram, rows scaled to unit length (from n-gram
        strings: training; `matrix_of` gives the same from a prepared batch, faster)."""
        column = self._column.get
        indices: list[int] = []
        indptr = [0]
        for doc in documents:
            found = set(map(column, doc))
            found.discard(None)
            indices.extend(sorted(found))  # type: ignore[arg-type]
            indptr.append(len(indices))
        return _scaled(
            np.asarray(indices, dtype=np.int32), np.asarray(indptr, dtype=np.int64), len(self)
        )

    def matrix_of(self, prepared: Prepared) -> sp.csr_matrix:
        codes, lengths = prepared._characters
        n = len(lengths)
        starts = np.concatenate(([0], np.cumsum(lengths)))
        doc = np.repeat(np.arange(n, dtype=np.int64), lengths)
        # Position of each character from the end of its text: an n-gram must fit before it.
        left = starts[doc + 1] - np.arange(len(codes))
        shifted = codes.astype(np.uint64) + np.uint64(1)
        keys = [shifted]
        for size in range(2, _LONGEST_CHAR_GRAM + 1):
            key = keys[-1][:-1] | (shifted[size - 1 :] << np.uint64(_CODE_BITS * (size - 1)))
            keys.append(np.where(left[: len(key)] >= size, key, np.uint64(0)))
        columns = self._chars.lookup(np.concatenate(keys))
        rows = np.concatenate([doc[: len(k)] for k in keys])
        long_words = self._long_words
        if long_words:
            get = long_words.get
            longer = _LONGEST_CHAR_GRAM.__lt__
            found = [
                (row, column)
                for row, tokens in enumerate(prepared.tokens)
                for column in map(get, compress(tokens, map(longer, map(len, tokens))))
                if column is not None
            ]
            if found:
                extra = np.asarray(found, dtype=np.int64)
                rows = np.concatenate([rows, extra[:, 0]])
                columns = np.concatenate([columns, extra[:, 1].astype(np.int32)])
        known = columns >= 0
        pairs = np.sort((rows[known] << 32) | columns[known].astype(np.int64))
        if len(pairs):  # each n-gram once per review: the features are binary
            pairs = pairs[np.concatenate(([True], pairs[1:] != pairs[:-1]))]
        indptr = np.searchsorted(pairs >> 32, np.arange(n + 1))
        return _scaled((pairs & 0xFFFFFFFF).astype(np.int32), indptr.astype(np.int64), len(self))

    def columns_of(self, entries: Iterable[str]) -> np.ndarray:
        """The columns of n-grams this vocabulary holds (KeyError for one it does not)."""
        return np.fromiter((self._column[g] for g in entries), dtype=np.int64)

    def to_array(self) -> np.ndarray:
        return np.frombuffer(_SEPARATOR.join(self.entries).encode("utf-8"), dtype=np.uint8)

    @classmethod
    def from_array(cls, array: np.ndarray) -> Vocabulary:
        text = array.tobytes().decode("utf-8")
        return cls(text.split(_SEPARATOR) if text else [])


def _scaled(indices: np.ndarray, indptr: np.ndarray, width: int) -> sp.csr_matrix:
    lengths = np.diff(indptr)
    scale = (1.0 / np.sqrt(np.maximum(lengths, 1))).astype(np.float32)
    return sp.csr_matrix(
        (np.repeat(scale, lengths), indices, indptr), shape=(len(lengths), width)
    )
