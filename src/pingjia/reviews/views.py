from __future__ import annotations

import csv
import io
from datetime import datetime

import segno
from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.core import signing
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods

from pingjia.accounts.access import get_visible_or_404, require_permission
from pingjia.accounts.models import Store, User
from pingjia.accounts.views import client_ip, is_htmx
from pingjia.core.errors import ApplicationError
from pingjia.core.spreadsheets import safe_cell
from pingjia.reviews import selectors, services
from pingjia.reviews.forms import ImportForm, PublicReviewForm, RegisterForm, ReviewFilterForm
from pingjia.reviews.models import ImportRun, ReviewTag

PAGE_SIZE = 50


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


def _after(value: str) -> tuple[datetime, int] | None:
    """The keyset of the `after` parameter: `<ISO time>_<id>`."""
    moment, _, pk = value.rpartition("_")
    try:
        return datetime.fromisoformat(moment), int(pk)
    except ValueError:
        return None


@require_GET
def review_list(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    require_permission(user, "reviews.view_review")
    form = ReviewFilterForm(request.GET)
    reviews = selectors.review_list(user=user, filters=form.review_filter())
    page, next_key = selectors.review_page(reviews, after=_after(request.GET.get("after", "")),
                                           limit=PAGE_SIZE)
    query = request.GET.copy()
    query.pop("after", None)
    context = {"form": form, "reviews": page, "query": query.urlencode(),
               "next_after": f"{next_key[0].isoformat()}_{next_key[1]}" if next_key else ""}
    template = "reviews/review_list.html" + ("#results" if is_htmx(request) else "")
    return render(request, template, context)


@require_GET
def review_detail(request: HttpRequest, review_id: int) -> HttpResponse:
    user = _user(request)
    review = selectors.access_review(user, review_id)
    return render(request, "reviews/review_detail.html",
                  {"review": review, **selectors.review_detail(review, user=user)})


# --- the public review form -----------------------------------------------------------------------

_FORM_SIGNER = signing.Signer(salt="pingjia.review-form")


def public_form_token(store: Store) -> str:
    """The signed part of a store's form link: it names the store and cannot be guessed."""
    return _FORM_SIGNER.sign(store.code)


def _public_store(token: str) -> Store:
    try:
        code = _FORM_SIGNER.unsign(token)
    except signing.BadSignature:
        raise Http404 from None
    return get_object_or_404(Store, code=code, is_active=True)


@login_not_required
@require_http_methods(["GET", "POST"])
def public_review(request: HttpRequest, token: str) -> HttpResponse:
    store = _public_store(token)
    tags = list(ReviewTag.objects.filter(is_active=True).values_list("name", flat=True))
    form = PublicReviewForm(request.POST or None, tags=tags)
    if request.method == "POST" and form.is_valid():
        if not form.is_bot():
            data = form.cleaned_data
            try:
                services.review_submit_public(store=store, rating=data["rating"],
                                              text=data["text"].strip(), tags=data["tags"],
                                              phone=data["phone"], ip=client_ip(request))
            except services.RateLimited as exc:
                return render(request, "reviews/public_review.html",
                              {"form": form, "store": store, "error": exc.message}, status=429)
        return redirect("public_review_thanks", token=token)
    return render(request, "reviews/public_review.html", {"form": form, "store": store},
                  status=400 if form.errors else 200)


@login_not_required
@require_GET
def public_review_thanks(request: HttpRequest, token: str) -> HttpResponse:
    return render(request, "reviews/public_thanks.html", {"store": _public_store(token)})


@require_GET
def store_qr(request: HttpRequest, store_id: int) -> HttpResponse:
    """A printable sheet with the store's review-form QR code."""
    store = get_visible_or_404(Store.objects.all(), _user(request), pk=store_id)
    path = reverse("public_review", args=[public_form_token(store)])
    url = (settings.PINGJIA_PUBLIC_URL + path if settings.PINGJIA_PUBLIC_URL
           else request.build_absolute_uri(path))
    qr = segno.make(url, error="m").svg_inline(scale=8, border=2)
    return render(request, "reviews/store_qr.html", {"store": store, "url": url, "qr": qr})


@require_http_methods(["GET", "POST"])
def review_register(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    require_permission(user, "reviews.add_review")
    form = RegisterForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            review = services.review_register(actor=user, **form.cleaned_data)
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            return redirect("review_detail", review_id=review.pk)
    return render(request, "reviews/review_register.html", {"form": form},
                  status=400 if form.errors else 200)


@require_http_methods(["GET", "POST"])
def import_upload(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    require_permission(user, "reviews.add_importrun")
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            run = services.review_import_start(
                actor=user, data=data["file"].read(), file_name=data["file"].name,
                channel=data["channel"], default_store=data["store"],
                format_code=data["format"], dry_run=data["dry_run"])
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            return redirect("import_detail", run_id=run.pk)
    return render(request, "reviews/import_upload.html",
                  {"form": form, "runs": selectors.import_runs()[:20]},
                  status=400 if form.errors else 200)


@require_GET
def import_detail(request: HttpRequest, run_id: int) -> HttpResponse:
    require_permission(_user(request), "reviews.view_importrun")
    run = get_object_or_404(selectors.import_runs(), pk=run_id)
    template = "reviews/import_detail.html" + ("#progress" if is_htmx(request) else "")
    return render(request, template, {"run": run})


@require_GET
def import_rejected_rows(request: HttpRequest, run_id: int) -> HttpResponse:
    """The rejected rows as CSV (UTF-8 with BOM, so Excel opens it), with their row number
    and reason first: fix them and import the file again."""
    require_permission(_user(request), "reviews.view_importrun")
    run = get_object_or_404(ImportRun, pk=run_id)
    headers: list[str] = []
    for error in run.errors:
        headers += [h for h in error["values"] if h not in headers]
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["行号 row", "原因 reason", *headers])
    for error in run.errors:
        writer.writerow([error["row"], safe_cell(error["reason"]),
                         *[safe_cell(error["values"].get(h, "")) for h in headers]])
    response = HttpResponse("\ufeff" + buffer.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="rejected-rows-{run.pk}.csv"'
    return response
