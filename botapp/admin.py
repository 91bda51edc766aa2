from django.contrib import admin, messages

from .models import Outbox, PeriodicJobRun, ReminderAnswer, UserNotificationSettings
from .services import outbox


@admin.register(Outbox)
class OutboxAdmin(admin.ModelAdmin):
    list_display = (
        "id",
        "channel",
        "event_type",
        "status",
        "chat_id",
        "address",
        "recipient",
        "attempts",
        "next_attempt_at",
        "created_at",
    )
    list_filter = ("status", "channel", "event_type")
    search_fields = ("dedupe_key", "chat_id", "address", "recipient__first_name", "recipient__last_name", "last_error")
    list_select_related = ("recipient",)
    # the payload may hold a sealed mail secret until the row is final: shown without it
    readonly_fields = [f.name for f in Outbox._meta.fields if f.name != "payload"] + ["payload_shown"]
    exclude = ("payload",)
    date_hierarchy = "created_at"
    actions = ["retry"]

    @admin.action(description="Retry selected failed/skipped messages")
    def retry(self, request, queryset):
        count = outbox.outbox_retry(ids=list(queryset.values_list("id", flat=True)))
        self.message_user(request, f"{count} message(s) queued again.", messages.SUCCESS)

    @admin.display(description="Payload")
    def payload_shown(self, obj) -> str:
        payload = dict(obj.payload or {})
        if "secret" in payload:
            payload["secret"] = "(sealed)" if payload["secret"] else "(cleared)"
        return str(payload) if payload else "-"

    def has_add_permission(self, request):
        return False


@admin.register(UserNotificationSettings)
class UserNotificationSettingsAdmin(admin.ModelAdmin):
    list_display = ("user", "notifications_asked", "notifications_enabled", "bot_blocked_at", "updated_at")
    list_filter = ("notifications_enabled", "notifications_asked")
    search_fields = ("user__first_name", "user__last_name", "user__telegram_id")
    raw_id_fields = ("user",)


@admin.register(PeriodicJobRun)
class PeriodicJobRunAdmin(admin.ModelAdmin):
    list_display = ("job", "period", "claimed_by", "started_at", "finished_at", "error")
    list_filter = ("job",)


@admin.register(ReminderAnswer)
class ReminderAnswerAdmin(admin.ModelAdmin):
    list_display = ("lesson_id", "student", "user", "answer", "created_at", "used_at")
    list_filter = ("answer",)
    list_select_related = ("student__user", "user")
    fields = readonly_fields = ("lesson_id", "student", "user", "answer", "created_at", "used_at")  # never the token

    def has_add_permission(self, request) -> bool:
        return False
