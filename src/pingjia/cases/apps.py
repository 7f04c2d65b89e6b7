from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class CasesConfig(AppConfig):
    name = "pingjia.cases"
    label = "cases"
    verbose_name = _("Cases")

    def ready(self) -> None:
        from pingjia.cases.models import stage_limits_create_defaults

        post_migrate.connect(stage_limits_create_defaults, sender=self)
