from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, logout, update_session_auth_hash
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.forms import PasswordChangeForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from pingjia.accounts import selectors, services
from pingjia.accounts.access import access_department, access_user, require_permission
from pingjia.accounts.forms import AuditFilterForm, LoginForm, RevealForm, TokenCreateForm
from pingjia.accounts.models import ApiToken, User
from pingjia.core.errors import ApplicationError

AUDIT_PAGE_SIZE = 50


def client_ip(request: HttpRequest) -> str | None:
    # Behind a proxy, gunicorn is told which proxies to trust (--forwarded-allow-ips), and
    # REMOTE_ADDR is then the client's address.
    return request.META.get("REMOTE_ADDR") or None


def is_htmx(request: HttpRequest) -> bool:
    return bool(getattr(request, "htmx", False))


def _current_user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


@login_not_required
@require_http_methods(["GET", "POST"])
def login_view(request: HttpRequest) -> HttpResponse:
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    if not url_has_allowed_host_and_scheme(next_url, {request.get_host()},
                                           require_https=request.is_secure()):
        next_url = ""
    form = LoginForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = services.login_attempt(username=form.cleaned_data["username"],
                                          password=form.cleaned_data["password"],
                                          ip=client_ip(request))
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            login(request, user)
            response = redirect(next_url or settings.LOGIN_REDIRECT_URL)
            if user.language:
                response.set_cookie(settings.LANGUAGE_COOKIE_NAME, user.language,
                                    max_age=365 * 24 * 3600, samesite="Lax")
            return response
    status = 400 if form.errors else 200
    return render(request, "accounts/login.html", {"form": form, "next": next_url},
                  status=status)


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    services.user_logged_out(user=_current_user(request), ip=client_ip(request))
    logout(request)
    messages.info(request, _("You have logged out."))
    return redirect(settings.LOGOUT_REDIRECT_URL)


@require_GET
def account(request: HttpRequest) -> HttpResponse:
    user = _current_user(request)
    memberships = user.memberships.select_related("department")
    return render(request, "accounts/account.html", {"memberships": memberships})


@require_http_methods(["GET", "POST"])
def password_change(request: HttpRequest) -> HttpResponse:
    user = _current_user(request)
    form = PasswordChangeForm(user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.user_set_password(actor=user, user=user,
                                   password=form.cleaned_data["new_password1"],
                                   ip=client_ip(request))
        update_session_auth_hash(request, user)
        messages.success(request, _("Your password has been changed."))
        return redirect("account")
    return render(request, "accounts/password_change.html", {"form": form},
                  status=400 if form.errors else 200)


# --- API tokens ----------------------------------------------------------------------------------

@require_http_methods(["GET", "POST"])
def token_list(request: HttpRequest) -> HttpResponse:
    user = _current_user(request)
    require_permission(user, "accounts.add_apitoken")
    form = TokenCreateForm(request.POST or None)
    created: tuple[ApiToken, str] | None = None
    if request.method == "POST" and form.is_valid():
        try:
            created = services.api_token_create(
                actor=user, user=user, name=form.cleaned_data["name"],
                scopes=form.cleaned_data["scopes"], expires_at=form.expires_at())
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            form = TokenCreateForm()
    context = {"form": form, "tokens": user.api_tokens.all(), "created": created}
    template = "accounts/tokens.html#token-panel" if is_htmx(request) else "accounts/tokens.html"
    return render(request, template, context, status=400 if form.errors else 200)


@require_POST
def token_revoke(request: HttpRequest, token_id: int) -> HttpResponse:
    user = _current_user(request)
    token = get_object_or_404(ApiToken, pk=token_id, user=user)
    services.api_token_revoke(actor=user, token=token)
    messages.success(request, _("The token “%(name)s” is revoked.") % {"name": token.name})
    return redirect("token_list")


# --- organisation --------------------------------------------------------------------------------

@require_GET
def department_list(request: HttpRequest) -> HttpResponse:
    user = _current_user(request)
    require_permission(user, "accounts.view_department")
    departments = selectors.department_list(user=user)
    return render(request, "accounts/department_list.html", {"departments": departments})


@require_GET
def department_detail(request: HttpRequest, department_id: int) -> HttpResponse:
    user = _current_user(request)
    department = access_department(user, department_id)
    return render(request, "accounts/department_detail.html", {
        "department": department,
        "members": selectors.department_members(department),
        "stores": selectors.store_list(user=user, department_id=department.pk),
        "reveal_form": RevealForm(),
    })


@require_POST
def phone_reveal(request: HttpRequest, user_id: int) -> HttpResponse:
    """The unmasked phone number of a colleague, for one with the permission, given a reason."""
    actor = _current_user(request)
    person = access_user(actor, user_id)
    form = RevealForm(request.POST)
    if not form.is_valid():
        return render(request, "accounts/department_detail.html#phone",
                      {"person": person, "reveal_form": form}, status=400)
    phone = services.personal_data_reveal(actor=actor, obj=person, field="phone",
                                          reason=form.cleaned_data["reason"],
                                          ip=client_ip(request))
    return render(request, "accounts/department_detail.html#phone",
                  {"person": person, "revealed": phone})


@require_GET
def store_list(request: HttpRequest) -> HttpResponse:
    user = _current_user(request)
    require_permission(user, "accounts.view_store")
    return render(request, "accounts/store_list.html",
                  {"stores": selectors.store_list(user=user)})


# --- audit trail ---------------------------------------------------------------------------------

@require_GET
def audit_list(request: HttpRequest) -> HttpResponse:
    user = _current_user(request)
    require_permission(user, "accounts.view_auditentry")
    form = AuditFilterForm(request.GET)
    entries = selectors.audit_entries(user=user, filters=form.audit_filter()).order_by("-pk")
    before = request.GET.get("before", "")
    if before.isdigit():
        entries = entries.filter(pk__lt=int(before))
    page = list(entries[: AUDIT_PAGE_SIZE + 1])
    older = page[AUDIT_PAGE_SIZE - 1].pk if len(page) > AUDIT_PAGE_SIZE else None
    query = request.GET.copy()
    query.pop("before", None)
    context = {"form": form, "entries": page[:AUDIT_PAGE_SIZE], "older": older,
               "query": query.urlencode()}
    template = "accounts/audit_list.html"
    if is_htmx(request):
        template += "#results"
    return render(request, template, context)
