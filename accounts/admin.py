from django.contrib import admin, messages
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.core.cache import cache
from django.core.exceptions import ValidationError
from rest_framework.throttling import BaseThrottle
from rest_framework_simplejwt.token_blacklist.admin import OutstandingTokenAdmin as BaseOutstandingTokenAdmin
from rest_framework_simplejwt.token_blacklist.models import OutstandingToken

from .models import (
    Invitation,
    LoginSession,
    ParentProfile,
    ParentStudentRelation,
    StudentProfile,
    TeacherProfile,
    TeacherStudentLink,
    User,
)


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    """No password or token hash is shown anywhere (only whether a password is set); e-mail codes and tokens are
    not registered at all."""

    ordering = ["-created_at"]
    list_display = [
        "__str__",
        "telegram_id",
        "max_id",
        "username",
        "email",
        "email_verified",
        "timezone",
        "is_beta_tester",
        "is_staff",
        "created_at",
        "deleted_at",
    ]
    list_filter = [
        "is_staff",
        "is_active",
        "email_verified",
        "is_beta_tester",
        ("deleted_at", admin.EmptyFieldListFilter),
        ("max_id", admin.EmptyFieldListFilter),
        "timezone",
    ]
    search_fields = ["first_name", "last_name", "username", "email", "=telegram_id", "=max_id"]
    readonly_fields = ["id", "password_state", "created_at", "updated_at", "last_login"]
    fieldsets = [
        (None, {"fields": ["id", "email", "email_verified", "language", "password_state"]}),
        ("Telegram and MAX", {"fields": ["telegram_id", "max_id", "username", "first_name", "last_name"]}),
        ("Profile", {"fields": ["city", "timezone", "is_beta_tester", "referral_source", "deleted_at"]}),
        ("Permissions", {"fields": ["is_active", "is_staff", "is_superuser", "groups", "user_permissions"]}),
        ("Dates", {"fields": ["last_login", "created_at", "updated_at"]}),
    ]
    add_fieldsets = [(None, {"classes": ["wide"], "fields": ["email", "password1", "password2", "is_staff"]})]
    actions = ["resend_verification", "force_password_reset"]

    @admin.display(description="Password")
    def password_state(self, obj) -> str:
        if not obj.pk or not obj.has_usable_password():
            return "not set"
        return "set (change it with the form's password link)"

    @admin.action(description="Resend the e-mail verification (code or link)")
    def resend_verification(self, request, queryset):
        from .services.email_auth import staff_verification_resend

        sent = sum(staff_verification_resend(user=user) for user in queryset)
        self.message_user(request, f"Verification sent to {sent} of {queryset.count()} user(s).", messages.SUCCESS)

    @admin.action(description="Force a password reset (ends every session, mails a reset link)")
    def force_password_reset(self, request, queryset):
        from .services.email_auth import staff_password_reset_force

        done = sum(staff_password_reset_force(user=user) for user in queryset)
        self.message_user(request, f"Password reset forced for {done} of {queryset.count()} user(s).", messages.SUCCESS)


@admin.register(TeacherProfile)
class TeacherProfileAdmin(admin.ModelAdmin):
    list_display = ["display_name", "user", "referral_code", "late_cancel_policy", "cancel_cutoff_hours", "created_at"]
    list_filter = ["late_cancel_policy", "teacher_cancel_gives_credit"]
    search_fields = ["display_name", "referral_code", "user__username", "user__first_name", "user__last_name"]
    list_select_related = ["user"]
    raw_id_fields = ["user"]
    readonly_fields = ["id", "referral_code", "created_at", "updated_at"]


@admin.register(StudentProfile)
class StudentProfileAdmin(admin.ModelAdmin):
    list_display = ["__str__", "parent_invite_code", "created_at"]
    search_fields = ["parent_invite_code", "user__username", "user__first_name", "user__last_name"]
    list_select_related = ["user"]
    raw_id_fields = ["user"]
    readonly_fields = ["id", "parent_invite_code", "created_at", "updated_at"]


@admin.register(ParentProfile)
class ParentProfileAdmin(admin.ModelAdmin):
    list_display = ["__str__", "created_at"]
    search_fields = ["user__username", "user__first_name", "user__last_name"]
    list_select_related = ["user"]
    raw_id_fields = ["user"]


@admin.register(TeacherStudentLink)
class TeacherStudentLinkAdmin(admin.ModelAdmin):
    list_display = ["teacher", "student", "archived_at", "created_at"]
    list_filter = [("archived_at", admin.EmptyFieldListFilter)]
    search_fields = [
        "teacher__display_name",
        "student__user__first_name",
        "student__user__last_name",
        "student__user__username",
    ]
    list_select_related = ["teacher", "student__user"]
    raw_id_fields = ["teacher", "student"]


@admin.register(ParentStudentRelation)
class ParentStudentRelationAdmin(admin.ModelAdmin):
    list_display = ["parent", "student", "teacher", "notifications_enabled", "created_at"]
    list_filter = ["notifications_enabled"]
    search_fields = ["parent__user__first_name", "student__user__first_name", "teacher__display_name"]
    list_select_related = ["parent__user", "student__user", "teacher"]
    raw_id_fields = ["parent", "student", "teacher"]


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    list_display = ["type", "teacher", "student", "created_at", "expires_at", "used_at"]
    list_filter = ["type", ("used_at", admin.EmptyFieldListFilter)]
    search_fields = ["teacher__display_name"]
    list_select_related = ["teacher", "student__user"]
    raw_id_fields = ["teacher", "student"]
    exclude = ["token"]  # a live secret: never shown


# simplejwt stores every refresh token as a signed JWT; staff see who/when, never the token itself.
admin.site.unregister(OutstandingToken)


@admin.register(OutstandingToken)
class OutstandingTokenAdmin(BaseOutstandingTokenAdmin):
    fields = ["jti", "user", "created_at", "expires_at"]

    def get_readonly_fields(self, *args, **kwargs) -> list[str]:
        return list(self.fields)


@admin.register(LoginSession)
class LoginSessionAdmin(admin.ModelAdmin):
    """Sign-ins; staff can end one (a lost phone): its tokens are refused from the next request on."""

    list_display = ["sid", "user", "created_at", "expires_at", "ended_at", "end_reason"]
    list_filter = [("ended_at", admin.EmptyFieldListFilter), "end_reason"]
    search_fields = ["=sid", "user__username", "user__email", "=user__telegram_id"]
    list_select_related = ["user"]
    actions = ["end_sessions"]

    def get_readonly_fields(self, request, obj=None) -> list[str]:
        return [f.name for f in LoginSession._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False

    @admin.action(description="End the selected sessions (sign those devices out)")
    def end_sessions(self, request, queryset) -> None:
        from .tokens import login_session_end

        for sid in queryset.filter(ended_at__isnull=True).values_list("sid", flat=True):
            login_session_end(sid, reason=LoginSession.EndReason.STAFF)


# Admin sign-in: after ADMIN_LOGIN_MAX_FAILURES wrong passwords from one client address (as the API throttles
# see it, X-Forwarded-For of the trusted proxy) that address is refused for the rest of the window.
ADMIN_LOGIN_MAX_FAILURES = 10
ADMIN_LOGIN_WINDOW_SECONDS = 15 * 60
ADMIN_LOGIN_KEY = "admin-login-failures:{ident}"


class ThrottledAdminLoginForm(AdminAuthenticationForm):
    def clean(self):
        key = ADMIN_LOGIN_KEY.format(ident=BaseThrottle().get_ident(self.request)) if self.request else None
        if key and (cache.get(key) or 0) >= ADMIN_LOGIN_MAX_FAILURES:
            raise ValidationError("Too many failed sign-ins from this address; try again later.", code="throttled")
        try:
            return super().clean()
        except ValidationError:
            if key:
                cache.add(key, 0, ADMIN_LOGIN_WINDOW_SECONDS)
                try:
                    cache.incr(key)
                except ValueError:  # expired between add and incr
                    cache.add(key, 1, ADMIN_LOGIN_WINDOW_SECONDS)
            raise


admin.site.login_form = ThrottledAdminLoginForm
