from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from pingjia.accounts.models import AuditAction, TokenScope, User
from pingjia.accounts.selectors import AuditFilter, audit_target_types


class LoginForm(forms.Form):
    username = forms.CharField(label=_("Username"), max_length=40,
                               widget=forms.TextInput(attrs={"autofocus": True,
                                                             "autocomplete": "username"}))
    password = forms.CharField(label=_("Password"), strip=False,
                               widget=forms.PasswordInput(attrs={"autocomplete":
                                                                 "current-password"}))


class RevealForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=200,
                             help_text=_("Recorded in the audit trail."))


class TokenCreateForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=80,
                           help_text=_("What the token is for, e.g. 美团评价同步."))
    scopes = forms.MultipleChoiceField(label=_("Scopes"), choices=TokenScope.choices,
                                       widget=forms.CheckboxSelectMultiple)
    expires_in_days = forms.IntegerField(label=_("Expires after (days)"), required=False,
                                         min_value=1, max_value=3650,
                                         help_text=_("Leave empty for a token that does not "
                                                     "expire."))

    def expires_at(self) -> datetime | None:
        days = self.cleaned_data.get("expires_in_days")
        return timezone.now() + timedelta(days=days) if days else None


class AuditFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False)
    actor = forms.ModelChoiceField(label=_("Actor"), queryset=User.objects.all(),
                                   required=False, empty_label=_("All"))
    action = forms.ChoiceField(label=_("Action"), required=False)
    target_type = forms.ChoiceField(label=_("Object type"), required=False)
    since = forms.DateField(label=_("From"), required=False,
                            widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(label=_("To"), required=False,
                            widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        everything: list[tuple[str, Any]] = [("", _("All"))]
        action, target_type = self.fields["action"], self.fields["target_type"]
        assert isinstance(action, forms.ChoiceField)
        assert isinstance(target_type, forms.ChoiceField)
        action.choices = everything + list(AuditAction.choices)
        target_type.choices = everything + audit_target_types()

    def audit_filter(self) -> AuditFilter:
        """The filter the form describes; an invalid form filters nothing out."""
        if not self.is_valid():
            return AuditFilter()
        data = self.cleaned_data
        zone = timezone.get_current_timezone()
        since = datetime.combine(data["since"], time.min, zone) if data["since"] else None
        until = (datetime.combine(data["until"] + timedelta(days=1), time.min, zone)
                 if data["until"] else None)
        return AuditFilter(actor=data["actor"].pk if data["actor"] else None,
                           action=data["action"], target_type=data["target_type"],
                           since=since, until=until, text=data["q"])
