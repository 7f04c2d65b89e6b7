from __future__ import annotations

from django import forms, template
from django.utils.safestring import SafeString

register = template.Library()

_CLASSES = {
    forms.Select: "form-select",
    forms.SelectMultiple: "form-select",
    forms.CheckboxInput: "form-check-input",
    forms.CheckboxSelectMultiple: "",
    forms.RadioSelect: "",
}


@register.filter
def styled(field: forms.BoundField) -> SafeString:
    """The field's widget with the layout's classes, marked invalid when it has errors."""
    widget = field.field.widget
    css = next((c for kind, c in _CLASSES.items() if isinstance(widget, kind)), "form-control")
    if field.errors and css:
        css += " is-invalid"
    return field.as_widget(attrs={"class": css} if css else None)


@register.filter
def time_left(case: object, now: object) -> str:
    """A case's current stage's time left: 3h, 2d 4h, -5h when overdue."""
    return case.time_left(now)  # type: ignore[attr-defined]


_POLARITY_BADGES = {"negative": "bg-red-lt", "positive": "bg-green-lt"}


@register.filter
def polarity_badge(polarity: str) -> str:
    """The badge colour of a sentiment or an aspect's polarity: red, green, or grey."""
    return _POLARITY_BADGES.get(polarity, "bg-secondary-lt")
