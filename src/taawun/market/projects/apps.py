from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProjectsConfig(AppConfig):
    name = "taawun.market.projects"
    label = "market_projects"
    verbose_name = _("Freelance projects")
