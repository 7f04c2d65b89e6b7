"""Every page and every API operation has a row in a permission matrix."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, get_resolver

from pingjia.api.api import api
from tests.accounts.test_permissions import ROWS as ACCOUNT_ROWS
from tests.analysis.test_permissions import API_ROWS as ANALYSIS_API_ROWS
from tests.analysis.test_permissions import ROWS as ANALYSIS_ROWS
from tests.api.test_permissions import ROWS as API_ROWS
from tests.cases.test_permissions import API_ROWS as CASE_API_ROWS
from tests.cases.test_permissions import ROWS as CASE_ROWS
from tests.core.test_permissions import ROWS as CORE_ROWS
from tests.metrics.test_permissions import API_ROWS as METRICS_API_ROWS
from tests.metrics.test_permissions import ROWS as METRICS_ROWS
from tests.notifications.test_permissions import ROWS as NOTIFICATION_ROWS
from tests.reviews.test_permissions import ROWS as REVIEW_ROWS

# Namespaces covered otherwise: the admin by Django's own checks plus the admin:index row;
# the API by its OpenAPI operations below.
NOT_PAGES = {"admin", "api"}


def _page_names(resolver: URLResolver, namespace: str = "") -> set[str]:
    names = set()
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            if pattern.namespace not in NOT_PAGES:
                names |= _page_names(pattern, pattern.namespace or namespace)
        elif isinstance(pattern, URLPattern) and pattern.name:
            names.add(f"{namespace}:{pattern.name}" if namespace else pattern.name)
    return names


def test_every_page_has_a_permission_matrix_row() -> None:
    covered = {row.name for row in ACCOUNT_ROWS + CORE_ROWS + REVIEW_ROWS + CASE_ROWS
               + NOTIFICATION_ROWS + METRICS_ROWS
               + ANALYSIS_ROWS}
    missing = _page_names(get_resolver()) - covered
    assert not missing, f"pages without a permission-matrix row: {sorted(missing)}"


def test_every_api_operation_has_a_permission_matrix_row() -> None:
    schema = api.get_openapi_schema()
    operations = {f"{method.upper()} {path}" for path, methods in schema["paths"].items()
                  for method in methods}
    missing = operations - {row.name for row in API_ROWS + CASE_API_ROWS + METRICS_API_ROWS
                                                 + ANALYSIS_API_ROWS}
    assert not missing, f"API operations without a permission-matrix row: {sorted(missing)}"
