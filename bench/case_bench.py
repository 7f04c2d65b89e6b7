"""Cases at scale: REVIEWS reviews (default 1,000,000, as in list_bench.py) and CASES cases
(default 200,000) in every state, with their rounds, stage records and timelines, written
straight into a scratch database. Then, through Django's test client (no network), the p50/p95
of the workbench, the work queues and the case page for a department head and the review
manager; the KPI report of one month for all departments; and the SLA sweep over all open
cases (seconds and queries).

    .venv/bin/python bench/case_bench.py [REVIEWS] [CASES]

Targets (issue 5): pages p95 ≤ 150 ms, KPI ≤ 1 s, sweep ≤ 10 s with constant queries per batch.
"""

from __future__ import annotations

import os
import random
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime
from typing import Any

from harness import setup_django
from list_bench import fill as fill_reviews
from list_bench import fill_analyses

HOUR = 3600.0
DAY = 24 * HOUR
REQUESTS = 30
# Stage limits in hours as the bench lays them out (calendar hours, close to the defaults).
LIMITS = {"registered": 4, "assigned": 4, "accepted": 8, "in_progress": 72,
          "dept_review": 8, "audit": 8, "rectified": 24, "follow_up": 72}
# How long a stage usually takes, in hours: (low, high) of a uniform draw.
TAKES = {"registered": (0.2, 6), "assigned": (0.5, 6), "accepted": (1, 12),
         "in_progress": (12, 96), "dept_review": (0.5, 12), "audit": (0.5, 12),
         "rectified": (1, 30), "follow_up": (6, 96)}
# The action that leaves each state on the usual path, and who takes it.
LEAVE = {"registered": ("assign", "manager"), "assigned": ("accept", "head"),
         "accepted": ("plan", "handler"), "in_progress": ("report", "handler"),
         "dept_review": ("dept_approve", "head"), "audit": ("approve", "manager"),
         "rectified": ("inform", "manager"), "follow_up": ("follow_up", "manager")}
PATH = ["registered", "assigned", "accepted", "in_progress", "dept_review", "audit",
        "rectified", "follow_up"]
TITLES = ["试衣间灯光太暗", "快递三天没到", "客服态度差", "菜品分量少", "退货一直没处理",
          "屏幕有坏点", "包装破损", "排队太久"]
DEPARTMENT_STAGES = {"assigned", "accepted", "in_progress", "dept_review"}


class Writer:
    """Rows straight into the tables with executemany, as the import benchmark does:
    Django's bulk_create is an order of magnitude slower at these sizes."""

    def __init__(self) -> None:
        from django.db import connection

        self.connection = connection
        self.postgres = connection.vendor == "postgresql"
        self.rows: dict[Any, tuple[list[str], list[tuple[Any, ...]]]] = {}

    def stamp(self, seconds: float | None) -> Any:
        if seconds is None:
            return None
        moment = datetime.fromtimestamp(seconds, UTC)
        # SQLite keeps naive UTC text, the format Django itself writes.
        return moment if self.postgres else moment.replace(tzinfo=None).isoformat(" ")

    def json(self, model: Any, field: str, value: Any) -> Any:
        return model._meta.get_field(field).get_db_prep_save(value, self.connection)

    def add(self, model: Any, columns: list[str], row: tuple[Any, ...]) -> None:
        rows = self.rows.setdefault(model, (columns, []))[1]
        rows.append(row)
        if len(rows) >= 50_000:
            self.flush()

    def flush(self) -> None:
        """Write every table's rows, in the order the tables were first seen, so that rows
        reach the database after the rows they refer to."""
        from django.db import transaction

        quote = self.connection.ops.quote_name
        with transaction.atomic(), self.connection.cursor() as cursor:
            for model, (columns, rows) in self.rows.items():
                if not rows:
                    continue
                names = ", ".join(quote(model._meta.get_field(c).column) for c in columns)
                cursor.executemany(
                    f"INSERT INTO {quote(model._meta.db_table)} ({names}) "  # noqa: S608
                    f"VALUES ({', '.join(['%s'] * len(columns))})", rows)
                rows.clear()


def fill_cases(total: int) -> None:
    """`total` cases for negative reviews across the past year. Each case walks the workflow
    from its review's time with random stage durations (some rejections, some second rounds,
    some cancellations), and stops where `now` finds it: old cases are mostly closed, recent
    ones open in every state; some are stuck in a stage long past its deadline (overdue, some
    of them already marked and escalated, others left for the sweep), some wait for the
    customer."""
    from django.db import connection
    from django.utils import timezone

    from pingjia.accounts.models import Department, Membership, Store, User
    from pingjia.accounts.roles import Role
    from pingjia.analysis.models import Category
    from pingjia.cases.models import Case, CaseEvent, CasePause, CaseRound, CaseStage
    from pingjia.metrics.selectors import _Epoch
    from pingjia.reviews.models import Review

    rng = random.Random(5)  # noqa: S311 (repeatable test data)
    now = timezone.now().timestamp()
    write = Writer()
    store_department = dict(Store.objects.values_list("pk", "department_id"))
    heads = {m.department_id: m.user_id for m in Membership.objects.filter(
        role=Role.DEPARTMENT_HEAD)}
    handlers = {m.department_id: m.user_id for m in Membership.objects.filter(
        role=Role.HANDLER)}
    business = sorted(heads)
    manager = User.objects.get(username="manager").pk
    categories = list(Category.objects.active().values_list("pk", flat=True))
    department_names = dict(Department.objects.values_list("pk", "name"))
    empty_changes = write.json(CaseEvent, "changes", {})
    reviews = list(Review.objects.filter(rating__lte=2).order_by("pk").values_list(
        "pk", "store_id", _Epoch("reviewed_at"))[:total])
    print(f"{len(reviews):,} negative reviews for {total:,} cases")
    started = time.perf_counter()
    case_columns = ["id", "title", "source", "state", "round", "version", "category",
                    "priority", "store", "proposed_department", "lead_department", "handler",
                    "opened_at", "opened_by", "stage_entered_at", "stage_due_at",
                    "stage_risk_at", "stage_status", "paused_since", "escalation_level",
                    "cancel_reason", "closed_at"]
    round_columns = ["case", "number", "department", "store", "category", "started_at",
                     "plan_measures", "plan_deadline",
                     "plan_goal", "planned_at", "report_text", "report_evidence",
                     "reported_at", "feedback_done", "feedback_root_cause", "feedback_result",
                     "feedback_prevention", "dept_approved_at", "rejections",
                     "rectify_due_at", "rectified_at", "rectified_on_time", "informed_at",
                     "inform_channel", "inform_text", "followed_up_at", "verdict"]
    stage_columns = ["case", "round", "state", "department", "entered_at", "left_at",
                     "due_at", "overdue"]
    event_columns = ["case", "round", "at", "actor", "kind", "state_before", "state_after",
                     "changes", "note"]
    through = Case.reviews.through
    for number, (review_id, store, reviewed) in enumerate(reviews, start=1):
        department = store_department.get(store)
        lead = department if department in heads and rng.random() < 0.8 \
            else rng.choice(business)
        head, handler = heads[lead], handlers.get(lead, heads[lead])
        who = {"manager": manager, "head": head, "handler": handler}
        category = rng.choice(categories) if rng.random() < 0.9 else None
        opened = reviewed + rng.uniform(0.2, 4) * HOUR
        stuck = rng.random() < 0.05  # stays in one stage, far past its deadline
        stuck_in = rng.choice(PATH) if stuck else ""
        cancel_in = rng.choice(PATH[:5]) if rng.random() < 0.03 else ""
        case: dict[str, Any] = {"round": 1, "state": "registered", "escalation": 0,
                                "closed": None, "cancel": "", "handler": None, "lead": None,
                                "paused": None}
        events: list[tuple[Any, ...]] = []
        stages: list[list[Any]] = []
        rounds: list[dict[str, Any]] = [{"number": 1, "started_at": opened, "rejections": 0}]
        events.append((1, opened, manager, "opened", "", "registered"))
        at, state = opened, "registered"
        entered, due = opened, opened + LIMITS["registered"] * HOUR
        while True:
            stage_department = case["lead"] if state in DEPARTMENT_STAGES else None
            stage = [case["round"], state, stage_department, entered, None, due, False]
            stages.append(stage)
            low, high = TAKES[state]
            leave = entered + rng.uniform(low, high) * HOUR
            if state == stuck_in:
                leave = now + DAY
            if leave >= now:
                break  # the case is in this stage now
            stage[4] = leave
            stage[6] = leave > due
            current = rounds[-1]
            if state == cancel_in:
                events.append((case["round"], leave, manager, "cancel", state, "cancelled"))
                case.update(state="cancelled", closed=leave,
                            cancel=rng.choice(["duplicate", "malicious", "withdrawn"]))
                break
            action, actor = LEAVE[state]
            following = PATH[PATH.index(state) + 1] if state != "follow_up" else "closed"
            if state == "registered":
                case["lead"] = current["department"] = lead
            elif state == "assigned":
                case["handler"] = handler
            elif state == "accepted":
                current["plan_deadline"] = current["rectify_due_at"] = leave + LIMITS[
                    "in_progress"] * HOUR
                current["planned_at"] = leave
            elif state == "in_progress":
                current["reported_at"] = leave
            elif state == "dept_review":
                current["dept_approved_at"] = leave
            elif state == "audit":
                if current["rejections"] == 0 and rng.random() < 0.12:
                    action, following = "reject", "in_progress"
                    current["rejections"] += 1
                else:
                    current["rectified_at"] = leave
            elif state == "rectified":
                current["informed_at"] = leave
            elif state == "follow_up":
                current["followed_up_at"] = leave
                satisfied = case["round"] > 1 or rng.random() < 0.88
                current["verdict"] = "satisfied" if satisfied else "not_satisfied"
                if not satisfied:
                    following = "assigned"
                    case["round"] += 1
                    rounds.append({"number": case["round"], "started_at": leave,
                                   "department": case["lead"], "rejections": 0})
            events.append((stage[0], leave, who[actor], action, state, following))
            if following == "closed":
                case.update(state="closed", closed=leave)
                break
            state, entered = following, leave
            if state == "in_progress" and "rectify_due_at" in rounds[-1]:
                due = rounds[-1]["rectify_due_at"]
            else:
                due = entered + LIMITS[state] * HOUR
        case_state = case["state"]
        status, risk, stage_due, entered_at, paused = "none", None, None, at, None
        if case_state not in ("closed", "cancelled"):
            case_state = stages[-1][1]
            entered_at, stage_due = stages[-1][3], stages[-1][5]
            risk = entered_at + 0.8 * (stage_due - entered_at)
            status = "on_time"
            if now >= stage_due and rng.random() < 0.5:
                # Marked by an earlier sweep, and escalated; the rest is left to the sweep.
                status, stages[-1][6] = "overdue", True
                case["escalation"] = 1 if rng.random() < 0.7 else 2
                for level in range(case["escalation"]):
                    events.append((case["round"], stage_due + level * HOUR, None,
                                   "auto_escalated", "", ""))
            elif rng.random() < 0.04:
                paused = min(now - HOUR, entered_at + HOUR)
                status, stage_due, risk = "paused", None, None
            if rng.random() < 0.05 and case_state != "registered":
                events.append((case["round"], min(now, entered_at + HOUR), head, "escalate",
                               "", ""))
        else:
            entered_at = stages[-1][4] or stages[-1][3]
        write.add(Case, case_columns, (
            number, TITLES[number % len(TITLES)], "automatic", case_state, case["round"],
            len(events), category, "normal", store, department, case["lead"],
            case["handler"], write.stamp(opened), None, write.stamp(entered_at),
            write.stamp(stage_due), write.stamp(risk), status, write.stamp(paused),
            case["escalation"], case["cancel"], write.stamp(case["closed"])))
        write.add(through, ["case", "review"], (number, review_id))
        for r in rounds:
            planned = "plan_deadline" in r
            on_time = (r["rectified_at"] <= r["rectify_due_at"]) if "rectified_at" in r \
                else None
            write.add(CaseRound, round_columns, (
                number, r["number"], r.get("department"), store, category,
            write.stamp(r["started_at"]),
                "更换灯具" if planned else "", write.stamp(r.get("plan_deadline")),
                "照度达标" if planned else "", write.stamp(r.get("planned_at")),
                "已整改" if "reported_at" in r else "", "", write.stamp(r.get("reported_at")),
                "", "", "", "", write.stamp(r.get("dept_approved_at")), r["rejections"],
                write.stamp(r.get("rectify_due_at")), write.stamp(r.get("rectified_at")),
                on_time, write.stamp(r.get("informed_at")),
                "phone" if "informed_at" in r else "", "", write.stamp(r.get("followed_up_at")),
                r.get("verdict", "")))
        for round_, state, held_by, entered_s, left, due_s, overdue in stages:
            write.add(CaseStage, stage_columns, (
                number, round_, state, held_by, write.stamp(entered_s), write.stamp(left),
                write.stamp(due_s), overdue))
        if paused is not None:
            write.add(CasePause, ["case", "started_at", "ended_at", "reason"],
                      (number, write.stamp(paused), None, "等待顾客提供照片"))
        for round_, moment, actor_id, kind, before, after in events:
            write.add(CaseEvent, event_columns, (
                number, round_, write.stamp(moment), actor_id, kind, before, after,
                empty_changes, ""))
        if number % 20_000 == 0:
            print(f"  {number:,} cases ({time.perf_counter() - started:.0f} s)")
    write.flush()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT setval(pg_get_serial_sequence(%s, 'id'), %s)",
                           [Case._meta.db_table, len(reviews)])
    counts = {model.__name__: model.objects.count()
              for model in (Case, CaseRound, CaseStage, CaseEvent)}
    print(f"filled {counts} in {time.perf_counter() - started:.0f} s ({connection.vendor}); "
          f"lead departments: {', '.join(department_names[d] for d in business)}")


def percentiles(timings: Sequence[float]) -> tuple[float, float]:
    ordered = sorted(timings)
    return statistics.median(ordered), ordered[max(0, round(len(ordered) * 0.95) - 1)]


def measure_pages(client: Any, label: str, urls: Sequence[str]) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    timings, queries = [], []
    for url in urls:
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            response = client.get(url)
            timings.append((time.perf_counter() - started) * 1000)
        queries.append(len(captured.captured_queries))
        assert response.status_code == 200, (url, response.status_code)
    p50, p95 = percentiles(timings)
    print(f"{label:<44} p50 {p50:7.1f} ms   p95 {p95:7.1f} ms   "
          f"({len(timings)} requests, {max(queries)} queries)")


def measure_call(label: str, call: Callable[[], object], repeat: int) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    timings = []
    for _ in range(repeat + 1):
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            call()
            timings.append(time.perf_counter() - started)
    # The first call reads what the pages before it pushed out of the caches: a report
    # opened once a month meets that; the others show the steady state.
    first, timings = timings[0], timings[1:]
    p50, p95 = percentiles(timings)
    print(f"{label:<44} p50 {p50:7.3f} s    p95 {p95:7.3f} s    "
          f"({repeat} runs after a first of {first:.3f} s, "
          f"{len(captured.captured_queries)} queries)")


def main() -> None:
    reviews = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    cases = int(sys.argv[2]) if len(sys.argv) > 2 else 200_000
    os.environ.setdefault("PINGJIA_ALLOWED_HOSTS", "testserver")  # Django's test client
    setup_django()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    call_command("collectstatic", interactive=False, verbosity=0)  # pages link hashed names

    from pingjia.accounts.models import User
    from pingjia.cases.models import Case
    from pingjia.cases.services import case_sweep
    from pingjia.cases.workflow import OPEN
    from pingjia.metrics.months import previous_month
    from pingjia.metrics.selectors import department_kpis
    from pingjia.reviews.models import Review

    if not Review.objects.exists():
        fill_reviews(reviews)
        fill_analyses()  # the workbench counts hidden complaints
    if not Case.objects.exists():
        fill_cases(cases)
        if connection.vendor == "postgresql":
            # What autovacuum does soon after a bulk load in production: without statistics
            # PostgreSQL misjudges the KPI queries (1.9 s instead of 1.2 s) and compiles them.
            with connection.cursor() as cursor:
                cursor.execute("VACUUM ANALYZE")
    open_cases = Case.objects.filter(state__in=OPEN).count()
    print(f"{Case.objects.count():,} cases, {open_cases:,} open, "
          f"{Case.objects.overdue().count():,} marked overdue")

    rng = random.Random(9)  # noqa: S311 (repeatable sample)
    sample = list(Case.objects.order_by("pk").values_list("pk", flat=True)[::997])
    for username, label in [("store_head", "department head"), ("manager", "review manager")]:
        client = Client()
        client.force_login(User.objects.get(username=username))
        client.get("/cases/?queue=mine")  # warm up
        measure_pages(client, f"/ workbench ({label})", ["/"] * REQUESTS)
        for queue in ("mine", "overdue"):
            measure_pages(client, f"/cases/?queue={queue} ({label})",
                          [f"/cases/?queue={queue}"] * REQUESTS)
        visible = list(Case.objects.visible_to(User.objects.get(username=username)).filter(
            pk__in=sample).values_list("pk", flat=True))
        measure_pages(client, f"/cases/<id>/ ({label})",
                      [f"/cases/{rng.choice(visible)}/" for _ in range(REQUESTS)])

    manager = User.objects.get(username="manager")
    month = previous_month(date.today().replace(day=1))
    measure_call(f"KPIs {month:%Y-%m}, all departments",
                 lambda: department_kpis(month=month, user=manager), repeat=7)
    rows = department_kpis(month=month, user=manager)
    total = rows[-1]
    print(f"  {len(rows) - 1} departments; totals: {total.negative_reviews} negative reviews, "
          f"on time {total.on_time.numerator}/{total.on_time.denominator}, satisfied "
          f"{total.satisfaction.numerator}/{total.satisfaction.denominator}, repeats "
          f"{total.repeat.numerator}/{total.repeat.denominator}")

    for run in ("first", "second"):
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            counts = case_sweep(now=timezone.now())
            seconds = time.perf_counter() - started
        queries = len(captured.captured_queries)
        changed = sum(counts.values())
        print(f"SLA sweep, {run} run over {open_cases:,} open cases: {seconds:6.2f} s, "
              f"{queries} queries, {counts}"
              + (f", {queries / max(1, changed / 1000):.1f} queries per 1,000 changed"
                 if changed else ""))


if __name__ == "__main__":
    main()
