"""Recurring issues at scale: reviews with their analysis are written straight into a scratch
database (texts from ../shared/data, each distinct text analysed once by the organisation's
engine: sentiment, category, aspects), then `issues_recompute` is timed at each size, and
`issues_assign_new` for 1,000 reviews arriving after the last recompute.

    .venv/bin/python bench/issues_bench.py [--sizes 100000,1000000] [--new 1000]
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import resource
import time
from datetime import timedelta
from typing import Any

from harness import setup_django
from import_bench import DATA


def _insert(model: Any, objects: list[Any]) -> None:
    """Plain INSERTs of the model's concrete fields: no signals, no per-row queries."""
    from django.db import connection, transaction

    fields = [f for f in model._meta.concrete_fields
              if not (f.primary_key and f.auto_created)]
    quote = connection.ops.quote_name
    sql = (f"INSERT INTO {quote(model._meta.db_table)} "  # noqa: S608 (model metadata only)
           f"({', '.join(quote(f.column) for f in fields)}) "
           f"VALUES ({', '.join(['%s'] * len(fields))})")
    rows = [[f.get_db_prep_save(getattr(o, f.attname), connection) for f in fields]
            for o in objects]
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.executemany(sql, rows)


class Corpus:
    """The data set's reviews, each distinct text analysed once."""

    def __init__(self) -> None:
        from pingjia.analysis.engine import current_engine
        from pingjia.analysis.models import Category

        with DATA.open(encoding="utf-8-sig") as file:
            rows = [(int(r["label"]), r["review"]) for r in csv.DictReader(file) if r["review"]]
        started = time.perf_counter()
        results = current_engine().analyse([text for _label, text in rows])
        print(f"analysed {len(rows):,} distinct texts in {time.perf_counter() - started:.0f} s")
        categories = dict(Category.objects.values_list("code", "pk"))
        self.rows = [(label, text, result.sentiment.label, result.sentiment.score,
                      categories.get(result.category.code),
                      [{"text": a.text, "polarity": a.polarity} for a in result.aspects])
                     for (label, text), result in zip(rows, results, strict=True)]


def fill(corpus: Corpus, start: int, stop: int, *, days: int = 365) -> None:
    """Reviews `start`…`stop` and their analyses, spread over the last `days` days."""
    from django.utils import timezone

    from pingjia.accounts.models import Store
    from pingjia.analysis.models import ReviewAnalysis
    from pingjia.reviews.models import Channel, Review

    channels = list(Channel.objects.filter(kind=Channel.Kind.PLATFORM).values_list("pk",
                                                                                  flat=True))
    stores = list(Store.objects.values_list("pk", flat=True))
    rng = random.Random(start)  # noqa: S311 (repeatable test data)
    now = timezone.now()
    for first in range(start, stop, 20_000):
        reviews, analyses = [], []
        for n in range(first, min(first + 20_000, stop)):
            label, text, sentiment, score, category_id, aspects = corpus.rows[
                n % len(corpus.rows)]
            rating = rng.choice((1, 2, 3)) if label == 0 else rng.choice((4, 5))
            reviews.append(Review(
                pk=n + 1, channel_id=rng.choice(channels), identity=f"B{n}",
                external_id=f"B{n}", store_id=rng.choice(stores), text=text, rating=rating,
                reviewed_at=now - timedelta(seconds=rng.randrange(days * 86400)),
                received_at=now, language="zh"))
            analyses.append(ReviewAnalysis(
                review_id=n + 1, sentiment=sentiment, sentiment_score=score,
                sentiment_source="model:bench", is_negative=rating <= 2, category_id=category_id,
                category_confidence=0.5, category_source="model:bench", aspects=aspects,
                aspects_source="rules", analysed_at=now))
        _insert(Review, reviews)
        _insert(ReviewAnalysis, analyses)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="100000,1000000")
    parser.add_argument("--new", type=int, default=1000)
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    setup_django()
    from django.db import connection

    from pingjia.analysis.issues import issues_assign_new, issues_recompute
    from pingjia.analysis.models import RecurringIssue
    from pingjia.core.demo import demo_load

    demo_load(reviews=0)
    corpus = Corpus()
    done = 0
    for size in sizes:
        started = time.perf_counter()
        fill(corpus, done, size)
        done = size
        print(f"\n{size:,} reviews written in {time.perf_counter() - started:.0f} s "
              f"({connection.vendor})")
        started = time.perf_counter()
        outcome = issues_recompute()
        seconds = time.perf_counter() - started
        shown = RecurringIssue.objects.shown().count()
        print(f"recompute at {size:,} reviews: {seconds:.1f} s "
              f"({', '.join(f'{k} {v:.1f} s' for k, v in outcome.seconds.items())}); "
              f"{outcome.complaints:,} complaints, {outcome.issues:,} groups "
              f"({shown:,} of 2+ reviews), {outcome.members:,} memberships")
        top = RecurringIssue.objects.shown().order_by("-member_count")[:8]
        print("largest: " + json.dumps([(i.display_name, i.member_count) for i in top],
                                       ensure_ascii=False))
        # New reviews arrive after the recompute, written in the last week.
        fill(corpus, done, done + args.new, days=7)
        done += args.new
        started = time.perf_counter()
        assigned = issues_assign_new()
        print(f"incremental, {args.new:,} new reviews: "
              f"{time.perf_counter() - started:.2f} s ({assigned.complaints} complaints, "
              f"{assigned.added} placed in existing groups, {assigned.new_issues} new groups)")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory {peak:,.0f} MiB")


if __name__ == "__main__":
    main()
