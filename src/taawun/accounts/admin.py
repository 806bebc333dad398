from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from taawun.web.admin_mixins import ReadOnlyAdmin

from .actions import note_account_change
from .models import RoleGrant, User


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    ordering = ["email"]
    list_display = ["email", "full_name", "is_active", "is_staff", "date_joined"]
    search_fields = ["email", "full_name"]
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        (_("Person"), {"fields": ("full_name",)}),
        (_("Permissions"), {"fields": ("is_active", "is_staff", "is_superuser")}),
        (_("Dates"), {"fields": ("last_login", "date_joined")}),
    )

    def save_model(self, request, obj, form, change):
        """An operator's edit is recorded like any other change to an account."""
        with transaction.atomic():
            super().save_model(request, obj, form, change)
            note_account_change(actor=request.user, user=obj, what="changed_by_operator")

    def user_change_password(self, request, id, form_url=""):
        """A password set by an operator is recorded, so the old one's sessions end at once."""
        with transaction.atomic():
            before = User.objects.filter(pk=id).values_list("password", flat=True).first()
            response = super().user_change_password(request, id, form_url)
            account = User.objects.filter(pk=id).first()
            if account is not None and account.password != before:
                note_account_change(actor=request.user, user=account, what="changed_by_operator")
        return response

    add_fieldsets = (
        (None, {"classes": ("wide",), "fields": ("email", "full_name", "password1", "password2")}),
    )


@admin.register(RoleGrant)
class RoleGrantAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    """Roles change through recorded actions, not by editing rows."""

    list_display = ["user", "role", "granted_at", "granted_by", "revoked_at"]
    list_filter = ["role"]
