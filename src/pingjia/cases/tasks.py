"""Scheduled case work: the deadline sweep. (Automatic cases for new negative reviews open
after their analysis: `pingjia.analysis.tasks`.)"""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, lock_task

from pingjia.cases.services import case_sweep


@db_periodic_task(crontab(minute="*/5"))
@lock_task("cases-sweep")
def sweep() -> None:
    case_sweep()
