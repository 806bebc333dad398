from django.contrib import admin

from taawun.web.admin_mixins import ReadOnlyAdmin

from .models import Order, OrderEvent, Rating


class EventInline(ReadOnlyAdmin, admin.TabularInline):
    model = OrderEvent
    extra = 0
    readonly_fields = ("kind", "actor", "at", "note", "data")


@admin.register(Order)
class OrderAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    list_display = ("id", "sector", "status", "title", "customer", "worker", "price", "currency")
    list_filter = ("sector", "status")
    search_fields = ("title", "customer__email")
    inlines = (EventInline,)


@admin.register(Rating)
class RatingAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    list_display = ("order", "stars", "rated_at")
