from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from pingjia.notifications.selectors import unread_count


def unread(request: HttpRequest) -> dict[str, Any]:
    """The unread count for the header, queried only when a page shows it."""
    return {"unread_notifications": SimpleLazyObject(lambda: unread_count(request.user))}
