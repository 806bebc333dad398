from django.contrib import admin

from taawun.web.admin_mixins import ReadOnlyAdmin

from .models import AuditEntry


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    list_display = ["seq", "at", "action", "subject_type", "subject_id", "policy_version"]
    list_filter = ["action", "subject_type"]
    search_fields = ["subject_id", "action"]
