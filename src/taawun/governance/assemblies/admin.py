from django.contrib import admin

from taawun.web.admin_mixins import ReadOnlyAdmin

from .models import AgendaItem, Assembly, AssemblyRequest, Attendance, MinutesAddendum


@admin.register(Assembly)
class AssemblyAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    list_display = ("number", "title", "kind", "status", "starts_at", "present", "eligible")
    list_filter = ("kind", "status")


@admin.register(AgendaItem)
class AgendaItemAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    list_display = ("assembly", "position", "title", "proposal")


@admin.register(Attendance)
class AttendanceAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    list_display = ("assembly", "member", "at", "recorded_by")


@admin.register(MinutesAddendum)
class MinutesAddendumAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    list_display = ("assembly", "author", "at")


@admin.register(AssemblyRequest)
class AssemblyRequestAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    list_display = ("title", "requested_by", "requested_at", "supported_at", "assembly")
