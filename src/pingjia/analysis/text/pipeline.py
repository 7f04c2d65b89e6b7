"""Everything a review gets from its text, in one pass: sentiment, category and aspects.

The batch is normalised and segmented once; the sentiment and category models look up the same
n-grams (one lookup where they share a vocabulary, as the cold-start models do) and the aspect
scan reads the same tokens. The results equal those of the separate calls
(`SentimentModel.predict`, `CategoryModel.predict`, `aspects.extract_aspects`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from pingjia.analysis.text.aspects import Aspect, aspects_from_tokens
from pingjia.analysis.text.category import CategoryGuess, CategoryModel, cold_start_category
from pingjia.analysis.text.features import prepare
from pingjia.analysis.text.sentiment import Sentiment, SentimentModel, cold_start_sentiment
from pingjia.analysis.text.taxonomy import DEFAULT_TAXONOMY, CategoryDef

# Reviews analysed together: large enough that numpy's per-call costs vanish, small enough that
# a batch's n-gram arrays stay a few megabytes.
BATCH_SIZE = 1_000


@dataclass(frozen=True, slots=True)
class Analysis:
    sentiment: Sentiment
    category: CategoryGuess
    aspects: list[Aspect]


def analyse_batch(
    texts: Sequence[str],
    *,
    sentiment: SentimentModel | None = None,
    category: CategoryModel | None = None,
    taxonomy: Sequence[CategoryDef] = DEFAULT_TAXONOMY,
) -> list[Analysis]:
    """One `Analysis` per text, in order. Without models, the cold-start ones (the category
    model built for `taxonomy`)."""
    sentiment_model = sentiment if sentiment is not None else cold_start_sentiment()
    category_model = category if category is not None else cold_start_category(taxonomy)
    results: list[Analysis] = []
    for start in range(0, len(texts), BATCH_SIZE):
        prepared = prepare(texts[start : start + BATCH_SIZE])
        results.extend(
            map(
                Analysis,
                sentiment_model.predict_prepared(prepared),
                category_model.predict_prepared(prepared, taxonomy),
                map(aspects_from_tokens, prepared.tokens),
            )
        )
    return results
