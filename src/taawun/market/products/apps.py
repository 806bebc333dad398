from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProductsConfig(AppConfig):
    name = "taawun.market.products"
    label = "market_products"
    verbose_name = _("Local products")
