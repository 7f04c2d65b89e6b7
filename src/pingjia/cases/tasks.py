"""Scheduled case work: automatic cases for new negative reviews, and the deadline sweep."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, lock_task

from pingjia.cases.services import case_sweep, cases_open_automatically


@db_periodic_task(crontab(minute="*"))
@lock_task("cases-open-automatically")
def open_cases_automatically() -> None:
    cases_open_automatically()


@db_periodic_task(crontab(minute="*/5"))
@lock_task("cases-sweep")
def sweep() -> None:
    case_sweep()
