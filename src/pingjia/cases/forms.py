"""The fields each case action takes. Pages and the API hand their input to
`services.case_act`, which validates it here, so both get the same rules and messages."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from pingjia.accounts.models import Department, User
from pingjia.accounts.roles import Role
from pingjia.analysis.models import Category
from pingjia.cases.models import Case, Finding
from pingjia.cases.workflow import Action, CancelReason, Priority, Verdict


class ActionForm(forms.Form):
    def __init__(self, *args: Any, case: Case, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.case = case


def _text(label: Any, *, required: bool = True, rows: int = 3) -> forms.CharField:
    return forms.CharField(label=label, required=required, max_length=4000,
                           widget=forms.Textarea(attrs={"rows": rows}))


class _Departments(ActionForm):
    lead_department = forms.ModelChoiceField(
        label=_("Lead department"), queryset=Department.objects.active())
    co_departments = forms.ModelMultipleChoiceField(
        label=_("Co-departments"), queryset=Department.objects.active(), required=False)

    def __init__(self, *args: Any, case: Case, **kwargs: Any) -> None:
        super().__init__(*args, case=case, **kwargs)
        if not self.is_bound and case.proposed_department_id:
            self.initial.setdefault("lead_department", case.proposed_department_id)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        lead = data.get("lead_department")
        if lead is not None:
            data["co_departments"] = [d for d in data.get("co_departments") or []
                                      if d.pk != lead.pk]
        return data


class AssignForm(_Departments):
    category = forms.ModelChoiceField(label=_("Category"), required=False,
                                      queryset=Category.objects.active())
    priority = forms.ChoiceField(label=_("Priority"), choices=Priority.choices, required=False)
    note = _text(_("Note"), required=False, rows=2)


class ReassignForm(_Departments):
    reason = _text(_("Reason"))


class AcceptForm(ActionForm):
    handler = forms.ModelChoiceField(label=_("Handler"), queryset=User.objects.none())
    note = _text(_("Note"), required=False, rows=2)

    def __init__(self, *args: Any, case: Case, **kwargs: Any) -> None:
        super().__init__(*args, case=case, **kwargs)
        field = self.fields["handler"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = User.objects.filter(
            is_active=True, memberships__department=case.lead_department_id,
            memberships__role__in=[Role.HANDLER, Role.DEPARTMENT_HEAD]).distinct()


class PlanForm(ActionForm):
    measures = _text(_("Measures"))
    deadline = forms.DateTimeField(label=_("Deadline"),
                                   widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    goal = _text(_("Expected goal"), rows=2)

    def clean_deadline(self) -> Any:
        deadline = self.cleaned_data["deadline"]
        if deadline <= timezone.now():
            raise forms.ValidationError(_("The deadline must be in the future."))
        return deadline


class ReportForm(ActionForm):
    text = _text(_("What was done"))
    evidence = _text(_("Evidence"), required=False, rows=2)


class DeptApproveForm(ActionForm):
    """The department head's 差评整改反馈表 (seed 001 §3(四)1)."""

    done = _text(_("What was done"))
    root_cause = _text(_("Root cause"), rows=2)
    result = _text(_("Result"), rows=2)
    prevention = _text(_("Preventive measures"), rows=2)


class ReasonForm(ActionForm):
    reason = _text(_("Reason"))


class RejectForm(ActionForm):
    reason = _text(_("What is wrong"))
    requirements = _text(_("What is required"))


class NoteForm(ActionForm):
    note = _text(_("Note"), required=False, rows=2)


INFORM_CHANNELS = [
    ("phone", _("Phone call")), ("sms", _("Text message")), ("platform", _("Platform reply")),
    ("email", _("E-mail")), ("wechat", _("WeChat")), ("in_person", _("In person")),
]


class InformForm(ActionForm):
    channel = forms.ChoiceField(label=_("Channel"), choices=INFORM_CHANNELS)
    text = _text(_("What the customer was told"))


class FollowUpForm(ActionForm):
    verdict = forms.ChoiceField(label=_("Customer's verdict"), choices=Verdict.choices)
    note = _text(_("Note"), required=False, rows=2)


class CancelForm(ActionForm):
    reason_code = forms.ChoiceField(label=_("Reason"), choices=CancelReason.choices)
    note = _text(_("Explanation"))


class TextForm(ActionForm):
    text = _text(_("Text"))


class ContactForm(ActionForm):
    channel = forms.ChoiceField(label=_("Channel"), choices=INFORM_CHANNELS)
    text = _text(_("What was said"))


class AnswerFindingForm(ActionForm):
    finding = forms.ModelChoiceField(label=_("Finding"), queryset=Finding.objects.none())
    answer = _text(_("Answer"))

    def __init__(self, *args: Any, case: Case, **kwargs: Any) -> None:
        super().__init__(*args, case=case, **kwargs)
        field = self.fields["finding"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = case.findings.filter(answered_at__isnull=True)


ACTION_FORMS: dict[Action, type[ActionForm]] = {
    Action.ASSIGN: AssignForm,
    Action.ACCEPT: AcceptForm,
    Action.PLAN: PlanForm,
    Action.REPORT: ReportForm,
    Action.DEPT_APPROVE: DeptApproveForm,
    Action.DEPT_RETURN: ReasonForm,
    Action.APPROVE: NoteForm,
    Action.REJECT: RejectForm,
    Action.INFORM: InformForm,
    Action.FOLLOW_UP: FollowUpForm,
    Action.WAIT_CUSTOMER: ReasonForm,
    Action.RESUME: NoteForm,
    Action.ESCALATE: ReasonForm,
    Action.REASSIGN: ReassignForm,
    Action.CANCEL: CancelForm,
    Action.NOTE: TextForm,
    Action.CONTACT: ContactForm,
    Action.FINDING: TextForm,
    Action.ANSWER_FINDING: AnswerFindingForm,
}
