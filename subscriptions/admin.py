from django.contrib import admin
from django.db.models import F, Q
from django.utils import timezone

from .models import MakeUpCredit, Subscription
from .selectors import display_text, is_active, is_expired


def expired_q() -> Q:
    now = timezone.now()
    return Q(type=Subscription.Type.LESSONS, total_lessons__isnull=False, used_lessons__gte=F("total_lessons")) | Q(
        type=Subscription.Type.DATE, expires_at__lt=now
    )


class ExpiredFilter(admin.SimpleListFilter):
    title = "expired"
    parameter_name = "expired"

    def lookups(self, request, model_admin):
        return [("yes", "Expired / used up"), ("no", "Not expired")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(expired_q())
        if self.value() == "no":
            return queryset.exclude(expired_q())
        return queryset


class ActiveFilter(admin.SimpleListFilter):
    title = "active"
    parameter_name = "active"

    def lookups(self, request, model_admin):
        return [("yes", "Active (not deleted, not expired)"), ("no", "Inactive (deleted or expired)")]

    def queryset(self, request, queryset):
        active = Q(deleted_at__isnull=True) & ~expired_q()
        if self.value() == "yes":
            return queryset.filter(active)
        if self.value() == "no":
            return queryset.exclude(active)
        return queryset


@admin.register(Subscription)
class SubscriptionAdmin(admin.ModelAdmin):
    list_display = [
        "__str__",
        "teacher",
        "student",
        "type",
        "used_lessons",
        "total_lessons",
        "expires_at",
        "state",
        "created_at",
        "deleted_at",
    ]
    list_filter = [
        "type",
        ActiveFilter,
        ExpiredFilter,
        ("deleted_at", admin.EmptyFieldListFilter),
        ("teacher", admin.RelatedOnlyFieldListFilter),
    ]
    list_select_related = ["teacher", "student__user"]
    search_fields = [
        "name",
        "teacher__display_name",
        "student__user__first_name",
        "student__user__last_name",
        "student__user__username",
    ]
    raw_id_fields = ["teacher", "student"]
    readonly_fields = ["id", "created_at", "updated_at"]
    date_hierarchy = "created_at"
    ordering = ["-created_at"]

    @admin.display(description="state")
    def state(self, obj: Subscription) -> str:
        if obj.deleted_at is not None:
            return "deleted"
        if is_expired(obj):
            return "expired"
        return display_text(obj) if is_active(obj) else "inactive"


@admin.register(MakeUpCredit)
class MakeUpCreditAdmin(admin.ModelAdmin):
    list_display = ["student", "teacher", "reason", "expires_at", "spent_at", "lapsed_at", "revoked_at"]
    list_filter = [("spent_at", admin.EmptyFieldListFilter), ("lapsed_at", admin.EmptyFieldListFilter)]
    search_fields = ["student__user__first_name", "student__user__last_name", "teacher__display_name", "reason"]
    list_select_related = ["student__user", "teacher"]
    raw_id_fields = ["teacher", "student"]
    readonly_fields = ["id", "created_at"]
