"""Deadline arithmetic for the SLA sweep: `stage_state` and `stage_deadline` over N open stages
(default 100,000) on the standard Shanghai working calendar and on calendar hours. Pure Python,
no database. "Now" sits just before the 2026 Spring Festival, so long limits cross nine days of
holiday and two make-up Saturdays; a fifth of the stages have a closed pause, one in twenty an
open one.

    .venv/bin/python bench/calendar_bench.py [N]
"""

from __future__ import annotations

import random
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from harness import measure

from pingjia.core.calendars import (
    CALENDAR_HOURS,
    Clock,
    Pause,
    WorkingCalendar,
    stage_deadline,
    stage_state,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
# In UTC, as read from the database.
NOW = datetime(2026, 2, 10, 10, 0, tzinfo=SHANGHAI).astimezone(UTC)
LIMITS = (timedelta(hours=8), timedelta(hours=24), timedelta(hours=7.5 * 30))


@dataclass(frozen=True)
class OpenStage:
    clock: Clock
    entered: datetime
    limit: timedelta
    pauses: tuple[Pause, ...]


def open_stages(count: int, calendar: WorkingCalendar, seed: int = 7) -> list[OpenStage]:
    rng = random.Random(seed)  # noqa: S311 (repeatable test data)
    stages = []
    for _ in range(count):
        entered = NOW - timedelta(seconds=rng.randrange(0, 45 * 86400))
        pauses: tuple[Pause, ...] = ()
        roll = rng.random()
        if roll < 0.2:
            started = entered + (NOW - entered) * rng.random()
            pauses = ((started, started + (NOW - started) * rng.random()),)
        elif roll < 0.25:
            pauses = ((entered + (NOW - entered) * rng.random(), None),)
        clock: Clock = CALENDAR_HOURS if rng.random() < 0.3 else calendar
        stages.append(OpenStage(clock, entered, rng.choice(LIMITS), pauses))
    return stages


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    calendar = WorkingCalendar.standard()
    stages = open_stages(count, calendar)

    def states() -> int:
        for stage in stages:
            stage_state(stage.clock, stage.entered, NOW, stage.limit, stage.pauses)
        return count

    def deadlines() -> int:
        for stage in stages:
            stage_deadline(stage.clock, stage.entered, stage.limit, stage.pauses)
        return count

    started = time.perf_counter()
    states()
    print(f"first sweep of {count:,} stages (per-day ledger built on the way): "
          f"{time.perf_counter() - started:.2f} s")
    measure(f"stage_state, {count:,} open stages", states, unit="calls")
    measure(f"stage_deadline, {count:,} open stages", deadlines, unit="calls")


if __name__ == "__main__":
    main()
