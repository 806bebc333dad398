from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OpenDataConfig(AppConfig):
    name = "taawun.transparency.opendata"
    label = "transparency_opendata"
    verbose_name = _("Open data")
