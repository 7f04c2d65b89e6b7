from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "pingjia.accounts"
    label = "accounts"
    verbose_name = _("Organisation and people")

    def ready(self) -> None:
        from pingjia.accounts.roles import sync_role_groups

        # Permissions exist only after migrate has created them (Django does it post_migrate
        # too, app by app), so the roles' default permissions are granted after each app's;
        # granting is idempotent.
        post_migrate.connect(sync_role_groups, dispatch_uid="pingjia-sync-role-groups")
