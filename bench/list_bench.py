"""Review list and search at scale: N reviews (default 1,000,000, texts from ../shared/data)
are written straight into a scratch database, with their real search text; then the review
list page is requested through Django's test client as the review manager (no network), and
the p50/p95 of each kind of request are printed, the filters by analysis included (every
review gets a stored analysis, see `fill_analyses`).

    .venv/bin/python bench/list_bench.py [ROWS] [REQUESTS]
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from datetime import timedelta

from harness import setup_django
from import_bench import DATA

SEARCHES = ["质量", "慢", "客服 态度", "物流", "屏幕", "味道"]
# The extremes of a search: few matches (杂音, 蓝牙: under a thousand and a few thousand at a
# million reviews), very many (好, 的, 不错: a fifth to two thirds of all reviews), none.
EXTREMES = ["杂音", "蓝牙", "好", "的", "不错", "菠萝蜜"]


def fill(rows: int) -> None:
    import csv
    import random

    from django.db import connection, transaction
    from django.utils import timezone

    from pingjia.core.demo import demo_load
    from pingjia.reviews.models import Channel, Review
    from pingjia.reviews.search import index_text

    demo_load(reviews=0)
    with DATA.open(encoding="utf-8-sig") as file:
        corpus = [(int(r["label"]), r["review"]) for r in csv.DictReader(file) if r["review"]]
    indexed = [(label, text, index_text(text)) for label, text in corpus]
    channels = list(Channel.objects.filter(kind=Channel.Kind.PLATFORM).values_list("pk",
                                                                                  flat=True))
    from pingjia.accounts.models import Store

    stores = list(Store.objects.values_list("pk", flat=True))
    rng = random.Random(1)  # noqa: S311 (repeatable test data)
    now = timezone.now()
    fields = [f for f in Review._meta.concrete_fields if not f.primary_key]
    quote = connection.ops.quote_name
    sql = (f"INSERT INTO {quote(Review._meta.db_table)} "  # noqa: S608 (model metadata only)
           f"({', '.join(quote(f.column) for f in fields)}) "
           f"VALUES ({', '.join(['%s'] * len(fields))})")
    started = time.perf_counter()
    for start in range(0, rows, 20_000):
        batch = []
        for n in range(start, min(start + 20_000, rows)):
            label, text, search_text = indexed[n % len(indexed)]
            review = Review(channel_id=rng.choice(channels), identity=f"B{n}", external_id=f"B{n}",
                            store_id=rng.choice(stores), text=text, search_text=search_text,
                            rating=rng.choice((1, 2, 3)) if label == 0 else rng.choice((4, 5)),
                            reviewed_at=now - timedelta(seconds=rng.randrange(365 * 86400)),
                            received_at=now, language="zh")
            batch.append([f.get_db_prep_save(getattr(review, f.attname), connection)
                          for f in fields])
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.executemany(sql, batch)
    print(f"filled {rows:,} reviews in {time.perf_counter() - started:.0f} s "
          f"({connection.vendor})")


def fill_analyses() -> None:
    """An analysis for every review, written in one INSERT … SELECT: sentiment by the stars
    (1–2 negative, 3 neutral, 4–5 positive), one 4–5 star review in fifty a hidden complaint,
    complaints spread over the complaint categories. What the filters need to find, in
    plausible shares; the analysis itself is measured by analysis_bench.py."""
    from django.db import connection

    from pingjia.analysis.models import Category

    codes = dict(Category.objects.values_list("code", "pk"))
    complaints = [codes[c] for c in ("product_quality", "service_attitude",
                                     "delivery_logistics", "after_sales", "other")]
    spread = " ".join(f"WHEN id %% 5 = {n} THEN {pk}" for n, pk in enumerate(complaints))
    started = time.perf_counter()
    sql = (f"INSERT INTO analysis_reviewanalysis (review_id, sentiment, "  # noqa: S608 (ids)
           "sentiment_score, sentiment_source, is_negative, hidden_complaint, category_id, "
           "category_confidence, category_source, secondary, aspects, aspects_source, "
           "analysed_at) SELECT id, CASE WHEN rating <= 2 THEN 'negative' WHEN rating = 3 "
           "THEN 'neutral' ELSE 'positive' END, 0.5, 'bench', rating <= 2, "
           "(rating >= 4 AND id %% 50 = 0), CASE WHEN rating >= 4 THEN %s ELSE CASE "
           f"{spread} END END, 0.5, 'bench', '[]', '[]', 'bench', reviewed_at "
           "FROM reviews_review")
    with connection.cursor() as cursor:
        cursor.execute(sql, [codes["not_a_complaint"]])
        if connection.vendor == "postgresql":
            # As autovacuum would soon; an embedded SQLite database has no statistics.
            cursor.execute("ANALYZE")
    print(f"analysed {connection.vendor} reviews in {time.perf_counter() - started:.0f} s")


def measure(client: object, label: str, urls: list[str]) -> None:
    timings = []
    for url in urls:
        started = time.perf_counter()
        response = client.get(url)  # type: ignore[attr-defined]
        timings.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    timings.sort()
    p95 = timings[max(0, round(len(timings) * 0.95) - 1)]
    print(f"{label:<34} p50 {statistics.median(timings):7.1f} ms   p95 {p95:7.1f} ms   "
          f"({len(timings)} requests)")


def main() -> None:
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    requests = int(sys.argv[2]) if len(sys.argv) > 2 else 40
    os.environ.setdefault("PINGJIA_ALLOWED_HOSTS", "testserver")  # Django's test client
    setup_django()
    from django.core.management import call_command
    from django.test import Client

    call_command("collectstatic", interactive=False, verbosity=0)  # pages link hashed names

    from pingjia.accounts.models import User
    from pingjia.analysis.models import ReviewAnalysis
    from pingjia.reviews.models import Channel, Review

    if not Review.objects.exists():
        fill(rows)
    if not ReviewAnalysis.objects.exists():
        fill_analyses()
    client = Client()
    client.force_login(User.objects.get(username="manager"))
    client.get("/reviews/")  # warm up
    measure(client, "list, newest first", ["/reviews/"] * requests)
    codes = list(Channel.objects.filter(kind=Channel.Kind.PLATFORM).values_list("code",
                                                                                flat=True))
    measure(client, "list, negative, one channel",
            [f"/reviews/?rating=negative&channel={codes[n % len(codes)]}"
             for n in range(requests)])
    measure(client, "search", [f"/reviews/?q={SEARCHES[n % len(SEARCHES)]}"
                               for n in range(requests)])
    measure(client, "list, negative sentiment", ["/reviews/?sentiment=negative"] * requests)
    measure(client, "list, hidden complaints", ["/reviews/?sentiment=hidden"] * requests)
    measure(client, "list, one category, one channel",
            [f"/reviews/?category=after_sales&channel={codes[n % len(codes)]}"
             for n in range(requests)])
    measure(client, "search, negative sentiment",
            [f"/reviews/?q={SEARCHES[n % len(SEARCHES)]}&sentiment=negative"
             for n in range(requests)])
    measure(client, "search, rare and very common words",
            [f"/reviews/?q={EXTREMES[n % len(EXTREMES)]}" for n in range(requests)])
    measure(client, "search, hidden complaints",
            [f"/reviews/?q={(SEARCHES + EXTREMES)[n % 12]}&sentiment=hidden"
             for n in range(requests)])
    page = client.get("/reviews/").content.decode()
    after = page.split("after=")[1].split('"')[0]
    measure(client, "second page (keyset)", [f"/reviews/?after={after}"] * requests)


if __name__ == "__main__":
    main()
