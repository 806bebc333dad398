from django.contrib import admin

from taawun.web.admin_mixins import ReadOnlyAdmin

from .models import DispatchRun, Offer, Place, Presence, Trip


@admin.register(Place)
class PlaceAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    list_display = ["name_en", "name_ar", "latitude", "longitude"]


@admin.register(Trip)
class TripAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    list_display = ["order", "kind", "pickup_label", "dropoff_label", "estimated_km", "method"]
    list_filter = ["kind"]


@admin.register(Presence)
class PresenceAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    list_display = ["worker", "online", "updated_at"]


@admin.register(DispatchRun)
class DispatchRunAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    list_display = ["at", "solver", "requests", "workers", "assigned", "policy_version"]


@admin.register(Offer)
class OfferAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    list_display = ["trip", "worker", "status", "offered_at", "answered_at"]
    list_filter = ["status"]
