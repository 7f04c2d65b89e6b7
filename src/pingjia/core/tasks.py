"""Background tasks of the system itself. Tasks take ids, call a service and are idempotent."""

from __future__ import annotations

import os
import socket
from typing import Any

from django.db import connection
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from pingjia.core.services import heartbeat_record

SCHEDULER_HEARTBEAT = "scheduler"


@db_periodic_task(crontab(minute="*"))
def heartbeat() -> None:
    heartbeat_record(name=SCHEDULER_HEARTBEAT)


@db_task()
def ping() -> dict[str, Any]:
    """Answers `pingjia check --queue`: proves that a worker takes tasks and reaches the
    database."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return {"host": socket.gethostname(), "pid": os.getpid(), "database": connection.vendor}
