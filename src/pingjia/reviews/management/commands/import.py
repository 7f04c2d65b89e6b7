from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from pingjia.accounts.models import Store, User
from pingjia.core.errors import ApplicationError
from pingjia.reviews.importing.formats import FORMATS
from pingjia.reviews.models import Channel, ImportRun
from pingjia.reviews.services import review_import

SHOWN_ERRORS = 20


class Command(BaseCommand):
    help = ("Import a file of reviews (CSV in UTF-8 or GBK, XLSX, XLS) exported from a channel. "
            "Re-importing the same or an overlapping file creates nothing twice; bad rows are "
            "reported with their row number and reason while the good ones are imported.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--channel", required=True, help="channel code, e.g. meituan")
        parser.add_argument("--store", help="store code for rows that name no store")
        parser.add_argument("--format", default="auto", choices=["auto", *FORMATS],
                            help="export format (default: recognised from the header row)")
        parser.add_argument("--dry-run", action="store_true",
                            help="read and check everything, change nothing")
        parser.add_argument("--json", action="store_true", help="print the result as JSON")
        parser.add_argument("--user", help="username recorded as the importer")

    def handle(self, *args: Any, **options: Any) -> None:
        channel = Channel.objects.filter(code=options["channel"]).first()
        if channel is None:
            known = ", ".join(Channel.objects.values_list("code", flat=True))
            raise CommandError(f"No channel {options['channel']!r} (known: {known}).")
        store = None
        if options["store"]:
            store = Store.objects.filter(code=options["store"]).first()
            if store is None:
                raise CommandError(f"No store {options['store']!r}.")
        actor = None
        if options["user"]:
            actor = User.objects.filter(username=options["user"]).first()
            if actor is None:
                raise CommandError(f"No user {options['user']!r}.")
        try:
            data = options["file"].read_bytes()
        except OSError as exc:
            raise CommandError(f"{options['file']}: {exc.strerror}.") from None
        try:
            run = review_import(actor=actor, data=data, file_name=options["file"].name,
                                channel=channel, default_store=store,
                                format_code=options["format"], dry_run=options["dry_run"])
        except ApplicationError as exc:
            raise CommandError(exc.message) from None
        if options["json"]:
            self.stdout.write(json.dumps(result(run), ensure_ascii=False, indent=2))
        else:
            self._report(run)
        if run.status == ImportRun.Status.REJECTED:
            raise CommandError(run.message)

    def _report(self, run: ImportRun) -> None:
        if run.status == ImportRun.Status.REJECTED:
            return
        prefix = "dry run, nothing changed: " if run.dry_run else ""
        self.stdout.write(
            f"{prefix}{run.file_name}: format {run.format}, {run.encoding}; {run.rows_read} rows "
            f"read, {run.created} created, {run.updated} updated, {run.duplicates} duplicates "
            f"skipped, {run.rejected} rejected.")
        for store in run.stores_created:
            self.stdout.write(f"  new store {store['code']} {store['name']}")
        for error in run.errors[:SHOWN_ERRORS]:
            self.stdout.write(f"  row {error['row']}: {error['reason']}")
        if run.rejected > SHOWN_ERRORS:
            self.stdout.write(f"  … and {run.rejected - SHOWN_ERRORS} more rejected rows "
                              "(--json lists them all).")


def result(run: ImportRun) -> dict[str, Any]:
    return {
        "id": run.pk, "file": run.file_name, "channel": run.channel.code,
        "status": run.status, "message": run.message, "dry_run": run.dry_run,
        "format": run.format, "encoding": run.encoding, "rows_read": run.rows_read,
        "created": run.created, "updated": run.updated, "duplicates": run.duplicates,
        "rejected": run.rejected, "errors": run.errors, "stores_created": run.stores_created,
    }
