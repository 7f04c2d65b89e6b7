"""End-to-end import speed: a CSV of N reviews built from the real review texts in
../shared/data (online_shopping_10_cats.csv) with realistic other columns — 18-digit order ids,
store codes, nicknames, phone numbers for some customers, append reviews — imported through
the real import service (parsing, validation, dedup, customer matching, writing), then
imported again (every row a duplicate). Prints rows/s (wall clock, and per CPU second of the
process, which the load of a shared machine disturbs less) and the peak memory of the process.
The analysis modules an import hands its reviews to are loaded before the clock starts, as they
are in the worker or web process that runs imports (seconds of one-off work, mostly compiling).

    .venv/bin/python bench/import_bench.py [ROWS]          # default 1,000,000
"""

from __future__ import annotations

import csv
import io
import multiprocessing
import os
import random
import resource
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

from harness import setup_django

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "online_shopping_10_cats.csv"


def build_csv(rows: int, seed: int = 7) -> bytes:
    if not DATA.exists():
        sys.exit(f"{DATA} is missing: this benchmark needs ../shared/data")
    with DATA.open(encoding="utf-8-sig") as file:
        corpus = [(int(r["label"]), r["review"]) for r in csv.DictReader(file) if r["review"]]
    rng = random.Random(seed)  # noqa: S311 (repeatable test data)
    start = datetime(2025, 1, 1)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["评价ID", "评价时间", "评分", "评价内容", "用户昵称", "手机号", "订单号",
                     "商品名称", "门店ID", "门店名称", "追评内容", "追评时间"])
    for n in range(rows):
        label, text = corpus[n % len(corpus)]
        rating = rng.choice((1, 1, 2, 3)) if label == 0 else rng.choice((4, 5, 5))
        moment = start + timedelta(seconds=rng.randrange(0, 300 * 86400))
        customer = rng.randrange(rows // 3 + 1)
        store = rng.randrange(50)
        append = rng.random() < 0.05
        writer.writerow([
            f"R{n:09d}", moment.strftime("%Y-%m-%d %H:%M:%S"), rating, text,
            f"用户{customer:07d}", f"139{customer:08d}" if customer % 4 == 0 else "",
            f"{202500000000000000 + n}", f"商品{n % 500}", f"{1000 + store}",
            f"门店{store:02d}", "用了一周又坏了" if append else "",
            (moment + timedelta(days=7)).strftime("%Y-%m-%d %H:%M:%S") if append else ""])
    return out.getvalue().encode("utf-8")


def _write_csv(rows: int, path: str) -> None:
    Path(path).write_bytes(build_csv(rows))


def main() -> None:
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    # Built in a child process, so that the peak memory printed below is the import's: the
    # file's bytes (held once, as an upload is) and what the import itself needs.
    with tempfile.TemporaryDirectory() as folder:
        path = str(Path(folder) / "bench.csv")
        child = multiprocessing.get_context("spawn").Process(target=_write_csv,
                                                             args=(rows, path))
        child.start()
        child.join()
        if child.exitcode:
            sys.exit(child.exitcode)
        data = Path(path).read_bytes()
    setup_django()
    from django.db import connection

    import pingjia.analysis.tasks  # noqa: F401
    from pingjia.reviews.models import Channel
    from pingjia.reviews.services import review_import

    channel = Channel.objects.get(code="dianping")
    print(f"{rows:,} rows, {len(data) / 1e6:.1f} MB CSV, database {connection.vendor}, "
          f"load {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    for label in ("first import", "re-import"):
        started, cpu = time.perf_counter(), time.process_time()
        run = review_import(actor=None, data=data, file_name="bench.csv", channel=channel)
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
        print(f"{label:<14} {rows / seconds:>10,.0f} rows/s  ({seconds:.1f} s; "
              f"{rows / cpu:,.0f} rows per CPU second; created {run.created:,}, "
              f"duplicates {run.duplicates:,}, rejected {run.rejected:,})")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory    {peak:>10,.0f} MB ({base:,.0f} MB before the first import, "
          "the CSV's bytes included)")


if __name__ == "__main__":
    main()
