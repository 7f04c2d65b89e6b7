"""Shared helpers: set up Django on a scratch database, time a function several times."""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from collections.abc import Callable


def setup_django() -> None:
    """Django with the real settings; an empty SQLite data folder unless DATABASE_URL is set."""
    if not os.environ.get("DATABASE_URL"):
        os.environ.setdefault("PINGJIA_DATA_DIR", tempfile.mkdtemp(prefix="pingjia-bench-"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pingjia.settings")
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)


def measure(name: str, run: Callable[[], int], *, repeat: int = 5, unit: str = "ops") -> None:
    """Run `run` (which returns how many operations it did) `repeat` times; print the median
    rate and the spread."""
    rates = []
    for _ in range(repeat):
        started = time.perf_counter()
        count = run()
        rates.append(count / (time.perf_counter() - started))
    median = statistics.median(rates)
    print(f"{name:<48} median {median:>12,.0f} {unit}/s   "
          f"(min {min(rates):,.0f}, max {max(rates):,.0f}, {repeat} runs)")
