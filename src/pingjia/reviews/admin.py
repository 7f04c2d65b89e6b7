from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from pingjia.accounts.admin import AuditedAdmin
from pingjia.reviews.models import Channel, ImportRun, ReviewTag


@admin.register(Channel)
class ChannelAdmin(AuditedAdmin):
    list_display = ["code", "name", "kind", "import_format", "is_active", "sort_order"]
    list_filter = ["kind", "is_active"]
    list_editable = ["is_active", "sort_order"]
    search_fields = ["code", "name"]


@admin.register(ReviewTag)
class ReviewTagAdmin(AuditedAdmin):
    list_display = ["name", "sort_order", "is_active"]
    list_editable = ["sort_order", "is_active"]


@admin.register(ImportRun)
class ImportRunAdmin(admin.ModelAdmin):
    list_display = ["file_name", "channel", "format", "status", "rows_read", "created",
                    "updated", "duplicates", "rejected", "started_at", "created_by"]
    list_filter = ["status", "channel", "format"]
    search_fields = ["file_name"]
    list_select_related = ["channel", "created_by"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
