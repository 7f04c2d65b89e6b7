"""Pages of the text analysis: correcting a review's labels in one click; the recurring
issues, their trends and reviews, and the staff decisions on them; the analysis models."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import HttpResponseClientRedirect

from pingjia.accounts.access import require_permission
from pingjia.accounts.models import Store, User
from pingjia.accounts.views import is_htmx
from pingjia.analysis import issues, selectors, services, tasks
from pingjia.analysis.models import (
    Category,
    RecurringIssue,
    ReviewAnalysis,
    SentimentLabel,
    TextModel,
)
from pingjia.analysis.selectors import IssueFilter
from pingjia.analysis.services import Correction, review_labels_correct
from pingjia.core.errors import ApplicationError
from pingjia.reviews.models import Review
from pingjia.reviews.selectors import access_review, after_key, review_page


class LabelsForm(forms.Form):
    sentiment = forms.ChoiceField(label=_("Sentiment"), choices=SentimentLabel.choices,
                                  required=False)
    category = forms.ModelChoiceField(label=_("Category"), queryset=Category.objects.active(),
                                      to_field_name="code", required=False)
    aspects = forms.CharField(
        label=_("Issues named"), required=False, max_length=300,
        help_text=_("Short phrases separated by commas, e.g. 出餐慢, 分量少."))

    def correction(self, analysis: ReviewAnalysis | None) -> Correction:
        """Only what differs from the current analysis counts as a correction."""
        data = self.cleaned_data
        current_aspects = ", ".join(a["text"] for a in analysis.aspects) if analysis else ""
        phrases = [p.strip() for p in data["aspects"].replace("，", ",").split(",")]
        return Correction(
            sentiment=data["sentiment"] if data["sentiment"] and (
                analysis is None or data["sentiment"] != analysis.sentiment) else None,
            category=data["category"].code if data["category"] and (
                analysis is None or data["category"] != analysis.category) else None,
            aspects=[{"text": p, "polarity": "negative"} for p in phrases if p]
            if data["aspects"].strip() != current_aspects else None)


def labels_context(review: Review, user: User, *, form: LabelsForm | None = None,
                   error: str = "") -> dict[str, Any]:
    analysis = ReviewAnalysis.objects.select_related("category").filter(review=review).first()
    may_correct = user.has_perm("analysis.add_labelcorrection", review)
    if form is None and may_correct:
        form = LabelsForm(initial={
            "sentiment": analysis.sentiment if analysis else "",
            "category": analysis.category.code if analysis and analysis.category else "",
            "aspects": ", ".join(a["text"] for a in analysis.aspects) if analysis else "",
        }, auto_id=f"id_labels_{review.pk}_%s")
    return {"review": review, "analysis": analysis, "labels_form": form, "labels_error": error}


@require_POST
def review_labels(request: HttpRequest, review_id: int) -> HttpResponse:
    user = request.user
    assert isinstance(user, User)
    review = access_review(user, review_id)
    form: LabelsForm | None = LabelsForm(request.POST, auto_id=f"id_labels_{review.pk}_%s")
    error = ""
    if form is not None and form.is_valid():
        analysis = ReviewAnalysis.objects.filter(review=review).first()
        try:
            review_labels_correct(actor=user, review=review,
                                  correction=form.correction(analysis))
        except ApplicationError as exc:
            error = exc.message
        else:
            form = None
    if not is_htmx(request):
        return redirect("review_detail", review_id=review.pk)
    return render(request, "analysis/labels.html",
                  labels_context(review, user, form=form, error=error))


# --- recurring issues ------------------------------------------------------------------------

ISSUE_REVIEWS_PAGE = 50


class IssueFilterForm(forms.Form):
    category = forms.ModelChoiceField(label=_("Category"), required=False, empty_label=_("All"),
                                      queryset=Category.objects.active())
    store = forms.ModelChoiceField(label=_("Store"), required=False, empty_label=_("All"),
                                   queryset=Store.objects.none())
    order = forms.ChoiceField(label=_("Sort by"), required=False, choices=[
        ("volume", _("Most complaints, last 4 weeks")),
        ("volume_months", _("Most complaints, last 3 months")),
        ("growth", _("Fastest growing"))])
    spikes = forms.BooleanField(label=_("Spikes only"), required=False)

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        store = self.fields["store"]
        assert isinstance(store, forms.ModelChoiceField)
        store.queryset = Store.objects.visible_to(user).filter(is_active=True)

    def issue_filter(self) -> IssueFilter:
        if not self.is_valid():
            return IssueFilter()
        data = self.cleaned_data
        return IssueFilter(category=data["category"].pk if data["category"] else None,
                           store=data["store"].pk if data["store"] else None,
                           spikes_only=data["spikes"], order=data["order"] or "volume")


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


@require_GET
def issue_list(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    require_permission(user, issues.VIEW_PERMISSION)
    form = IssueFilterForm(request.GET, user=user)
    this_week = issues.week_of(timezone.now())
    rows = selectors.issue_list(user=user, filters=form.issue_filter(), this_week=this_week)
    context = {"form": form, "rows": rows, "this_week": this_week,
               "weeks": selectors.WEEKS, "months": selectors.MONTHS}
    template = "analysis/issue_list.html" + ("#results" if is_htmx(request) else "")
    return render(request, template, context)


def _issue_context(user: User, issue: RecurringIssue, *, error: str = "") -> dict[str, Any]:
    this_week = issues.week_of(timezone.now())
    may_decide = user.has_perm(issues.DECIDE_PERMISSION) and not issue.merged_into_id
    return {
        "issue": issue, "error": error, "may_decide": may_decide,
        "spiking": issue.is_spiking(this_week),
        "merge_targets": selectors.merge_targets(issue=issue) if may_decide else [],
    }


@require_GET
def issue_detail(request: HttpRequest, issue_id: int) -> HttpResponse:
    user = _user(request)
    issue = issues.access_issue(user, issue_id)
    if issue.merged_into_id is not None:
        return redirect("issue_detail", issue_id=issues.surviving_issue(issue).pk)
    reviews, next_key = review_page(selectors.issue_reviews(user=user, issue=issue),
                                    after=after_key(request.GET.get("after", "")),
                                    limit=ISSUE_REVIEWS_PAGE)
    context = _issue_context(user, issue) | {
        "detail": selectors.issue_detail(user=user, issue=issue,
                                         this_week=issues.week_of(timezone.now())),
        "reviews": reviews, "terms": selectors.issue_terms(issue),
        "next_after": f"{next_key[0].isoformat()}_{next_key[1]}" if next_key else ""}
    return render(request, "analysis/issue_detail.html", context)


def _decided(request: HttpRequest, issue_id: int, error: str = "") -> HttpResponse:
    """After a rename or a dismissal: the issue's header again (HTMX), or its page."""
    if not is_htmx(request):
        return redirect("issue_detail", issue_id=issue_id)
    issue = issues.access_issue(_user(request), issue_id)
    return render(request, "analysis/issue_detail.html#decisions",
                  _issue_context(_user(request), issue, error=error))


def _go_to(request: HttpRequest, issue_id: int) -> HttpResponse:
    """After a merge or a split: the issue the reviews went to."""
    url = reverse("issue_detail", args=[issue_id])
    return HttpResponseClientRedirect(url) if is_htmx(request) else redirect(url)


@require_POST
def issue_rename(request: HttpRequest, issue_id: int) -> HttpResponse:
    issues.issue_rename(actor=_user(request), issue_id=issue_id,
                        name=request.POST.get("name", ""))
    return _decided(request, issue_id)


@require_POST
def issue_dismiss(request: HttpRequest, issue_id: int) -> HttpResponse:
    issues.issue_dismiss(actor=_user(request), issue_id=issue_id,
                         dismissed=request.POST.get("dismissed", "1") == "1")
    return _decided(request, issue_id)


@require_POST
def issue_merge(request: HttpRequest, issue_id: int) -> HttpResponse:
    into = request.POST.get("into", "")
    try:
        if not into.isdigit():
            raise ApplicationError(str(_("Choose the issue to merge into.")),
                                   code="invalid")
        target = issues.issue_merge(actor=_user(request), issue_id=issue_id,
                                    into_id=int(into))
    except ApplicationError as error:
        return _decided(request, issue_id, error.message)
    return _go_to(request, target.pk)


@require_POST
def issue_split(request: HttpRequest, issue_id: int) -> HttpResponse:
    review_ids = [int(v) for v in request.POST.getlist("reviews") if v.isdigit()]
    try:
        new = issues.issue_split(actor=_user(request), issue_id=issue_id,
                                 review_ids=review_ids, name=request.POST.get("name", ""))
    except ApplicationError as error:
        return _decided(request, issue_id, error.message)
    return _go_to(request, new.pk)


MODELS_VIEW = "analysis.view_textmodel"
MODELS_CHANGE = "analysis.change_textmodel"


@require_GET
def model_list(request: HttpRequest) -> HttpResponse:
    """The analysis models: what each was trained on and how it did on held-out examples,
    which is in use, and the buttons to retrain, switch and roll back."""
    user = _user(request)
    require_permission(user, MODELS_VIEW)
    return render(request, "analysis/model_list.html", {
        "kinds": selectors.text_models(), "can_change": user.has_perm(MODELS_CHANGE)})


@require_POST
def model_activate(request: HttpRequest, model_id: int) -> HttpResponse:
    user = _user(request)
    require_permission(user, MODELS_CHANGE)
    model = get_object_or_404(TextModel.objects.defer("weights"), pk=model_id)
    services.model_activate(actor=user, version=model.version)
    messages.success(request, _("%(kind)s now uses %(version)s.") % {
        "kind": model.get_kind_display(), "version": model.version})
    return redirect("model_list")


@require_POST
def model_built_in(request: HttpRequest, kind: str) -> HttpResponse:
    user = _user(request)
    require_permission(user, MODELS_CHANGE)
    if kind not in TextModel.Kind.values:
        raise Http404
    set_aside = services.model_use_built_in(actor=user, kind=kind)
    if set_aside is not None:
        messages.success(request, _("%(kind)s now uses the built-in model; %(version)s is kept "
                                    "to return to.") % {
            "kind": set_aside.get_kind_display(), "version": set_aside.version})
    return redirect("model_list")


@require_POST
def model_train(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    require_permission(user, MODELS_CHANGE)
    transaction.on_commit(lambda: tasks.retrain_now(user.pk))
    messages.info(request, _("Training has started in the background. The new models appear "
                             "here when it is done, and each replaces the one in use only if "
                             "it does at least as well on the held-out examples."))
    return redirect("model_list")
