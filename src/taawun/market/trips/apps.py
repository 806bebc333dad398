from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TripsConfig(AppConfig):
    name = "taawun.market.trips"
    label = "market_trips"
    verbose_name = _("Trips")
