"""Held-out figures that every training run reports before its model may replace the old one."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Generic, TypeVar

import numpy as np

ModelT = TypeVar("ModelT")

# Every tenth example is held out: deterministic, so two runs on the same labels agree, and spread
# through the input order, so a file sorted by date or category still yields a fair sample.
_HELD_OUT_EVERY = 10
MIN_EXAMPLES = _HELD_OUT_EVERY * 2


class NotEnoughExamples(ValueError):
    """Too few labelled examples (or only one label) to train and measure a model."""


@dataclass(frozen=True)
class HeldOutFigures:
    accuracy: float
    macro_f1: float
    n_train: int
    n_held_out: int
    per_class_f1: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class TrainResult(Generic[ModelT]):
    """The trained model and how it did on examples it did not see. The model is the one that was
    measured: the held-out examples are not folded back in afterwards."""

    model: ModelT
    figures: HeldOutFigures


def held_out_mask(count: int) -> np.ndarray:
    if count < MIN_EXAMPLES:
        raise NotEnoughExamples(f"{count} labelled examples; at least {MIN_EXAMPLES} are needed")
    return np.arange(count) % _HELD_OUT_EVERY == _HELD_OUT_EVERY - 1


def require_two_labels(labels: Sequence[str]) -> None:
    if len(set(labels)) < 2:
        raise NotEnoughExamples("the examples carry a single label; nothing to tell apart")


def class_f1(truth: Sequence[str], predicted: Sequence[str]) -> dict[str, float]:
    """F1 of each class present in `truth` (computed here: importing scikit-learn's metrics
    takes seconds, and this runs whenever a model is measured)."""
    actual = np.asarray(truth, dtype=object)
    guessed = np.asarray(predicted, dtype=object)
    scores = {}
    for name in sorted(set(truth)):
        hits = float(np.sum((actual == name) & (guessed == name)))
        wrong = float(np.sum(actual == name)) + float(np.sum(guessed == name))
        scores[name] = 2 * hits / wrong if wrong else 0.0
    return scores


def measure(truth: Sequence[str], predicted: Sequence[str], *, n_train: int) -> HeldOutFigures:
    if len(truth) != len(predicted):
        raise ValueError("truth and predictions differ in length")
    per_class = class_f1(truth, predicted)
    correct = sum(t == p for t, p in zip(truth, predicted, strict=True))
    return HeldOutFigures(
        accuracy=correct / len(truth) if truth else 0.0,
        macro_f1=float(np.mean(list(per_class.values()))) if per_class else 0.0,
        n_train=n_train,
        n_held_out=len(truth),
        per_class_f1=per_class,
    )
