"""A person's notifications: the list, opening one, marking all read, and their choices."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from pingjia.accounts.models import User
from pingjia.notifications import selectors, services
from pingjia.notifications.forms import PreferencesForm
from pingjia.notifications.models import Way

PAGE_SIZE = 50


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


@require_GET
def notification_list(request: HttpRequest) -> HttpResponse:
    before = request.GET.get("before", "")
    page = list(selectors.notification_list(
        user=_user(request), before=int(before) if before.isdigit() else None
    )[:PAGE_SIZE + 1])
    return render(request, "notifications/notification_list.html", {
        "notifications": page[:PAGE_SIZE],
        "next_before": page[PAGE_SIZE - 1].pk if len(page) > PAGE_SIZE else ""})


@require_GET
def notification_open(request: HttpRequest, notification_id: int) -> HttpResponse:
    notification = services.notification_open(user=_user(request),
                                              notification_id=notification_id)
    if not url_has_allowed_host_and_scheme(notification.url, allowed_hosts=None):
        return redirect("notification_list")
    return redirect(notification.url)


@require_POST
def notification_read_all(request: HttpRequest) -> HttpResponse:
    services.notifications_mark_all_read(user=_user(request))
    return redirect("notification_list")


@require_http_methods(["GET", "POST"])
def notification_settings(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    initial = selectors.notification_preferences(user=user)
    form = PreferencesForm(request.POST or None, initial_ways=initial)
    if request.method == "POST" and form.is_valid():
        services.notification_preferences_save(user=user, ways=form.ways())
        messages.success(request, _("Your notification choices are saved."))
        return redirect("notification_settings")
    return render(request, "notifications/notification_settings.html", {
        "form": form, "ways": list(Way), "has_email": bool(user.email)})
