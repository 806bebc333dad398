from django.contrib import admin

from taawun.web.admin_mixins import ReadOnlyAdmin

from .models import Availability, Booking, Service


@admin.register(Service)
class ServiceAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    list_display = ("id", "title_en", "title_ar", "duration_minutes", "active")
    list_filter = ("active",)


@admin.register(Availability)
class AvailabilityAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    list_display = ("worker", "weekday", "starts", "ends")


@admin.register(Booking)
class BookingAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    list_display = ("order", "service", "worker", "starts_at", "ends_at", "method", "active")
    list_filter = ("active", "method")
