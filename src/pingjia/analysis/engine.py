"""The organisation's current analysis: its active models (or the cold start) and its taxonomy,
loaded once per process and reloaded when an administrator changes either."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from threading import Lock

from pingjia.analysis.models import Category, TextModel, successors
from pingjia.analysis.text.category import CategoryModel, cold_start_category
from pingjia.analysis.text.pipeline import Analysis, analyse_batch
from pingjia.analysis.text.sentiment import SentimentModel, cold_start_sentiment
from pingjia.analysis.text.taxonomy import CategoryDef

Result = Analysis


@dataclass(frozen=True)
class Engine:
    sentiment: SentimentModel
    category: CategoryModel
    taxonomy: tuple[CategoryDef, ...]

    def analyse(self, texts: Sequence[str]) -> list[Analysis]:
        """Sentiment, category and issues named, in one pass over the texts."""
        return analyse_batch(texts, sentiment=self.sentiment, category=self.category,
                             taxonomy=self.taxonomy)


_engines: dict[tuple[object, ...], Engine] = {}
_lock = Lock()


def taxonomy() -> tuple[CategoryDef, ...]:
    """The active categories, in their order, each with the categories merged into it."""
    categories = list(Category.objects.all())
    counts_as = successors(categories)
    absorbed: dict[int, list[Category]] = defaultdict(list)
    for category in categories:
        if (to := counts_as.get(category.pk)) is not None and to is not category:
            absorbed[to.pk].append(category)
    return tuple(c.definition(absorbed[c.pk]) for c in categories if counts_as.get(c.pk) is c)


EngineKey = tuple[str | None, str | None, tuple[CategoryDef, ...]]


def engine_key() -> EngineKey:
    """What the analysis depends on: the active models' versions (None: the built-in one) and
    the taxonomy. Two queries."""
    active = dict(TextModel.objects.filter(is_active=True).values_list("kind", "version"))
    return (active.get(TextModel.Kind.SENTIMENT), active.get(TextModel.Kind.CATEGORY),
            taxonomy())


def current_engine() -> Engine:
    """The models themselves are read from the database (or built for the cold start) only
    when `engine_key` changes."""
    key = engine_key()
    definitions = key[2]
    with _lock:
        engine = _engines.get(key)
        if engine is None:
            _engines.clear()
            engine = _engines[key] = Engine(_sentiment(key[0]), _category(key[1], definitions),
                                            definitions)
    return engine


def _sentiment(version: str | None) -> SentimentModel:
    if version is None:
        return cold_start_sentiment()
    return SentimentModel.from_bytes(bytes(TextModel.objects.get(version=version).weights))


def _category(version: str | None, definitions: tuple[CategoryDef, ...]) -> CategoryModel:
    if version is None:
        return cold_start_category(definitions)
    return CategoryModel.from_bytes(bytes(TextModel.objects.get(version=version).weights))
