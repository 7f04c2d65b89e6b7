from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject
from django.utils.translation import gettext_lazy as _

import pingjia
from pingjia.accounts.models import Organisation


@dataclass(frozen=True)
class NavItem:
    url_name: str
    label: Any
    permission: str


NAVIGATION = [
    NavItem("home", _("Workbench"), ""),
    NavItem("case_list", _("Cases"), "cases.view_case"),
    NavItem("kpi_month", _("KPIs"), "cases.view_case"),
    NavItem("review_list", _("Reviews"), "reviews.view_review"),
    NavItem("issue_list", _("Recurring issues"), "reviews.view_review"),
    NavItem("model_list", _("Analysis models"), "analysis.view_textmodel"),
    NavItem("import_upload", _("Import"), "reviews.add_importrun"),
    NavItem("callback_list", _("Call-backs"), "reviews.add_callback"),
    NavItem("department_list", _("Departments"), "accounts.view_department"),
    NavItem("store_list", _("Stores"), "accounts.view_store"),
    NavItem("audit_list", _("Audit trail"), "accounts.view_auditentry"),
    NavItem("system_status", _("System status"), "core.view_heartbeat"),
]


def _navigation(request: HttpRequest) -> list[NavItem]:
    user = request.user
    if not user.is_authenticated:
        return []
    return [item for item in NAVIGATION if not item.permission or user.has_perm(item.permission)]


def layout(request: HttpRequest) -> dict[str, Any]:
    return {
        "pingjia_version": pingjia.__version__,
        "organisation": SimpleLazyObject(Organisation.current),
        "navigation": SimpleLazyObject(lambda: _navigation(request)),
    }
