from __future__ import annotations

from typing import Any

from django.core.management.base import CommandError, CommandParser
from django.core.management.commands.check import Command as DjangoCheck

from pingjia.core import health

MARKS = {"ok": "OK  ", "warning": "WARN", "error": "FAIL"}


class Command(DjangoCheck):
    help = ("Django's system checks, then Pingjia's report: settings in force, and whether the "
            "database, queue, cache, personal-data keys and scheduler answer. --queue also sends "
            "a task and waits for a worker's answer. Exits non-zero when something fails.")

    def add_arguments(self, parser: CommandParser) -> None:
        super().add_arguments(parser)
        parser.add_argument("--queue", action="store_true",
                            help="send a task through the queue and wait for a worker")
        parser.add_argument("--queue-timeout", type=float, default=15.0, metavar="SECONDS")

    def handle(self, *app_labels: Any, **options: Any) -> None:
        super().handle(*app_labels, **options)
        findings = health.report(
            queue_timeout=options["queue_timeout"] if options["queue"] else None)
        for finding in findings:
            line = f"{MARKS[finding.status]}  {finding.name:<20} {finding.detail}"
            style = {"ok": self.style.SUCCESS, "warning": self.style.WARNING,
                     "error": self.style.ERROR}[finding.status]
            self.stdout.write(style(line))
        failed = [f.name for f in findings if f.status == "error"]
        if failed:
            raise CommandError(f"{len(failed)} part(s) failed: {', '.join(failed)}")
