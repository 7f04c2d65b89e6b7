from typing import Any

from django.apps import AppConfig
from django.contrib.auth.signals import user_logged_in
from django.utils.translation import gettext_lazy as _


def _count_unread_at_login(sender: Any, user: Any, **kwargs: Any) -> None:
    """Warm the header's unread count, so that the pages after log-in read it from the cache.
    A cache, not a step of any business flow: nothing else hangs on this signal."""
    from pingjia.notifications.selectors import unread_counts_refresh

    unread_counts_refresh([user.pk])


class NotificationsConfig(AppConfig):
    name = "pingjia.notifications"
    label = "notifications"
    verbose_name = _("Notifications")

    def ready(self) -> None:
        user_logged_in.connect(_count_unread_at_login,
                               dispatch_uid="pingjia-notifications-unread-at-login")
