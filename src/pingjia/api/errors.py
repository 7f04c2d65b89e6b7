"""One error shape for every failure of the API:

    {"error": {"code": "not_found", "message": "…", "details": …}}

`code` is stable and machine-readable, `message` is for people (in the request's language),
`details` is optional (the invalid fields of a validation error, for instance)."""

from __future__ import annotations

import json
import logging
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, AuthorizationError, HttpError, ValidationError

from pingjia.core.errors import ApplicationError

logger = logging.getLogger(__name__)

_CODES = {400: "bad_request", 401: "authentication_required", 403: "permission_denied",
          404: "not_found", 405: "method_not_allowed", 409: "conflict", 413: "too_large",
          415: "unsupported_media_type", 422: "validation_error", 429: "too_many_requests",
          500: "server_error", 503: "unavailable"}


def error_response(status: int, message: str, *, code: str | None = None,
                   details: Any = None) -> JsonResponse:
    body: dict[str, Any] = {"code": code or _CODES.get(status, "error"), "message": message}
    if details is not None:
        body["details"] = details
    return JsonResponse({"error": body}, status=status, json_dumps_params={"ensure_ascii": False})


def install(api: NinjaAPI) -> None:
    def on_application_error(request: HttpRequest, exc: Any) -> HttpResponse:
        return error_response(exc.status, exc.message, code=exc.code, details=exc.details)

    def on_validation_error(request: HttpRequest, exc: Any) -> HttpResponse:
        details = json.loads(json.dumps(exc.errors, default=str))
        return error_response(422, _("The request is not valid."), details=details)

    def on_authentication_error(request: HttpRequest, exc: Any) -> HttpResponse:
        return error_response(
            401, _("Log in, or send a valid API token: Authorization: Bearer <token>.")
        )

    def on_authorization_error(request: HttpRequest, exc: Any) -> HttpResponse:
        return error_response(403, str(exc) or _("You may not do this."))

    def on_http_error(request: HttpRequest, exc: Any) -> HttpResponse:
        return error_response(exc.status_code, str(exc))

    def on_not_found(request: HttpRequest, exc: Any) -> HttpResponse:
        return error_response(404, _("Not found."))

    def on_permission_denied(request: HttpRequest, exc: Any) -> HttpResponse:
        return error_response(403, str(exc) or _("You may not do this."))

    def on_unexpected(request: HttpRequest, exc: Any) -> HttpResponse:
        logger.exception("API request %s %s failed", request.method, request.path)
        return error_response(500, _("Something went wrong on the server; it has been logged."))

    api.add_exception_handler(ApplicationError, on_application_error)
    api.add_exception_handler(ValidationError, on_validation_error)
    api.add_exception_handler(AuthenticationError, on_authentication_error)
    api.add_exception_handler(AuthorizationError, on_authorization_error)
    api.add_exception_handler(HttpError, on_http_error)
    api.add_exception_handler(Http404, on_not_found)
    api.add_exception_handler(PermissionDenied, on_permission_denied)
    api.add_exception_handler(Exception, on_unexpected)


class ErrorShapeMiddleware:
    """Failures that happen outside the API's own handlers (an unknown path, a method the path
    does not take) get the same shape."""

    def __init__(self, get_response: Any) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response: HttpResponse = self.get_response(request)
        if (request.path.startswith("/api/") and response.status_code >= 400
                and not response.get("Content-Type", "").startswith("application/json")):
            messages = {404: _("Not found."), 405: _("This method is not allowed here.")}
            message = messages.get(response.status_code, response.reason_phrase)
            return error_response(response.status_code, message)
        return response
