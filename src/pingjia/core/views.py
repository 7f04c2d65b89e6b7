from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from pingjia.accounts.access import require_permission
from pingjia.accounts.models import User
from pingjia.accounts.services import user_set_language
from pingjia.core import health
from pingjia.metrics.workbench import workbench_tiles


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    user = request.user
    assert isinstance(user, User)
    memberships = user.memberships.select_related("department")
    return render(request, "core/home.html",
                  {"memberships": memberships, "tiles": workbench_tiles(user)})


@login_not_required
@require_POST
def language_switch(request: HttpRequest) -> HttpResponse:
    """Switch the interface language; a logged-in user keeps the choice for next time."""
    language = request.POST.get("language", "")
    next_url = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(next_url, {request.get_host()},
                                           require_https=request.is_secure()):
        next_url = "/"
    response = redirect(next_url)
    if language in dict(settings.LANGUAGES):
        if request.user.is_authenticated:
            assert isinstance(request.user, User)
            user_set_language(user=request.user, language=language)
        response.set_cookie(settings.LANGUAGE_COOKIE_NAME, language, max_age=365 * 24 * 3600,
                            samesite="Lax", secure=settings.LANGUAGE_COOKIE_SECURE)
    return response


@require_GET
def system_status(request: HttpRequest) -> HttpResponse:
    require_permission(request.user, "core.view_heartbeat")
    return render(request, "core/system_status.html", {"findings": health.report()})
