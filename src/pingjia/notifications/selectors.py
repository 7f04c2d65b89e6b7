"""Reads of a person's notifications and choices."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.core.cache import cache
from django.db.models import Count

from pingjia.notifications.models import (
    DEFAULT_WAYS,
    Notification,
    NotificationKind,
    NotificationPreference,
    NotificationQuerySet,
    Way,
)

# The header shows the count on every page, so it is kept in the cache (shared by every web
# process through Redis in production): set when a person logs in and whenever their count
# changes, so that a page normally reads it without a query. The time limit only bounds how
# stale a count could get if a change ever bypassed the services.
UNREAD_CACHE_SECONDS = 3600


def _unread_key(user_id: int) -> str:
    return f"pingjia:notifications:unread:{user_id}"


def unread_count(user: Any) -> int:
    """The header's badge: from the cache, else one COUNT on the partial index of unread
    rows."""
    if not user.is_authenticated:
        return 0
    count = cache.get(_unread_key(user.pk))
    if count is None:
        return unread_counts_refresh([user.pk])[user.pk]
    return int(count)


def unread_counts_refresh(user_ids: Iterable[int]) -> dict[int, int]:
    """Count the unread notifications of these people again, in one query, and cache them."""
    counts = dict.fromkeys(user_ids, 0)
    counts.update(Notification.objects.filter(user__in=counts, in_app=True,
                                              read_at__isnull=True)
                  .values("user").annotate(unread=Count("pk")).values_list("user", "unread"))
    cache.set_many({_unread_key(user_id): count for user_id, count in counts.items()},
                   UNREAD_CACHE_SECONDS)
    return counts


def notification_list(*, user: Any, before: int | None = None) -> NotificationQuerySet:
    """The user's notifications, newest first; `before` pages back by id."""
    notifications = Notification.objects.for_user(user).only(
        "pk", "kind", "title", "body", "created_at", "read_at").order_by("-pk")
    if before is not None:
        notifications = notifications.filter(pk__lt=before)
    return notifications


def notification_preferences(*, user: Any) -> dict[str, frozenset[str]]:
    """The ways chosen for each kind, the defaults where the user has not chosen."""
    ways = dict(DEFAULT_WAYS)
    for preference in NotificationPreference.objects.filter(user=user):
        ways[preference.kind] = frozenset(
            way for way, on in ((Way.IN_APP, preference.in_app), (Way.EMAIL, preference.email))
            if on)
    return {kind.value: ways[kind] for kind in NotificationKind}
