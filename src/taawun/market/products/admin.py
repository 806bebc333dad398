from django.contrib import admin

from taawun.web.admin_mixins import ReadOnlyAdmin

from .models import Basket, BasketLine, Product


@admin.register(Product)
class ProductAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    list_display = ["name_en", "name_ar", "producer", "unit_price", "unit", "stock", "active"]
    list_filter = ["active", "pickup", "delivery"]
    search_fields = ["name_en", "name_ar"]


class BasketLineInline(ReadOnlyAdmin, admin.TabularInline):
    model = BasketLine


@admin.register(Basket)
class BasketAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    list_display = ["order", "fulfilment", "method", "trip"]
    list_filter = ["fulfilment"]
    inlines = [BasketLineInline]
