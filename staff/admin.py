"""Staff in the Django admin: the support queue (filters, search, internal notes, replies that reach the user,
their delivery state), analytics events and request logs (read-only), and the dashboard page (staff/dashboard.py)."""

from django import forms
from django.contrib import admin, messages
from django.db.models import Count

from botapp.models import Outbox

from . import services
from .models import AnalyticsEvent, RequestLog, SupportMessage, SupportReply


class SupportReplyInline(admin.TabularInline):
    model = SupportReply
    extra = 0
    can_delete = False
    fields = ("created_at", "author", "text", "channel", "delivery")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False  # replies are written with the "Reply" field of the message form

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("author")

    @admin.display(description="delivery")
    def delivery(self, reply: SupportReply) -> str:
        if reply.outbox_id is None:
            return "in the app only (no Telegram chat)"
        row = Outbox.objects.filter(pk=reply.outbox_id).values("status", "last_error").first()
        if row is None:
            return "delivered (outbox row pruned)"
        return f"{row['status']}: {row['last_error']}" if row["last_error"] else row["status"]


class SupportMessageForm(forms.ModelForm):
    reply = forms.CharField(
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text="Sent to the user in Telegram (if they have it) and shown in their support history.",
    )

    class Meta:
        model = SupportMessage
        fields = ("status", "admin_notes")


@admin.register(SupportMessage)
class SupportMessageAdmin(admin.ModelAdmin):
    form = SupportMessageForm
    list_display = ("subject", "source", "user", "contact", "status", "reply_count", "created_at")
    list_filter = ("status", "source", "created_at")
    search_fields = ("subject", "message", "contact", "user__first_name", "user__last_name", "user__username",
                     "user__email")  # fmt: skip
    list_select_related = ("user",)
    readonly_fields = ("user", "source", "subject", "message", "contact", "client_ip", "created_at", "updated_at")
    fieldsets = (
        (
            None,
            {"fields": ("subject", "message", "user", "source", "contact", "client_ip", "created_at", "updated_at")},
        ),
        ("Work", {"fields": ("status", "admin_notes", "reply")}),
    )
    inlines = [SupportReplyInline]
    actions = ["mark_in_progress", "mark_resolved", "mark_closed"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(n_replies=Count("replies"))

    @admin.display(description="replies", ordering="n_replies")
    def reply_count(self, obj) -> int:
        return obj.n_replies

    def has_add_permission(self, request):
        return False

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)  # the admin wraps this in one transaction with the reply
        text = form.cleaned_data.get("reply", "").strip()
        if text:
            reply = services.support_reply_create(support_message=obj, author=request.user, text=text)
            if reply.outbox_id:
                self.message_user(request, "Reply saved and queued for the user's Telegram chat.", messages.SUCCESS)
            else:
                self.message_user(request, "Reply saved; the user has no Telegram chat: they see it in the app.",
                                  messages.WARNING)  # fmt: skip

    def _mark(self, request, queryset, status):
        count = queryset.update(status=status)
        self.message_user(request, f"{count} message(s) marked {status}.", messages.SUCCESS)

    @admin.action(description="Mark in progress")
    def mark_in_progress(self, request, queryset):
        self._mark(request, queryset, SupportMessage.Status.IN_PROGRESS)

    @admin.action(description="Mark resolved")
    def mark_resolved(self, request, queryset):
        self._mark(request, queryset, SupportMessage.Status.RESOLVED)

    @admin.action(description="Mark closed")
    def mark_closed(self, request, queryset):
        self._mark(request, queryset, SupportMessage.Status.CLOSED)


class ReadOnlyAdmin(admin.ModelAdmin):
    show_full_result_count = False  # no COUNT(*) over the whole log on every page

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(AnalyticsEvent)
class AnalyticsEventAdmin(ReadOnlyAdmin):
    list_display = ("event_name", "category", "user_role", "page_path", "platform", "created_at")
    list_filter = ("category", "platform", "user_role")
    search_fields = ("event_name", "page_path", "session_id")


@admin.register(RequestLog)
class RequestLogAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "method", "path", "status_code", "duration_ms", "user_id", "client_ip")
    list_filter = ("method", "status_code")
    search_fields = ("path",)
