from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WorksConfig(AppConfig):
    name = "taawun.market.works"
    label = "market_works"
    verbose_name = _("Creative works")
