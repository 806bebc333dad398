from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ServicesConfig(AppConfig):
    name = "taawun.market.services"
    label = "market_services"
    verbose_name = _("Scheduled services")
