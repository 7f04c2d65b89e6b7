from __future__ import annotations

from typing import Any

from django import forms

from pingjia.notifications.models import NotificationKind, Way


class PreferencesForm(forms.Form):
    """One tick box per kind of notification and way of being told: `<kind>__<way>`."""

    def __init__(self, *args: Any, initial_ways: dict[str, frozenset[str]],
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for kind in NotificationKind:
            for way in Way:
                self.fields[f"{kind.value}__{way.value}"] = forms.BooleanField(
                    label=f"{kind.label}: {way.label}", required=False,
                    initial=way.value in initial_ways.get(kind.value, frozenset()))

    def rows(self) -> list[tuple[str, list[forms.BoundField]]]:
        return [(str(kind.label), [self[f"{kind.value}__{way.value}"] for way in Way])
                for kind in NotificationKind]

    def ways(self) -> dict[str, set[str]]:
        return {kind.value: {way.value for way in Way
                             if self.cleaned_data[f"{kind.value}__{way.value}"]}
                for kind in NotificationKind}
