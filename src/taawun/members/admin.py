from django.contrib import admin

from taawun.web.admin_mixins import ReadOnlyAdmin

from .models import (
    Application,
    CapitalEntry,
    Instalment,
    Membership,
    Profile,
    Repayment,
    ShareOperation,
)


@admin.register(Application)
class ApplicationAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    list_display = ["id", "user", "member_class", "status", "submitted_at", "decided_at"]
    list_filter = ["status", "member_class"]
    list_select_related = ["user"]
    search_fields = ["user__email", "user__full_name"]


class InstalmentInline(admin.TabularInline):
    model = Instalment
    extra = 0
    can_delete = False
    readonly_fields = [
        "number",
        "due_on",
        "amount",
        "currency",
        "paid_at",
        "cancelled_at",
        "method",
        "reference",
        "receipt_number",
        "recorded_by",
    ]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Membership)
class MembershipAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    list_display = ["number", "user", "member_class", "status", "joined_on", "left_on"]
    list_filter = ["status", "member_class"]
    list_select_related = ["user"]
    search_fields = ["number", "user__email", "user__full_name"]
    inlines = [InstalmentInline]


@admin.register(ShareOperation)
class ShareOperationAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    list_display = [
        "register_number",
        "kind",
        "membership",
        "counterparty",
        "shares",
        "nominal",
        "currency",
        "at",
    ]
    list_filter = ["kind"]
    list_select_related = ["membership", "counterparty"]


@admin.register(CapitalEntry)
class CapitalEntryAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    list_display = ["membership", "kind", "amount", "currency", "at"]
    list_filter = ["kind"]
    list_select_related = ["membership"]


@admin.register(Repayment)
class RepaymentAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    list_display = ["membership", "amount", "currency", "due_on", "paid_at"]
    list_select_related = ["membership"]


@admin.register(Profile)
class ProfileAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    list_display = ["display_name", "user", "show_in_directory"]
    list_select_related = ["user"]
