from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OperationsConfig(AppConfig):
    name = "taawun.transparency.operations"
    label = "transparency_operations"
    verbose_name = _("Operations room")
