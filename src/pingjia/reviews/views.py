from __future__ import annotations

import tempfile

import segno
from django.contrib.auth.decorators import login_not_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from pingjia.accounts import services as account_services
from pingjia.accounts.access import get_visible_or_404, require_permission
from pingjia.accounts.forms import RevealForm
from pingjia.accounts.models import Store, User
from pingjia.accounts.views import client_ip, is_htmx
from pingjia.analysis.views import labels_context
from pingjia.cases.services import complaint_register
from pingjia.core.errors import ApplicationError
from pingjia.core.spreadsheets import csv_download
from pingjia.reviews import export, links, search, selectors, services
from pingjia.reviews.forms import (
    ImportForm,
    InvitationImportForm,
    PublicReviewForm,
    RegisterForm,
    ReviewFilterForm,
)
from pingjia.reviews.importing.reading import UnreadableFile
from pingjia.reviews.models import Callback, Customer, ImportRun, Invitation, ReviewTag

PAGE_SIZE = 50


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


@require_GET
def review_list(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    require_permission(user, "reviews.view_review")
    form = ReviewFilterForm(request.GET, user=user)
    filters = form.review_filter()
    reviews = selectors.review_list(user=user, filters=filters)
    after = selectors.after_key(request.GET.get("after", ""))
    page, next_key = selectors.review_page(reviews, after=after, limit=PAGE_SIZE,
                                           oldest_first=filters.oldest_first)
    query = request.GET.copy()
    query.pop("after", None)
    context = {"form": form, "reviews": page, "query": query.urlencode(),
               "oldest_first": filters.oldest_first,
               "terms": search.query_terms(filters.text),
               "next_after": f"{next_key[0].isoformat()}_{next_key[1]}" if next_key else ""}
    template = "reviews/review_list.html" + ("#results" if is_htmx(request) else "")
    return render(request, template, context)


@require_GET
def review_export(request: HttpRequest) -> FileResponse:
    """The reviews the list's filters select, newest first, as an Excel workbook."""
    user = _user(request)
    require_permission(user, "reviews.view_review")
    form = ReviewFilterForm(request.GET, user=user)
    out = tempfile.TemporaryFile()  # noqa: SIM115 (the response closes it once sent)
    export.review_export(
        actor=user, reviews=selectors.review_list(user=user, filters=form.review_filter()),
        out=out, link=request.build_absolute_uri(reverse("review_detail", args=[0])),
        described=form.described(), ip=client_ip(request))
    out.seek(0)
    moment = timezone.localtime().strftime("%Y%m%d-%H%M")
    return FileResponse(out, as_attachment=True, filename=f"{_('reviews')}-{moment}.xlsx")


@require_GET
def review_detail(request: HttpRequest, review_id: int) -> HttpResponse:
    user = _user(request)
    review = selectors.access_review(user, review_id)
    return render(request, "reviews/review_detail.html",
                  {"review": review, **selectors.review_detail(review, user=user),
                   **labels_context(review, user),
                   "terms": search.query_terms(request.GET.get("q", ""))})


# --- the public review form -----------------------------------------------------------------------

def _public_store(token: str) -> Store:
    code = links.store_code_from_token(token)
    if code is None:
        raise Http404
    return get_object_or_404(Store, code=code, is_active=True)


def _public_form(request: HttpRequest, store: Store, *, done: HttpResponse,
                 invitation: Invitation | None = None) -> HttpResponse:
    """The customer's form for `store` (through an invitation, if any): `done` once sent. A
    bot that filled the honeypot is answered as if its review had been taken."""
    tags = list(ReviewTag.objects.filter(is_active=True).values_list("name", flat=True))
    form = PublicReviewForm(request.POST or None, tags=tags)
    if request.method == "POST" and form.is_valid():
        if form.is_bot():
            return done
        data = form.cleaned_data
        try:
            services.review_submit_public(store=store, rating=data["rating"],
                                          text=data["text"].strip(), tags=data["tags"],
                                          phone=data["phone"], ip=client_ip(request),
                                          invitation=invitation)
        except ApplicationError as exc:
            return render(request, "reviews/public_review.html",
                          {"form": form, "store": store, "error": exc.message},
                          status=exc.status)
        return done
    return render(request, "reviews/public_review.html", {"form": form, "store": store},
                  status=400 if form.errors else 200)


@login_not_required
@require_http_methods(["GET", "POST"])
def public_review(request: HttpRequest, token: str) -> HttpResponse:
    return _public_form(request, _public_store(token),
                        done=redirect("public_review_thanks", token=token))


@login_not_required
@require_http_methods(["GET", "POST"])
def public_invitation(request: HttpRequest, token: str) -> HttpResponse:
    invitation_id = links.invitation_id_from_token(token)
    if invitation_id is None:
        raise Http404
    invitation = get_object_or_404(Invitation.objects.select_related("store"), pk=invitation_id)
    thanks = render(request, "reviews/public_thanks.html", {"store": invitation.store})
    if invitation.review_id is not None:
        return thanks
    return _public_form(request, invitation.store, done=thanks, invitation=invitation)


@login_not_required
@require_GET
def public_review_thanks(request: HttpRequest, token: str) -> HttpResponse:
    return render(request, "reviews/public_thanks.html", {"store": _public_store(token)})


@require_GET
def store_qr(request: HttpRequest, store_id: int) -> HttpResponse:
    """A printable sheet with the store's review-form QR code."""
    store = get_visible_or_404(Store.objects.all(), _user(request), pk=store_id)
    url = links.store_form_url(request, store)
    qr = segno.make(url, error="m").svg_inline(scale=8, border=2)
    return render(request, "reviews/store_qr.html", {"store": store, "url": url, "qr": qr})


@require_http_methods(["GET", "POST"])
def invitation_import(request: HttpRequest) -> HttpResponse:
    """Invitations from a file; the result offers their links as a CSV, keyed by the
    uploader's own ids, to send through an SMS or WeChat platform."""
    user = _user(request)
    require_permission(user, "reviews.add_invitation")
    form = InvitationImportForm(request.POST or None, request.FILES or None)
    result = None
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            result = services.invitations_import(actor=user, data=upload.read(),
                                                 file_name=upload.name)
        except UnreadableFile as exc:
            form.add_error("file", str(exc))
    if result is not None and request.POST.get("as") == "csv":
        return csv_download(
            ["门店编码 store", "外部编号 external_id", "订单号 order", "链接 link"],
            ([i.store.code, i.external_id, i.order_id, links.invitation_url(request, i)]
             for i, _new in result.invitations),
            "invitation-links.csv")
    return render(request, "reviews/invitation_import.html",
                  {"form": form, "result": result,
                   "links": [(i, new, links.invitation_url(request, i))
                             for i, new in (result.invitations if result else [])]},
                  status=400 if form.errors else 200)


@require_GET
def callback_list(request: HttpRequest) -> HttpResponse:
    """Invited customers who have not reviewed after 72 hours, for customer service to call."""
    user = _user(request)
    require_permission(user, "reviews.add_callback")
    invitations = (Invitation.objects.visible_to(user).awaiting_callback(timezone.now())
                   .select_related("store", "customer").prefetch_related("callbacks")
                   .order_by("invited_at")[:200])
    return render(request, "reviews/callback_list.html",
                  {"invitations": invitations, "outcomes": Callback.Outcome.choices,
                   "reveal_form": RevealForm()})


@require_POST
def callback_record(request: HttpRequest, invitation_id: int) -> HttpResponse:
    user = _user(request)
    invitation = get_visible_or_404(Invitation.objects.select_related("store", "customer"),
                                    user, pk=invitation_id)
    try:
        services.callback_record(actor=user, invitation=invitation,
                                 outcome=request.POST.get("outcome", ""),
                                 note=request.POST.get("note", ""))
    except ApplicationError as exc:
        return HttpResponse(exc.message, status=400)
    invitation.refresh_from_db()
    return render(request, "reviews/callback_list.html#invitation-row",
                  {"invitation": invitation, "outcomes": Callback.Outcome.choices,
                   "reveal_form": RevealForm()})


@require_POST
def customer_phone_reveal(request: HttpRequest, customer_id: int) -> HttpResponse:
    """The unmasked phone of a customer, for a user allowed to see it, with a reason."""
    user = _user(request)
    require_permission(user, "reviews.view_customer")
    customer = get_object_or_404(Customer, pk=customer_id)
    form = RevealForm(request.POST)
    if not form.is_valid():
        return HttpResponse(_("Give the reason to view the number."), status=400)
    phone = account_services.personal_data_reveal(
        actor=user, obj=customer, field="phone", reason=form.cleaned_data["reason"],
        ip=client_ip(request))
    return HttpResponse(f'<span class="masked" id="customer-phone-{customer.pk}">{escape(phone)}'
                        "</span>")


@require_http_methods(["GET", "POST"])
def review_register(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    require_permission(user, "reviews.add_review")
    form = RegisterForm(request.POST or None, user=user)
    if request.method == "POST" and form.is_valid():
        fields = dict(form.cleaned_data)
        open_case = fields.pop("open_case", False)
        try:
            review, case = complaint_register(actor=user, open_case=open_case, **fields)
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            if case is not None:
                return redirect("case_detail", case_id=case.pk)
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
    return csv_download(
        ["行号 row", "原因 reason", *headers],
        ([error["row"], error["reason"], *[error["values"].get(h, "") for h in headers]]
         for error in run.errors),
        f"rejected-rows-{run.pk}.csv")
