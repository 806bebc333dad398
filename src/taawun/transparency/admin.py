from django.contrib import admin

from taawun.web.admin_mixins import ReadOnlyAdmin

from .models import AuditEntry, LogAlarm, TreeHead


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    list_display = ["seq", "at", "action", "subject_type", "subject_id", "policy_version"]
    list_filter = ["action", "subject_type"]
    search_fields = ["subject_id", "action"]


@admin.register(TreeHead)
class TreeHeadAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    list_display = ["size", "signed_at", "key"]
    fields = ["size", "signed_at", "key", "note"]


@admin.register(LogAlarm)
class LogAlarmAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    list_display = ["raised_at", "kind", "detail"]
    list_filter = ["kind"]
