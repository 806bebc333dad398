from django.contrib import admin

from taawun.web.admin_mixins import ReadOnlyAdmin

from .models import ApiToken, IdempotencyRecord


@admin.register(ApiToken)
class ApiTokenAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    """Members create and revoke their tokens themselves; the digest is never useful to show."""

    list_display = ["name", "user", "created_at", "last_used_at", "revoked_at"]
    exclude = ["digest"]
    search_fields = ["name", "user__email"]


@admin.register(IdempotencyRecord)
class IdempotencyRecordAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    list_display = ["key", "user", "method", "path", "status", "created_at"]
    search_fields = ["key", "user__email"]
