from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FederationConfig(AppConfig):
    name = "taawun.federation"
    label = "federation"
    verbose_name = _("Sister co-ops")
