from __future__ import annotations

import json
import unicodedata
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from pingjia.accounts.models import User
from pingjia.core.errors import ApplicationError
from pingjia.metrics import selectors
from pingjia.metrics.api import kpi_report
from pingjia.metrics.selectors import DepartmentKpi, Ratio

COLUMNS = ["department", "negative", "on time", "satisfied", "repeat", "first pass",
           "2nd round", "overdue stages", "rejections", "escalations"]


def _width(text: str) -> int:
    """Columns a terminal gives the text: Chinese characters take two."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _pad(text: str, width: int, *, right: bool = False) -> str:
    gap = " " * max(0, width - _width(text))
    return gap + text if right else text + gap


def _ratio(ratio: Ratio) -> str:
    if ratio.rate is None:
        return "—"
    mark = {True: " ✓", False: " ✗", None: ""}[ratio.meets_target]
    return f"{ratio.rate:.1%} ({ratio.numerator}/{ratio.denominator}){mark}"


def _cells(row: DepartmentKpi) -> list[str]:
    name = row.department.name if row.department is not None else "total"
    return [name, str(row.negative_reviews), _ratio(row.on_time), _ratio(row.satisfaction),
            _ratio(row.repeat), _ratio(row.first_pass), _ratio(row.second_round),
            _ratio(row.overdue_stages), str(row.rejections), str(row.escalations)]


class Command(BaseCommand):
    help = ("The department KPIs of a month (docs/kpis.md): a table for people, or --json "
            "(the same document as GET /api/v1/metrics/departments).")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--month", default="", help="YYYY-MM (default: this month)")
        parser.add_argument("--json", action="store_true", help="print JSON")
        parser.add_argument("--user", default="",
                            help="only the departments this user sees (default: all)")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            month = selectors.kpi_month(options["month"])
        except ApplicationError as exc:
            raise CommandError(exc.message) from None
        user = None
        if options["user"]:
            user = User.objects.filter(username=options["user"]).first()
            if user is None:
                raise CommandError(f"No user {options['user']!r}.")
        rows = selectors.department_kpis(month=month, user=user)
        if options["json"]:
            self.stdout.write(json.dumps(kpi_report(month, rows).model_dump(mode="json"),
                                         ensure_ascii=False, indent=2))
            return
        self.stdout.write(f"KPIs {month:%Y-%m}   (✓ meets the target, ✗ misses it)")
        table = [COLUMNS, *(_cells(row) for row in rows)]
        widths = [max(_width(line[i]) for line in table) for i in range(len(COLUMNS))]
        for number, line in enumerate(table):
            if number == len(table) - 1:
                self.stdout.write("  ".join("-" * w for w in widths))
            self.stdout.write("  ".join(_pad(cell, widths[i], right=i > 0)
                                        for i, cell in enumerate(line)).rstrip())
        total = rows[-1]
        times = ", ".join(f"{t.state.label} {t.average_hours:.1f}/{t.p90_hours:.1f} h"
                          for t in total.stage_times if t.average_hours is not None
                          and t.p90_hours is not None)
        self.stdout.write(f"stage times, average/p90: {times or '—'}")
