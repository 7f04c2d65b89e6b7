"""A small month worked out by hand (March 2025), built through the real case services with
the clock set for each act. docs/kpis.md walks through the same numbers.

Department A (物流部, store 物流仓):
- A1: review of 2025-01-10, category 产品质量, rectified 2025-01-15 (sets up a repeat).
- A2: review of 2024-11-10, category 服务态度, rectified 2024-11-20 (too long ago to matter).
- A3: review of 03-05, 产品质量 — a repeat (49 days after A1 was rectified); plan deadline
  03-10 18:00, rectified 03-09 (on time, first pass), followed up 03-10: satisfied.
- A4: review of 03-06, 服务态度 — no repeat (106 days after A2); plan deadline 03-12 18:00,
  rejected once, rectified 03-14 (late), followed up 03-15: not satisfied, so a second round
  starts 03-15 (assigned, left there); escalated by the head 03-16.
Department B (餐饮部, store 徐家汇餐厅):
- B1: review of 02-20, 产品质量; plan deadline 03-03 18:00, reported in time but the audit
  approved it 03-04 (late, first pass), followed up 03-05: satisfied.
- B2: review of 03-20, 产品质量 — a repeat (16 days after B1); assigned 03-20, left there.
- B3: review of 03-25, assigned to B, cancelled 03-26 as a duplicate: counts nowhere.
- B4: review of 03-31 23:30 (Shanghai) without a category, assigned 04-01: a March review.
- B5: review of 04-01 00:10 (Shanghai): an April review.
Elsewhere: a 1-star review of 03-08 without a case (no department); the sweep of 03-31 12:00
marks A4's and B2's assigned stages overdue and escalates them once each.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.utils import timezone

from pingjia.analysis.models import Category
from pingjia.cases.models import Case
from pingjia.cases.services import case_act, case_open, case_sweep
from tests.conftest import Org
from tests.reviews.factories import make_review


def at(month: int, day: int, hour: int, minute: int = 0, year: int = 2025) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=ZoneInfo(settings.TIME_ZONE))


class Clock:
    """Sets what `timezone.now()` answers, so that the services stamp each act when the
    scenario says it happened."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.now = timezone.now()
        monkeypatch.setattr(timezone, "now", lambda: self.now)


class Scenario:
    def __init__(self, org: Org, clock: Clock) -> None:
        self.org, self.clock = org, clock
        self.quality = Category.objects.get(code="product_quality")
        self.attitude = Category.objects.get(code="service_attitude")

    def open(self, store: Any, written: datetime, category: Category | None) -> Case:
        review = make_review(store, reviewed_at=written)
        self.clock.now = written
        return case_open(actor=self.org["manager"], review_ids=[review.pk],
                         category=category).case

    def act(self, case: Case, persona: str, action: str, when: datetime,
            **data: Any) -> Case:
        self.clock.now = when
        return case_act(case_id=case.pk, actor=self.org[persona], action=action, data=data)

    def first_round(self, case: Case, department: str, day: tuple[int, int],
                    deadline: datetime, reported: datetime, approved: datetime,
                    year: int = 2025) -> Case:
        """Assign at 10:00, accept at 11:00 and plan at 12:00 on `day`; report, the
        department's approval an hour after the report, the audit's approval."""
        month, number = day
        head = f"head_{department}"
        handler = "handler_a" if department == "a" else "head_b"
        lead = self.org.dept_a if department == "a" else self.org.dept_b
        self.act(case, "manager", "assign", at(month, number, 10, year=year),
                 lead_department=lead.pk)
        self.act(case, head, "accept", at(month, number, 11, year=year),
                 handler=self.org[handler].pk)
        self.act(case, handler, "plan", at(month, number, 12, year=year),
                 measures="整改措施", goal="顾客满意", deadline=deadline)
        self.report(case, department, reported)
        return self.act(case, "manager", "approve", approved)

    def report(self, case: Case, department: str, when: datetime) -> None:
        handler = "handler_a" if department == "a" else "head_b"
        self.act(case, handler, "report", when, text="已整改")
        self.act(case, f"head_{department}", "dept_approve", when.replace(hour=when.hour + 1),
                 done="已整改", root_cause="流程缺失", result="问题解决", prevention="定期检查")

    def close(self, case: Case, informed: datetime, followed: datetime,
              verdict: str = "satisfied") -> Case:
        self.act(case, "manager", "inform", informed, channel="phone", text="已告知整改结果")
        return self.act(case, "manager", "follow_up", followed, verdict=verdict)


def build(org: Org, clock: Clock) -> Scenario:
    s = Scenario(org, clock)
    a, b = org.store_a, org.store_b

    a1 = s.open(a, at(1, 10, 9), s.quality)
    s.first_round(a1, "a", (1, 10), at(1, 20, 18), at(1, 14, 10), at(1, 15, 10))
    s.close(a1, at(1, 15, 11), at(1, 16, 10))
    a2 = s.open(a, at(11, 10, 9, year=2024), s.attitude)
    s.first_round(a2, "a", (11, 10), at(11, 25, 18, year=2024), at(11, 18, 10, year=2024),
                  at(11, 20, 10, year=2024), year=2024)
    s.close(a2, at(11, 20, 11, year=2024), at(11, 21, 10, year=2024))
    b1 = s.open(b, at(2, 20, 9), s.quality)
    s.first_round(b1, "b", (2, 20), at(3, 3, 18), at(3, 3, 10), at(3, 4, 10))
    s.close(b1, at(3, 4, 11), at(3, 5, 10))

    a3 = s.open(a, at(3, 5, 9), s.quality)
    s.first_round(a3, "a", (3, 5), at(3, 10, 18), at(3, 8, 10), at(3, 9, 10))
    s.close(a3, at(3, 9, 11), at(3, 10, 10))

    a4 = s.open(a, at(3, 6, 9), s.attitude)
    s.act(a4, "manager", "assign", at(3, 6, 10), lead_department=org.dept_a.pk)
    s.act(a4, "head_a", "accept", at(3, 6, 11), handler=org["handler_a"].pk)
    s.act(a4, "handler_a", "plan", at(3, 6, 12), measures="培训", goal="态度改善",
          deadline=at(3, 12, 18))
    s.report(a4, "a", at(3, 11, 10))
    s.act(a4, "manager", "reject", at(3, 11, 15), reason="没有证据", requirements="补充培训记录")
    s.report(a4, "a", at(3, 13, 10))
    s.act(a4, "manager", "approve", at(3, 14, 10))
    s.close(a4, at(3, 14, 11), at(3, 15, 10), verdict="not_satisfied")
    s.act(a4, "head_a", "escalate", at(3, 16, 10), reason="顾客再次投诉")

    b2 = s.open(b, at(3, 20, 9), s.quality)
    s.act(b2, "manager", "assign", at(3, 20, 10), lead_department=org.dept_b.pk)
    b3 = s.open(b, at(3, 25, 9), s.quality)
    s.act(b3, "manager", "assign", at(3, 25, 10), lead_department=org.dept_b.pk)
    s.act(b3, "manager", "cancel", at(3, 26, 10), reason_code="duplicate", note="重复投诉")
    make_review(a, reviewed_at=at(3, 8, 9))  # no case: no department

    clock.now = at(3, 31, 12)
    case_sweep(now=clock.now)

    b4 = s.open(b, at(3, 31, 23, 30), None)
    s.act(b4, "manager", "assign", at(4, 1, 9), lead_department=org.dept_b.pk)
    b5 = s.open(b, at(4, 1, 0, 10), s.quality)
    s.act(b5, "manager", "assign", at(4, 1, 9), lead_department=org.dept_b.pk)
    clock.now = at(4, 2, 9)
    return s
