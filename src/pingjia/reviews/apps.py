from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class ReviewsConfig(AppConfig):
    name = "pingjia.reviews"
    label = "reviews"
    verbose_name = _("Reviews")

    def ready(self) -> None:
        from pingjia.reviews.models import channels_create_defaults

        post_migrate.connect(channels_create_defaults, sender=self)
