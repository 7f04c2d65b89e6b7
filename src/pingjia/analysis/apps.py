from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class AnalysisConfig(AppConfig):
    name = "pingjia.analysis"
    label = "analysis"
    verbose_name = _("Analysis")

    def ready(self) -> None:
        from pingjia.analysis.models import categories_create_defaults

        post_migrate.connect(categories_create_defaults, sender=self)
