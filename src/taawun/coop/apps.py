from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoopConfig(AppConfig):
    name = "taawun.coop"
    label = "coop"
    verbose_name = _("The co-op and its policy")
