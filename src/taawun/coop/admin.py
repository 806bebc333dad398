from django.contrib import admin

from taawun.web.admin_mixins import ReadOnlyAdmin

from .models import Coop, PolicyVersion


@admin.register(Coop)
class CoopAdmin(admin.ModelAdmin):
    """The profile texts are editable by operators; founding happens through the founding page."""

    list_display = ["name_en", "name_ar", "handle", "city", "founded_at"]
    readonly_fields = ["handle", "founded_at"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(PolicyVersion)
class PolicyVersionAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    list_display = ["number", "reason", "effective_from", "digest"]
