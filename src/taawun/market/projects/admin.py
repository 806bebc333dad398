from django.contrib import admin

from taawun.web.admin_mixins import ReadOnlyAdmin

from .models import Brief, Milestone, PlannedMilestone, Proposal


class StepInline(ReadOnlyAdmin, admin.TabularInline):
    model = PlannedMilestone
    extra = 0


@admin.register(Brief)
class BriefAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    list_display = ("id", "title", "customer", "status", "budget", "deadline", "created_at")
    list_filter = ("status",)
    search_fields = ("title", "customer__email")


@admin.register(Proposal)
class ProposalAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    list_display = ("id", "brief", "worker", "price", "days", "status")
    list_filter = ("status",)
    inlines = (StepInline,)


@admin.register(Milestone)
class MilestoneAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    list_display = ("order", "brief", "number", "title", "due_on", "delivered_at")
