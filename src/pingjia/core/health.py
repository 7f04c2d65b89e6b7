"""What `pingjia check` reports: the configuration in force and whether each part answers."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal
from urllib.parse import urlsplit, urlunsplit

from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError, connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from pingjia.core import crypto
from pingjia.core.models import Heartbeat

Status = Literal["ok", "warning", "error"]
# The scheduler beats every minute; three missed beats mean nothing periodic runs.
HEARTBEAT_STALE = timedelta(minutes=3)


@dataclass(frozen=True)
class Finding:
    name: str
    status: Status
    detail: str

    @property
    def label(self) -> str:
        return str(PART_LABELS.get(self.name, self.name))

    @property
    def status_label(self) -> str:
        return str(STATUS_LABELS[self.status])


PART_LABELS = {
    "settings": _("Settings"), "database": _("Database"), "queue": _("Task queue"),
    "cache": _("Cache"), "personal-data keys": _("Personal-data keys"), "mail": _("Mail"),
    "scheduler": _("Scheduler"), "worker": _("Worker"), "calendar": _("Working calendar"),
}
STATUS_LABELS = {"ok": _("OK"), "warning": _("Warning"), "error": _("Failed")}


def redact(url: str) -> str:
    parts = urlsplit(url)
    if parts.password:
        netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
        return urlunsplit(parts._replace(netloc=netloc))
    return url


def database_finding(*, migrations: bool = True) -> Finding:
    """Whether the database answers and, unless `migrations` is False (the health endpoint,
    probed every few seconds), whether every migration is applied."""
    db = settings.DATABASES["default"]
    where = f"{connection.vendor} {db.get('HOST') or ''} {db['NAME']}".replace("  ", " ")
    pending = []
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        if migrations:
            executor = MigrationExecutor(connection)
            pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
    except DatabaseError as exc:
        return Finding("database", "error", f"{where}: {exc}")
    if pending:
        return Finding("database", "error",
                       f"{where}: {len(pending)} migrations not applied (run `pingjia migrate`)")
    return Finding("database", "ok", where)


def queue_finding() -> Finding:
    if settings.REDIS_URL:
        import redis

        where = f"Redis {redact(settings.REDIS_URL)}, queue {settings.QUEUE_NAME}"
        try:
            redis.Redis.from_url(settings.REDIS_URL, socket_timeout=3).ping()
        except redis.RedisError as exc:
            return Finding("queue", "error", f"{where}: {exc}")
        return Finding("queue", "ok", where)
    path = settings.HUEY.get("filename")
    if path is None:
        return Finding("queue", "ok", f"{settings.HUEY['huey_class']} (in this process)")
    folder = os.path.dirname(path)
    if not os.access(folder, os.W_OK):
        return Finding("queue", "error", f"SQLite {path}: folder not writable")
    return Finding("queue", "ok", f"SQLite {path}, queue {settings.QUEUE_NAME}")


def cache_finding() -> Finding:
    backend = settings.CACHES["default"]["BACKEND"].rsplit(".", 1)[-1]
    try:
        cache.set("pingjia:check", "ok", 10)
        answered = cache.get("pingjia:check")
    except Exception as exc:  # any backend failure is a finding, not a crash
        return Finding("cache", "error", f"{backend}: {exc}")
    if answered != "ok":
        return Finding("cache", "error", f"{backend}: a value written was not read back")
    return Finding("cache", "ok", backend)


def keys_finding() -> Finding:
    try:
        token = crypto.encrypt("check")
        crypto.decrypt(token)
        crypto.lookup_hash("check", "text")
    except Exception as exc:  # a bad key is reported with its reason
        return Finding("personal-data keys", "error", str(exc))
    count = len(settings.PINGJIA_FIELD_KEYS)
    return Finding("personal-data keys", "ok", f"{count} encryption key(s), lookup key set")


def mail_finding() -> Finding:
    backend = settings.EMAIL_BACKEND.rsplit(".", 2)[-2]
    if backend == "console":
        return Finding("mail", "warning", "printed to the console (set PINGJIA_EMAIL_URL)")
    if backend == "smtp":
        return Finding("mail", "ok", f"SMTP {settings.EMAIL_HOST}:{settings.EMAIL_PORT}")
    return Finding("mail", "ok", backend)


def scheduler_finding() -> Finding:
    from pingjia.core.tasks import SCHEDULER_HEARTBEAT

    try:
        beat = Heartbeat.objects.filter(name=SCHEDULER_HEARTBEAT).first()
    except DatabaseError as exc:
        return Finding("scheduler", "error", str(exc))
    if beat is None:
        return Finding("scheduler", "warning",
                       "no heartbeat yet: is a worker running (`pingjia worker`)?")
    age = timezone.now() - beat.beat_at
    detail = f"last beat {int(age.total_seconds())} s ago on {beat.host} (pid {beat.pid})"
    if age > HEARTBEAT_STALE:
        return Finding("scheduler", "warning", detail + ": no worker runs the scheduler")
    return Finding("scheduler", "ok", detail)


def settings_finding() -> Finding:
    mode = "embedded (SQLite)" if settings.EMBEDDED else "server"
    return Finding("settings", "ok",
                   f"{mode}; data {settings.DATA_DIR}; language {settings.LANGUAGE_CODE}; "
                   f"time zone {settings.TIME_ZONE}; debug {'on' if settings.DEBUG else 'off'}")


def calendar_finding(today: date | None = None) -> Finding:
    """Whether the holiday data covers this year and the next; where it does not, deadlines
    count Monday to Friday until holidays are entered as calendar days."""
    from pingjia.cases.models import CalendarDay, CaseSettings
    from pingjia.cases.sla import working_calendar

    try:
        calendar = working_calendar(CaseSettings.current(), list(CalendarDay.objects.all()))
    except DatabaseError as exc:
        return Finding("calendar", "error", str(exc))
    today = today or timezone.localdate()
    unknown = sorted(calendar.unknown_years(today, today + timedelta(days=366)))
    if unknown:
        years = ", ".join(map(str, unknown))
        return Finding("calendar", "warning",
                       f"public holidays of {years} are not known to the installed "
                       "chinesecalendar: Monday to Friday stands in; enter the holidays and "
                       "make-up days as calendar days, or update the package")
    return Finding("calendar", "ok", "public holidays known for this year and the next")


def queue_round_trip(timeout: float) -> Finding:
    """Send a task and wait for a worker's answer."""
    from huey.exceptions import HueyException

    from pingjia.core.tasks import ping

    try:
        answer = ping().get(blocking=True, timeout=timeout)
    except HueyException as exc:
        return Finding("worker", "error",
                       f"no answer in {timeout:g} s ({type(exc).__name__}): is a worker running?")
    return Finding("worker", "ok",
                   f"answered from {answer['host']} (pid {answer['pid']}, {answer['database']})")


def report(*, queue_timeout: float | None = None) -> list[Finding]:
    findings = [settings_finding(), database_finding(), queue_finding(), cache_finding(),
                keys_finding(), mail_finding(), scheduler_finding(), calendar_finding()]
    if queue_timeout is not None:
        findings.append(queue_round_trip(queue_timeout))
    return findings
