"""API endpoint for the department KPIs of a month (definitions: docs/kpis.md)."""

from __future__ import annotations

from datetime import date

from django.http import HttpRequest
from ninja import Field, Router, Schema

from pingjia.accounts.access import require_permission
from pingjia.accounts.models import TokenScope
from pingjia.api.auth import caller
from pingjia.metrics import selectors
from pingjia.metrics.selectors import DepartmentKpi, Ratio

router = Router(tags=["metrics"])


class RatioOut(Schema):
    numerator: int
    denominator: int
    rate: float | None = Field(description="numerator / denominator; null when nothing was "
                                           "counted.")
    target: float | None = Field(description="The organisation's target, if the KPI has one.")
    target_is_ceiling: bool = Field(description="True: the rate should stay at or below the "
                                                "target (repeat negative rate).")
    meets_target: bool | None


class StageTimeOut(Schema):
    state: str
    count: int = Field(description="Stages of this state that ended in the month.")
    average_hours: float | None
    p90_hours: float | None


class DepartmentRef(Schema):
    id: int
    name: str


class DepartmentKpiOut(Schema):
    department: DepartmentRef | None = Field(description="null in the totals row.")
    negative_reviews: int
    on_time_rectification: RatioOut = Field(description="整改及时率")
    customer_satisfaction: RatioOut = Field(description="客户满意度")
    repeat_negative: RatioOut = Field(description="重复差评率")
    first_pass_approval: RatioOut
    second_round_share: RatioOut
    overdue_stages: RatioOut
    rejections: int
    escalations: int
    meets_targets: bool | None
    stage_times: list[StageTimeOut]


class KpiReportOut(Schema):
    month: str = Field(description="YYYY-MM")
    departments: list[DepartmentKpiOut]
    total: DepartmentKpiOut


def _ratio(ratio: Ratio) -> RatioOut:
    return RatioOut(numerator=ratio.numerator, denominator=ratio.denominator,
                    rate=ratio.rate, target=ratio.target, target_is_ceiling=ratio.at_most,
                    meets_target=ratio.meets_target)


def _row(row: DepartmentKpi) -> DepartmentKpiOut:
    department = row.department
    return DepartmentKpiOut(
        department=DepartmentRef(id=department.pk, name=department.name)
        if department is not None else None,
        negative_reviews=row.negative_reviews,
        on_time_rectification=_ratio(row.on_time),
        customer_satisfaction=_ratio(row.satisfaction),
        repeat_negative=_ratio(row.repeat),
        first_pass_approval=_ratio(row.first_pass),
        second_round_share=_ratio(row.second_round),
        overdue_stages=_ratio(row.overdue_stages),
        rejections=row.rejections, escalations=row.escalations,
        meets_targets=row.meets_targets,
        stage_times=[StageTimeOut(state=t.state.value, count=t.count,
                                  average_hours=t.average_hours, p90_hours=t.p90_hours)
                     for t in row.stage_times])


def kpi_report(month: date, rows: list[DepartmentKpi]) -> KpiReportOut:
    """The report as the API answers it; `pingjia kpi --json` prints the same."""
    return KpiReportOut(month=f"{month:%Y-%m}", departments=[_row(r) for r in rows[:-1]],
                        total=_row(rows[-1]))


@router.get("/metrics/departments", response=KpiReportOut,
            summary="KPIs of a month per lead department, with the totals")
def department_kpis(request: HttpRequest, month: str = "") -> KpiReportOut:
    """`month` is YYYY-MM (default: the current month). Each rate comes with its numerator,
    denominator and target; department heads and handlers get their departments only."""
    user = caller(request, TokenScope.METRICS_READ)
    require_permission(user, "cases.view_case")
    first_day = selectors.kpi_month(month)
    return kpi_report(first_day, selectors.department_kpis(month=first_day, user=user))
