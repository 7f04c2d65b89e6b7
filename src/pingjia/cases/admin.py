from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from pingjia.accounts.admin import AuditedAdmin
from pingjia.cases.models import CalendarDay, CaseSettings, RoutingRule, StageLimit


@admin.register(CaseSettings)
class CaseSettingsAdmin(AuditedAdmin):
    """One row: the organisation's case rules."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return not CaseSettings.objects.exists() and super().has_add_permission(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(StageLimit)
class StageLimitAdmin(AuditedAdmin):
    list_display = ["state", "category", "priority", "hours", "clock"]
    list_filter = ["state", "clock", "category"]


@admin.register(RoutingRule)
class RoutingRuleAdmin(AuditedAdmin):
    list_display = ["category", "store", "lead_department", "sort_order"]
    list_editable = ["sort_order"]
    list_filter = ["category", "lead_department"]
    filter_horizontal = ["co_departments"]


@admin.register(CalendarDay)
class CalendarDayAdmin(AuditedAdmin):
    list_display = ["date", "working", "hours", "note"]
    list_filter = ["working"]
    date_hierarchy = "date"
