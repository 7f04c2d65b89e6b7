"""Acts of the text analysis: analysing reviews and storing the results, people correcting
them, and training the organisation's models from its own labels."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from typing import Any, Literal

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from pingjia.accounts.access import require_permission
from pingjia.accounts.models import AuditAction, User
from pingjia.accounts.services import audit_record
from pingjia.analysis.engine import Result, current_engine, taxonomy
from pingjia.analysis.models import (
    SOURCE_PERSON,
    SOURCE_STARS,
    Category,
    LabelCorrection,
    ReviewAnalysis,
    SentimentLabel,
    TextModel,
    successors,
)
from pingjia.analysis.text.category import CategoryModel, train_category
from pingjia.analysis.text.heldout import HeldOutFigures, NotEnoughExamples, held_out_mask, measure
from pingjia.analysis.text.sentiment import SentimentModel, train_sentiment
from pingjia.analysis.text.taxonomy import CategoryKind, counts_for
from pingjia.core.errors import ApplicationError
from pingjia.reviews.models import Review

# A 4–5 star review whose text the model finds this unlikely to be positive is a hidden
# complaint (好评差评): low, so that only clearly negative text is flagged.
HIDDEN_COMPLAINT_BELOW = 0.2
BATCH = 1000
ANALYSIS_LIMIT = 1000  # texts per request of the analysis API


def negative_max_rating() -> int:
    from pingjia.cases.models import CaseSettings  # cases build on the analysis

    return CaseSettings.current().negative_max_rating


def analysis_text(text: str, append_text: str) -> str:
    """What is analysed of a review: its text and its append review, which is often where
    the complaint is."""
    return f"{text}\n{append_text}".strip()


def result_json(result: Result) -> dict[str, Any]:
    """One result as `pingjia analyze` and the API give it."""
    return {
        "sentiment": {"label": result.sentiment.label,
                      "score": round(result.sentiment.score, 4)},
        "category": {"code": result.category.code,
                     "confidence": round(result.category.confidence, 4),
                     "secondary": list(result.category.secondary)},
        "aspects": [{"text": a.text, "polarity": a.polarity} for a in result.aspects],
    }


def texts_analyse(texts: Sequence[str]) -> list[Result]:
    return current_engine().analyse(texts)


# --- reviews ---------------------------------------------------------------------------------

_UPDATED = ["sentiment", "sentiment_score", "sentiment_source", "is_negative",
            "hidden_complaint", "category", "category_confidence", "category_source",
            "secondary", "aspects", "aspects_source", "analysed_at"]


def reviews_analyse(*, review_ids: Sequence[int]) -> int:
    """Analyse the reviews and store the results; what a person corrected stays as they
    set it. Idempotent."""
    reviews = list(Review.objects.filter(pk__in=review_ids).values_list(
        "pk", "text", "append_text", "rating"))
    if not reviews:
        return 0
    engine = current_engine()
    results = engine.analyse([analysis_text(text, append) for _pk, text, append, _r in reviews])
    with transaction.atomic():
        # The stored rows are locked while the results are written, so that a correction made
        # meanwhile is either seen here and kept, or made after, on top (SQLite: the write lock).
        stored = ReviewAnalysis.objects.select_for_update().filter(
            review_id__in=[r[0] for r in reviews]).only(
            "review_id", "sentiment", "sentiment_score", "sentiment_source", "category_id",
            "secondary", "category_source", "aspects", "aspects_source")
        corrected = {a.review_id: a for a in stored if SOURCE_PERSON in (
            a.sentiment_source, a.category_source, a.aspects_source)}
        categories = list(Category.objects.all())
        category_ids = {c.code: c.pk for c in categories}
        # A person's category merged since into another counts as that one.
        moved = {pk: to.pk for pk, to in successors(categories).items()}
        praise = Category.objects.active().filter(
            kind=CategoryKind.NOT_A_COMPLAINT).values_list("pk", flat=True).first()
        max_rating = negative_max_rating()
        now = timezone.now()
        rows = []
        for (pk, _text, _append, rating), result in zip(reviews, results, strict=True):
            row = ReviewAnalysis(
                review_id=pk, sentiment=result.sentiment.label,
                sentiment_score=result.sentiment.score,
                sentiment_source=f"model:{engine.sentiment.version}",
                category_id=category_ids.get(result.category.code),
                category_confidence=result.category.confidence,
                category_source=f"model:{engine.category.version}",
                secondary=list(result.category.secondary),
                aspects=[{"text": a.text, "polarity": a.polarity} for a in result.aspects],
                aspects_source="rules", analysed_at=now)
            _keep_corrections(row, corrected.get(pk), moved)
            row.is_negative, row.hidden_complaint = _negative(row, rating, max_rating)
            if (praise is not None and rating is not None and rating > max_rating
                    and row.sentiment == SentimentLabel.POSITIVE and not row.hidden_complaint
                    and row.category_source != SOURCE_PERSON):
                # Stars above a negative review and praising text: praise, whatever complaint
                # words it also has (味道不错，就是有点贵 at four stars). Its issues still count
                # for the recurring issues; its category stops it showing among the complaints.
                row.category_id, row.secondary, row.category_source = praise, [], SOURCE_STARS
            rows.append(row)
        ReviewAnalysis.objects.bulk_create(rows, update_conflicts=True, unique_fields=["review"],
                                           update_fields=_UPDATED)
        return len(rows)


def _keep_corrections(row: ReviewAnalysis, corrected: ReviewAnalysis | None,
                      moved: dict[int, int]) -> None:
    if corrected is None:
        return
    if corrected.sentiment_source == SOURCE_PERSON:
        row.sentiment, row.sentiment_score = corrected.sentiment, corrected.sentiment_score
        row.sentiment_source = SOURCE_PERSON
    if corrected.category_source == SOURCE_PERSON:
        category_id = corrected.category_id
        row.category_id = moved.get(category_id, category_id) if category_id else category_id
        row.category_confidence = 1.0
        row.secondary, row.category_source = corrected.secondary, SOURCE_PERSON
    if corrected.aspects_source == SOURCE_PERSON:
        row.aspects, row.aspects_source = corrected.aspects, SOURCE_PERSON


def _negative(row: ReviewAnalysis, rating: int | None, max_rating: int) -> tuple[bool, bool]:
    """(negative review, hidden complaint). The stars decide where there are stars; the text
    where there are none. A 4–5 star review with clearly negative text is flagged."""
    if rating is None:
        return row.sentiment == SentimentLabel.NEGATIVE, False
    hidden = (rating >= 4 and row.sentiment != SentimentLabel.POSITIVE
              and row.sentiment_score < HIDDEN_COMPLAINT_BELOW)
    return rating <= max_rating, hidden


def reviews_analyse_new(*, batch: int = BATCH) -> int:
    """Analyse every review that has no analysis yet, oldest first, in batches."""
    done = 0
    while ids := list(Review.objects.filter(analysis__isnull=True).order_by("pk")
                      .values_list("pk", flat=True)[:batch]):
        done += reviews_analyse(review_ids=ids)
    return done


def reviews_reanalyse(*, batch: int = BATCH) -> int:
    """Analyse every review again with the models and the taxonomy now in use, in batches in
    the order of their ids; what a person corrected stays as they set it."""
    done, last = 0, 0
    while ids := list(Review.objects.filter(pk__gt=last).order_by("pk")
                      .values_list("pk", flat=True)[:batch]):
        done += reviews_analyse(review_ids=ids)
        last = ids[-1]
    return done


def reanalyse_after_commit() -> None:
    """Once the transaction commits, have the worker analyse every review again: the models in
    use or the taxonomy changed, and the stored results should be the ones they give."""
    from pingjia.analysis import tasks

    transaction.on_commit(tasks.reanalyse_all)


@contextmanager
def reanalysed_if_taxonomy_changes() -> Iterator[None]:
    """Around a change of the categories: every review is analysed again after commit where
    the change reaches the text analysis (not the order, not a description)."""
    before = _taxonomy_as_read()
    yield
    if _taxonomy_as_read() != before:
        reanalyse_after_commit()


def _taxonomy_as_read() -> set[tuple[object, ...]]:
    return {(c.code, c.name, c.examples, c.kind, c.absorbed) for c in taxonomy()}


# --- corrections -----------------------------------------------------------------------------

@dataclass(frozen=True)
class Correction:
    sentiment: str | None = None
    category: str | None = None  # a category code
    aspects: list[dict[str, str]] | None = None


@transaction.atomic
def review_labels_correct(*, actor: User, review: Review, correction: Correction
                          ) -> ReviewAnalysis:
    """A person's correction of a review's sentiment, category or issues: stored as theirs
    (no later analysis overwrites it), kept as a training example, and audited."""
    require_permission(actor, "analysis.add_labelcorrection", review)
    if not ReviewAnalysis.objects.filter(review=review).exists():
        reviews_analyse(review_ids=[review.pk])
    analysis = ReviewAnalysis.objects.select_for_update().get(review=review)
    changes: dict[str, list[Any]] = {}
    if correction.sentiment is not None:
        if correction.sentiment not in SentimentLabel.values:
            raise ApplicationError(_("Unknown sentiment: %(value)s.") % {
                "value": correction.sentiment}, code="invalid")
        changes["sentiment"] = [analysis.sentiment, correction.sentiment]
        analysis.sentiment = correction.sentiment
        analysis.sentiment_score = {"negative": 0.0, "neutral": 0.5, "positive": 1.0}[
            correction.sentiment]
        analysis.sentiment_source = SOURCE_PERSON
    if correction.category is not None:
        category = Category.objects.active().filter(code=correction.category).first()
        if category is None:
            raise ApplicationError(_("Unknown category: %(code)s.") % {
                "code": correction.category}, code="unknown_category")
        before = analysis.category.code if analysis.category else None
        changes["category"] = [before, category.code]
        analysis.category, analysis.category_confidence = category, 1.0
        analysis.category_source = SOURCE_PERSON
    if correction.aspects is not None:
        aspects = _clean_aspects(correction.aspects)
        changes["aspects"] = [analysis.aspects, aspects]
        analysis.aspects, analysis.aspects_source = aspects, SOURCE_PERSON
    if not changes:
        raise ApplicationError(_("Nothing to correct."), code="invalid")
    analysis.is_negative, analysis.hidden_complaint = _negative(
        analysis, review.rating, negative_max_rating())
    analysis.save()
    LabelCorrection.objects.bulk_create(
        LabelCorrection(review=review, field=field, before=before, after=after,
                        corrected_by=actor) for field, (before, after) in changes.items())
    audit_record(actor=actor, action=AuditAction.LABELS_CORRECTED, target=review,
                 changes=changes)
    return analysis


def _clean_aspects(aspects: Iterable[dict[str, str]]) -> list[dict[str, str]]:
    cleaned = []
    for aspect in aspects:
        text = str(aspect.get("text", "")).strip()[:30]
        polarity = str(aspect.get("polarity", "negative"))
        if polarity not in SentimentLabel.values:
            raise ApplicationError(_("Unknown polarity: %(value)s.") % {"value": polarity},
                                   code="invalid")
        if text:
            cleaned.append({"text": text, "polarity": polarity})
    return cleaned


# --- training --------------------------------------------------------------------------------

Activate = Literal["if_better", "always", "never"]


@dataclass(frozen=True)
class TrainOutcome:
    kind: str
    model: TextModel | None
    figures: HeldOutFigures | None
    current: HeldOutFigures | None  # the active model on the same held-out examples
    activated: bool
    message: str = ""


def sentiment_examples(extra: Iterable[dict[str, Any]] = ()) -> list[tuple[str, str]]:
    """Star-rated reviews teach sentiment (negative up to the organisation's 差评 stars,
    positive from four stars; three stars teach nothing); a person's correction wins."""
    max_rating = negative_max_rating()
    corrected = dict(ReviewAnalysis.objects.filter(sentiment_source=SOURCE_PERSON)
                     .values_list("review_id", "sentiment"))
    examples = []
    for pk, text, append, rating in Review.objects.filter(
            Q(rating__isnull=False) | Q(pk__in=list(corrected))).values_list(
            "pk", "text", "append_text", "rating").order_by("pk").iterator(chunk_size=5000):
        label = corrected.get(pk) or (
            "negative" if rating <= max_rating else "positive" if rating >= 4 else None)
        if label is not None:
            examples.append((analysis_text(text, append), label))
    examples += [(str(line["text"]), str(line["sentiment"])) for line in extra
                 if line.get("sentiment") in SentimentLabel.values]
    return examples


def category_examples(extra: Iterable[dict[str, Any]] = ()) -> list[tuple[str, str]]:
    """Staff corrections teach categories: each review's latest corrected category."""
    rows = ReviewAnalysis.objects.filter(category_source=SOURCE_PERSON,
                                         category__isnull=False).values_list(
        "review__text", "review__append_text", "category__code").order_by("review_id")
    examples = [(analysis_text(text, append), code) for text, append, code in rows]
    examples += [(str(line["text"]), str(line["category"])) for line in extra
                 if line.get("category")]
    return examples


def models_train(*, actor: User | None, extra: Sequence[dict[str, Any]] = (),
                 activate: Activate = "if_better") -> list[TrainOutcome]:
    """Retrain both models from the organisation's labels (plus `extra` examples), each on
    top of the current one. The candidate's held-out figures are compared with the current
    model's on the same held-out examples; it replaces the current one when `activate` says
    so. Every model is kept, so an administrator can roll back."""
    engine = current_engine()
    taxonomy = engine.taxonomy
    target = counts_for(taxonomy)
    outcomes = []
    for kind, examples, current in (
            (TextModel.Kind.SENTIMENT, [e for e in sentiment_examples(extra)
                                        if e[1] != "neutral"], engine.sentiment),
            (TextModel.Kind.CATEGORY, [(text, target[code]) for text, code
                                       in category_examples(extra) if code in target],
             engine.category)):
        try:
            result = (train_sentiment(examples, base=engine.sentiment)  # type: ignore[arg-type]
                      if kind == TextModel.Kind.SENTIMENT
                      else train_category(examples, taxonomy, base=engine.category))
        except NotEnoughExamples as exc:
            outcomes.append(TrainOutcome(kind, None, None, None, False, str(exc)))
            continue
        held = [e for e, h in zip(examples, held_out_mask(len(examples)), strict=True) if h]
        current_figures = _measure_current(current, held, taxonomy)
        better = result.figures.accuracy >= current_figures.accuracy
        with transaction.atomic():
            model, _created = TextModel.objects.get_or_create(
                version=result.model.version, defaults={
                    "kind": kind, "weights": result.model.to_bytes(),
                    "figures": {"held_out": asdict(result.figures),
                                "current_on_same": asdict(current_figures)},
                    "examples": len(examples), "trained_by": actor})
            activated = activate == "always" or (activate == "if_better" and better)
            if activated:
                model_activate(actor=actor, version=model.version, reanalyse=False)
        outcomes.append(TrainOutcome(kind, model, result.figures, current_figures, activated))
    if any(o.activated for o in outcomes):
        reanalyse_after_commit()
    return outcomes


def _measure_current(current: SentimentModel | CategoryModel, held: list[tuple[str, str]],
                     taxonomy: Any) -> HeldOutFigures:
    texts = [text for text, _label in held]
    predicted: list[str]
    if isinstance(current, SentimentModel):
        predicted = [s.label for s in current.predict(texts)]
    else:
        predicted = [g.code for g in current.predict(texts, taxonomy)]
    return measure([label for _text, label in held], predicted, n_train=0)


@transaction.atomic
def model_activate(*, actor: User | None, version: str, reanalyse: bool = True) -> TextModel:
    """Make a stored model the active one of its kind: after training, or to roll back. Every
    review is then analysed again (unless the caller will have that done itself)."""
    model = TextModel.objects.select_for_update().filter(version=version).first()
    if model is None:
        raise ApplicationError(_("No such model: %(version)s.") % {"version": version},
                               code="not_found")
    before = TextModel.objects.filter(kind=model.kind, is_active=True).exclude(pk=model.pk)
    replaced = before.values_list("version", flat=True).first() or BUILT_IN
    before.update(is_active=False)
    if not model.is_active:
        model.is_active = True
        model.save(update_fields=["is_active"])
        audit_record(actor=actor, action=AuditAction.MODEL_ACTIVATED, target=model,
                     changes={"version": [replaced, model.version]})
        if reanalyse:
            reanalyse_after_commit()
    return model


# What the audit trail and the models page call the model a fresh install uses.
BUILT_IN = "built-in"


@transaction.atomic
def model_use_built_in(*, actor: User | None, kind: str) -> TextModel | None:
    """Go back to the model of a fresh install (the cold start) for `kind`. The model in use is
    kept, inactive, to return to; it is returned, or None where the built-in one was in use."""
    if kind not in TextModel.Kind.values:
        raise ApplicationError(_("No such kind of model: %(kind)s.") % {"kind": kind},
                               code="not_found")
    model = TextModel.objects.select_for_update().filter(kind=kind, is_active=True).first()
    if model is None:
        return None
    model.is_active = False
    model.save(update_fields=["is_active"])
    audit_record(actor=actor, action=AuditAction.MODEL_ACTIVATED, target=model,
                 changes={"version": [model.version, BUILT_IN]})
    reanalyse_after_commit()
    return model
