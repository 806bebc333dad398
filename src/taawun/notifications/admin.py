from django.contrib import admin

from taawun.web.admin_mixins import ReadOnlyAdmin

from .models import Notification, Preference


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    """For an operator to see why an email did not go: its state and attempts."""

    list_display = ["id", "recipient_id", "kind", "created_at", "read_at", "email_state"]
    list_filter = ["kind", "email_state"]


@admin.register(Preference)
class PreferenceAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    list_display = ["id", "user_id", "kind", "in_app", "email"]
    list_filter = ["kind"]
