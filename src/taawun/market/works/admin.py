from django.contrib import admin

from taawun.web.admin_mixins import ReadOnlyAdmin

from .models import LicenceGrant, Work


@admin.register(Work)
class WorkAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    list_display = ["title", "creator", "kind", "image_type", "active", "created_at"]
    list_filter = ["active", "kind", "image_type"]
    search_fields = ["title"]


@admin.register(LicenceGrant)
class LicenceGrantAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    list_display = ["order", "work", "licence_key", "buyer", "downloads", "granted_at"]
    list_filter = ["licence_key"]
    exclude = ["download_token"]
