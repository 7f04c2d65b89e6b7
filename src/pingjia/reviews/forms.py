from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

from django import forms
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from pingjia.accounts.models import Store
from pingjia.analysis.models import Category, SentimentLabel
from pingjia.reviews.importing.formats import FORMATS
from pingjia.reviews.models import Channel
from pingjia.reviews.selectors import ReviewFilter


class ImportForm(forms.Form):
    file = forms.FileField(label=_("File"), help_text=_("CSV (UTF-8 or GBK), XLSX or XLS."))
    channel = forms.ModelChoiceField(label=_("Channel"),
                                     queryset=Channel.objects.filter(is_active=True))
    store = forms.ModelChoiceField(label=_("Store"), required=False,
                                   queryset=Store.objects.filter(is_active=True),
                                   help_text=_("For rows that name no store."))
    format = forms.ChoiceField(label=_("Format"), initial="auto")
    dry_run = forms.BooleanField(label=_("Dry run: check only, change nothing"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["format"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [("auto", _("Recognise from the header row"))] + [
            (f.code, f.label) for f in FORMATS.values()]

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        limit = settings.PINGJIA_IMPORT_MAX_MB
        if upload.size > limit * 1024 * 1024:
            raise forms.ValidationError(_("The file is larger than %(limit)s MB.")
                                        % {"limit": limit})
        return upload


class InvitationImportForm(forms.Form):
    file = forms.FileField(label=_("File"), help_text=_(
        "CSV or XLSX with the columns 门店编码, and any of 外部编号, 订单号, 服务, 客户姓名, "
        "手机号, 服务完成时间."))


class RegisterForm(forms.Form):
    """A complaint received by phone, e-mail, letter or on site."""

    channel = forms.ModelChoiceField(
        label=_("Received by"),
        queryset=Channel.objects.filter(is_active=True).exclude(kind=Channel.Kind.PLATFORM))
    reviewed_at = forms.DateTimeField(label=_("Received at"), initial=timezone.now,
                                      widget=forms.DateTimeInput(attrs={"type":
                                                                        "datetime-local"}))
    store = forms.ModelChoiceField(label=_("Store"), required=False,
                                   queryset=Store.objects.filter(is_active=True))
    rating = forms.TypedChoiceField(label=_("Rating"), required=False, coerce=int,
                                    empty_value=None,
                                    choices=[("", _("None given")),
                                             *[(n, f"{n} ★") for n in range(1, 6)]])
    text = forms.CharField(label=_("What the customer said"), max_length=10_000,
                           widget=forms.Textarea(attrs={"rows": 5}))
    customer_name = forms.CharField(label=_("Customer name"), required=False, max_length=60)
    customer_phone = forms.CharField(label=_("Customer phone"), required=False, max_length=30)
    customer_email = forms.EmailField(label=_("Customer e-mail"), required=False)
    order_id = forms.CharField(label=_("Order"), required=False, max_length=64)
    product = forms.CharField(label=_("Product or service"), required=False, max_length=200)
    open_case = forms.BooleanField(label=_("Open a rectification case"), required=False,
                                   initial=True)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not user.has_perm("cases.add_case"):
            del self.fields["open_case"]


class PublicReviewForm(forms.Form):
    """The customer's form: stars, the organisation's tags, free text, an optional phone.
    `website` is a honeypot: people never see it, bots fill it in."""

    rating = forms.TypedChoiceField(label=_("Your rating"), coerce=int,
                                    choices=[(n, f"{n} ★") for n in range(5, 0, -1)],
                                    widget=forms.RadioSelect)
    tags = forms.MultipleChoiceField(label=_("What stood out"), required=False,
                                     widget=forms.CheckboxSelectMultiple)
    text = forms.CharField(label=_("Tell us more"), required=False, max_length=2000,
                           widget=forms.Textarea(attrs={"rows": 4}))
    phone = forms.CharField(label=_("Phone (optional, if you would like us to call back)"),
                            required=False, max_length=30)
    website = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, tags: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["tags"]
        assert isinstance(field, forms.MultipleChoiceField)
        field.choices = [(tag, tag) for tag in tags]

    def clean_phone(self) -> str:
        from pingjia.reviews.importing import cells

        written = self.cleaned_data["phone"].strip()
        try:
            phone = cells.phone(written)
        except ValueError:
            phone = ""
        if written and len(phone.lstrip("+")) < 7:
            raise forms.ValidationError(_("Please enter a phone number."))
        return phone

    def is_bot(self) -> bool:
        return bool(self.data.get("website"))


HIDDEN_COMPLAINT = "hidden"  # the sentiment filter's choice for 好评差评
OLDEST_FIRST = "oldest"  # the order's choice other than newest first


class ReviewFilterForm(forms.Form):
    q = forms.CharField(label=_("Text"), required=False)
    channel = forms.ChoiceField(label=_("Channel"), required=False)
    store = forms.ModelChoiceField(label=_("Store"), required=False, empty_label=_("All"),
                                   queryset=Store.objects.none())
    rating = forms.ChoiceField(label=_("Rating"), required=False, choices=[
        ("", _("All")), ("negative", _("Negative (1–2 stars)")),
        *[(str(n), f"{n} ★") for n in range(5, 0, -1)]])
    since = forms.DateField(label=_("From"), required=False,
                            widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(label=_("To"), required=False,
                            widget=forms.DateInput(attrs={"type": "date"}))
    sentiment = forms.ChoiceField(label=_("Sentiment"), required=False, choices=[
        ("", _("All")), *SentimentLabel.choices,
        (HIDDEN_COMPLAINT, _("Hidden complaint (4–5 stars, negative text)"))])
    category = forms.ChoiceField(label=_("Category"), required=False)
    order = forms.ChoiceField(label=_("Sort by"), required=False, choices=[
        ("", _("Newest first")), (OLDEST_FIRST, _("Oldest first"))])

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        category = self.fields["category"]
        assert isinstance(category, forms.ChoiceField)
        category.choices = [("", _("All"))] + [(c.code, c.name)
                                               for c in Category.objects.active()]
        field = self.fields["channel"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [("", _("All"))] + [(c.code, c.name) for c in
                                            Channel.objects.filter(is_active=True)]
        store = self.fields["store"]
        assert isinstance(store, forms.ModelChoiceField)
        store.queryset = Store.objects.visible_to(user).filter(is_active=True)

    def described(self) -> list[tuple[str, str]]:
        """The filters in use, as a reader would name them: (label, value) pairs."""
        if not self.is_valid():
            return []
        named = []
        for name, field in self.fields.items():
            value = self.cleaned_data.get(name)
            if value in (None, ""):
                continue
            if isinstance(field, forms.ChoiceField) and not isinstance(
                    field, forms.ModelChoiceField):
                value = dict(field.choices).get(value, value)  # type: ignore[arg-type]
            named.append((str(field.label), str(value)))
        return named

    def review_filter(self) -> ReviewFilter:
        if not self.is_valid():
            return ReviewFilter()
        data = self.cleaned_data
        zone = timezone.get_current_timezone()
        rating, sentiment = data["rating"], data["sentiment"]
        return ReviewFilter(
            channel=data["channel"], text=data["q"].strip(),
            sentiment="" if sentiment == HIDDEN_COMPLAINT else sentiment,
            hidden_complaint=sentiment == HIDDEN_COMPLAINT, category=data["category"],
            store=data["store"].pk if data["store"] else None,
            rating=int(rating) if rating.isdigit() else None,
            rating_max=2 if rating == "negative" else None,
            since=datetime.combine(data["since"], time.min, zone) if data["since"] else None,
            until=(datetime.combine(data["until"] + timedelta(days=1), time.min, zone)
                   if data["until"] else None),
            oldest_first=data["order"] == OLDEST_FIRST)
