"""The REST API at /api/v1/: one router per app, one error shape, two ways to authenticate."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.security import SessionAuth

import pingjia
from pingjia.accounts.api import router as accounts_router
from pingjia.analysis.api import router as analysis_router
from pingjia.api import errors
from pingjia.api.auth import BearerToken
from pingjia.cases.api import router as cases_router
from pingjia.core.api import router as core_router
from pingjia.metrics.api import router as metrics_router
from pingjia.reviews.api import router as reviews_router

api = NinjaAPI(
    title="Pingjia API",
    version="1",
    description=(
        f"Pingjia {pingjia.__version__}. Authenticate with `Authorization: Bearer <token>` "
        "(tokens are made under 账户 → API 令牌, or with `pingjia token create`), or with the "
        "browser session plus the `X-CSRFToken` header. Errors always have the shape "
        '`{"error": {"code", "message", "details"}}`.'
    ),
    urls_namespace="api",
    auth=[BearerToken(), SessionAuth(csrf=True)],
)
errors.install(api)
api.add_router("/", core_router)
api.add_router("/", accounts_router)
api.add_router("/", reviews_router)
api.add_router("/", cases_router)
api.add_router("/", analysis_router)
api.add_router("/", metrics_router)


def api_urlpatterns() -> list[Any]:
    """The API's URL patterns, exempt from LoginRequiredMiddleware: the API authenticates
    every call itself and answers 401 in its own error shape, never a log-in redirect."""
    patterns, _app_name, _namespace = api.urls
    for pattern in patterns:
        setattr(pattern.callback, "login_required", False)  # noqa: B010
    return patterns


def not_found(request: HttpRequest, path: str = "") -> HttpResponse:
    return errors.error_response(404, _("Not found."))


not_found.login_required = False  # type: ignore[attr-defined]
