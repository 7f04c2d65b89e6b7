"""The KPI page: each department's figures of a month against the organisation's targets."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from pingjia.accounts.access import require_permission
from pingjia.accounts.models import User
from pingjia.accounts.views import is_htmx
from pingjia.core.errors import ApplicationError
from pingjia.metrics import selectors
from pingjia.metrics.months import next_month, previous_month


@require_GET
def kpi_month(request: HttpRequest) -> HttpResponse:
    user = request.user
    assert isinstance(user, User)
    require_permission(user, "cases.view_case")
    error = ""
    try:
        month = selectors.kpi_month(request.GET.get("month"))
    except ApplicationError as exc:
        error, month = exc.message, selectors.kpi_month(None)
    rows = selectors.department_kpis(month=month, user=user)
    context = {
        "month": month, "previous": previous_month(month), "next": next_month(month),
        "departments": rows[:-1], "total": rows[-1], "error": error,
        "stages": selectors.STAGES,
    }
    template = "metrics/kpi_month.html" + ("#report" if is_htmx(request) else "")
    return render(request, template, context)
