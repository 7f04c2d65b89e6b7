"""Storing the analysis of reviews: N reviews imported (the import benchmark's CSV, from the real
texts in ../shared/data), then analysed as the worker analyses new reviews, then analysed again
as after a switch of models or a change of the taxonomy (`reviews_reanalyse`). Prints reviews/s
(wall clock, and per CPU second of the process).

    .venv/bin/python bench/reanalyse_bench.py [ROWS]        # default 100,000
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable

from harness import setup_django
from import_bench import build_csv


def timed(label: str, rows: int, run: Callable[[], int]) -> None:
    started, cpu = time.perf_counter(), time.process_time()
    done = run()
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    print(f"{label:<24} {done / seconds:>10,.0f} reviews/s  ({seconds:.1f} s; "
          f"{done / cpu:,.0f} per CPU second; {done:,} of {rows:,} reviews)")


def main() -> None:
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    data = build_csv(rows)
    setup_django()
    from django.db import connection

    from pingjia.analysis.engine import current_engine
    from pingjia.analysis.services import reviews_analyse_new, reviews_reanalyse
    from pingjia.reviews.models import Channel
    from pingjia.reviews.services import review_import

    review_import(actor=None, data=data, file_name="bench.csv",
                  channel=Channel.objects.get(code="dianping"))
    current_engine().analyse(["预热"])  # the models are built once per process, not timed
    print(f"{rows:,} reviews, database {connection.vendor}, "
          f"load {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    timed("first analysis", rows, reviews_analyse_new)
    timed("analysis again", rows, reviews_reanalyse)


if __name__ == "__main__":
    main()
