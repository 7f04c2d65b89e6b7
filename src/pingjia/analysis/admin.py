from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from pingjia.accounts.admin import AuditedAdmin
from pingjia.analysis.models import Category
from pingjia.analysis.services import reanalysed_if_taxonomy_changes


@admin.register(Category)
class CategoryAdmin(AuditedAdmin):
    """Rename, add, merge (set "merged into") and retire (untick "active") categories; a
    category in use is never deleted, so past cases keep theirs. Where a change reaches the
    text analysis (not the order or a description), every review is analysed again."""

    list_display = ["code", "name", "kind", "is_active", "merged_into", "sort_order"]
    list_editable = ["name", "is_active", "sort_order"]
    list_filter = ["is_active", "kind"]

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        with reanalysed_if_taxonomy_changes():
            super().save_model(request, obj, form, change)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

