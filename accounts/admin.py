from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin

from accounts.models import Invitation, LoginFailure, Membership, User, Workspace
from accounts.services import invitation_revoke


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(User)
class PapershelfUserAdmin(UserAdmin):
    list_display = ("username", "email", "is_staff", "is_active", "date_joined", "last_login")


@admin.register(Workspace)
class WorkspaceAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "is_personal", "created_at")
    list_filter = ("is_personal", "created_at")
    search_fields = ("name", "slug")
    inlines = [MembershipInline]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ("user", "workspace", "role", "created_at")
    list_filter = ("role", "workspace__is_personal")
    list_select_related = ("user", "workspace")
    search_fields = ("user__username", "workspace__name")
    autocomplete_fields = ["user", "workspace"]


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    list_display = ("workspace", "role", "created_by", "expires_at", "accepted_by", "revoked_at")
    list_filter = ("role", "expires_at", "revoked_at")
    search_fields = ("workspace__name", "created_by__username")
    list_select_related = ("workspace", "created_by", "accepted_by")
    readonly_fields = ("token_hash",)
    actions = ["revoke"]

    @admin.action(description="Revoke the selected invitations", permissions=["change"])
    def revoke(self, request, queryset):
        for invitation in queryset:
            invitation_revoke(invitation=invitation)
        self.message_user(request, "Revoked; accepted invitations stay accepted.", messages.SUCCESS)


@admin.register(LoginFailure)
class LoginFailureAdmin(admin.ModelAdmin):
    list_display = ("username", "ip_address", "created_at")
    list_filter = ("created_at",)
    search_fields = ("username", "ip_address")
