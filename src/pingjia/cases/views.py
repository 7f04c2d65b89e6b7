"""The case pages: the work queues, the case with its timeline and the actions the user may
take now (forms inline, HTMX), opening a case from a review, and bulk assignment."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.html import escape
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from pingjia.accounts import services as account_services
from pingjia.accounts.access import require_permission
from pingjia.accounts.forms import RevealForm
from pingjia.accounts.models import Department, Store, User
from pingjia.accounts.views import client_ip, is_htmx
from pingjia.analysis.models import Category
from pingjia.analysis.views import labels_context
from pingjia.cases import links, selectors, services
from pingjia.cases.forms import ACTION_FORMS
from pingjia.cases.models import Case
from pingjia.cases.selectors import CaseFilter, Queue
from pingjia.cases.workflow import CUSTOMER_WORDS, Action, State
from pingjia.core.errors import ApplicationError

PAGE_SIZE = 50


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


class CaseFilterForm(forms.Form):
    state = forms.ChoiceField(label=gettext_lazy("State"), required=False,
                              choices=[("", gettext_lazy("All")), *State.choices])
    department = forms.ModelChoiceField(label=gettext_lazy("Lead department"), required=False,
                                        empty_label=gettext_lazy("All"),
                                        queryset=Department.objects.none())
    category = forms.ModelChoiceField(label=gettext_lazy("Category"), required=False,
                                      empty_label=gettext_lazy("All"),
                                      queryset=Category.objects.active())
    store = forms.ModelChoiceField(label=gettext_lazy("Store"), required=False,
                                   empty_label=gettext_lazy("All"),
                                   queryset=Store.objects.none())

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        department = self.fields["department"]
        store = self.fields["store"]
        assert isinstance(department, forms.ModelChoiceField)
        assert isinstance(store, forms.ModelChoiceField)
        department.queryset = Department.objects.visible_to(user).active()
        store.queryset = Store.objects.visible_to(user).filter(is_active=True)

    def case_filter(self, queue: str) -> CaseFilter:
        if not self.is_valid():
            return CaseFilter(queue=queue)
        data = self.cleaned_data
        return CaseFilter(
            queue=queue, state=data["state"],
            department=data["department"].pk if data["department"] else None,
            category=data["category"].pk if data["category"] else None,
            store=data["store"].pk if data["store"] else None)


class BulkAssignForm(forms.Form):
    cases = forms.ModelMultipleChoiceField(queryset=Case.objects.all())
    lead_department = forms.ModelChoiceField(label=gettext_lazy("Lead department"),
                                             queryset=Department.objects.active())


@require_GET
def case_list(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    require_permission(user, "cases.view_case")
    queue = request.GET.get("queue", "")
    if queue not in Queue.LABELS:
        queue = Queue.MINE
    form = CaseFilterForm(request.GET, user=user)
    cases = selectors.case_list(user=user, filters=form.case_filter(queue)).order_by("-pk")
    after = request.GET.get("after", "")
    if after.isdigit():
        cases = cases.filter(pk__lt=int(after))
    page = list(cases[:PAGE_SIZE + 1])
    query = request.GET.copy()
    query.pop("after", None)
    context = {
        "form": form, "queue": queue, "queues": Queue.LABELS, "query": query.urlencode(),
        "cases": page[:PAGE_SIZE], "now": timezone.now(),
        "next_after": page[PAGE_SIZE - 1].pk if len(page) > PAGE_SIZE else "",
        "may_assign": user.has_perm("cases.assign_case"),
        "departments": Department.objects.active(),
    }
    template = "cases/case_list.html" + ("#results" if is_htmx(request) else "")
    return render(request, template, context)


def _case_context(request: HttpRequest, user: User, case_id: int, *,
                  failed: tuple[Action, Any] | None = None, error: str = "") -> dict[str, Any]:
    case = selectors.case_detail(user=user, case_id=case_id)
    forms_shown = []
    for action in services.available_actions(user, case):
        if failed is not None and failed[0] is action:
            forms_shown.append((action, failed[1]))
        else:
            forms_shown.append((action, ACTION_FORMS[action](case=case,
                                                              auto_id=f"id_{action}_%s")))
    follow = links.follow_url(request, case) if user.has_perm("cases.comment_case", case) else ""
    may_reveal = bool(case.customer and case.customer.phone and user.has_perm(
        "accounts.view_personal_data", case.customer))
    return {"case": case, "action_forms": forms_shown, "error": error, "now": timezone.now(),
            "follow_url": follow, "may_reveal": may_reveal,
            "labels": [labels_context(review, user) for review in case.reviews.all()],
            "open_findings": [f for f in case.findings.all() if f.answered_at is None],
            "failed_action": failed[0].value if failed else ""}


@login_not_required
@require_GET
def case_follow(request: HttpRequest, token: str) -> HttpResponse:
    """The customer's private page: their case in plain words."""
    case_id = links.case_id_from_token(token)
    if case_id is None or not Case.objects.filter(pk=case_id).exists():
        raise Http404
    case, milestones = selectors.case_for_customer(case_id)
    return render(request, "cases/case_follow.html", {
        "case": case, "milestones": milestones, "status": CUSTOMER_WORDS[State(case.state)]})


@require_GET
def case_detail(request: HttpRequest, case_id: int) -> HttpResponse:
    context = _case_context(request, _user(request), case_id)
    return render(request, "cases/case_detail.html", context)


@require_POST
def case_action(request: HttpRequest, case_id: int, action: str) -> HttpResponse:
    """Take an action; HTMX gets the refreshed case body, a plain form post a redirect. A
    refusal or invalid fields show on the page with the form as it was filled in."""
    user = _user(request)
    version = request.POST.get("version", "")
    try:
        services.case_act(case_id=case_id, actor=user, action=action, data=request.POST,
                          version=int(version) if version.isdigit() else None)
    except PermissionDenied:
        raise
    except ApplicationError as error:
        failed = None
        if error.code == "invalid" and action in Action.values:
            act = Action(action)
            case = services.access_case(user, case_id)
            failed_form = ACTION_FORMS[act](request.POST, case=case, auto_id=f"id_{act}_%s")
            failed_form.is_valid()
            failed = (act, failed_form)
        context = _case_context(request, user, case_id, failed=failed, error=error.message)
        if is_htmx(request):
            return render(request, "cases/case_detail.html#body", context)
        return render(request, "cases/case_detail.html", context, status=error.status)
    if is_htmx(request):
        return render(request, "cases/case_detail.html#body",
                      _case_context(request, user, case_id))
    messages.success(request, _("Done: %(action)s.") % {"action": Action(action).label})
    return redirect("case_detail", case_id=case_id)


@require_POST
def case_customer_phone(request: HttpRequest, case_id: int) -> HttpResponse:
    """The case's customer's phone, unmasked for a user allowed to see it, with a reason
    (audited): the handler and the head call the customer while the case is open."""
    user = _user(request)
    case = services.access_case(user, case_id)
    form = RevealForm(request.POST)
    if case.customer is None or not form.is_valid():
        return HttpResponse(_("Give the reason to view the number."), status=400)
    phone = account_services.personal_data_reveal(
        actor=user, obj=case.customer, field="phone", reason=form.cleaned_data["reason"],
        ip=client_ip(request))
    return HttpResponse(f'<span class="masked" id="customer-phone">{escape(phone)}</span>')


@require_POST
def case_open_from_review(request: HttpRequest, review_id: int) -> HttpResponse:
    user = _user(request)
    try:
        opened = services.case_open(actor=user, review_ids=[review_id])
    except ApplicationError as error:
        messages.error(request, error.message)
        return redirect("review_detail", review_id=review_id)
    if opened.attached:
        messages.info(request, _("The review joined the customer's open case %(number)s.")
                      % {"number": opened.case.number})
    return redirect("case_detail", case_id=opened.case.pk)


@require_POST
def case_bulk_assign(request: HttpRequest) -> HttpResponse:
    """Assign several registered cases to one department; each case is its own action, so
    one refused case does not stop the others."""
    user = _user(request)
    require_permission(user, "cases.assign_case")
    form = BulkAssignForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose cases and a department."))
        return redirect("case_list")
    done, refused = 0, []
    for case in form.cleaned_data["cases"]:
        try:
            services.case_act(case_id=case.pk, actor=user, action=Action.ASSIGN,
                              data={"lead_department": form.cleaned_data["lead_department"].pk})
            done += 1
        except (ApplicationError, PermissionDenied) as error:
            refused.append(f"{case.number}: {getattr(error, 'message', error)}")
    messages.success(request, _("%(count)d cases assigned.") % {"count": done})
    for line in refused:
        messages.error(request, line)
    return redirect(request.POST.get("next") or "case_list")
