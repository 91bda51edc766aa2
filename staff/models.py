"""Staff data: the support desk (messages from users and the landing form, staff replies), usage analytics
events and per-request logs. Nothing here is imported by the domain apps."""

import uuid

from django.conf import settings
from django.db import models


class SupportMessage(models.Model):
    class Status(models.TextChoices):
        NEW = "new"
        IN_PROGRESS = "in_progress"
        RESOLVED = "resolved"
        CLOSED = "closed"

    class Source(models.TextChoices):
        APP = "app"
        LANDING = "landing"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="support_messages"
    )
    source = models.CharField(max_length=16, choices=Source.choices, default=Source.APP)
    subject = models.CharField(max_length=255)
    message = models.TextField()
    contact = models.CharField(max_length=100, blank=True, default="", help_text="Landing form: how to answer")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.NEW)
    admin_notes = models.TextField(blank=True, default="", help_text="Internal; never shown to the user")
    client_ip = models.GenericIPAddressField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "support_messages"
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["status", "-created_at"], name="support_status_idx"),
            models.Index(fields=["user", "-created_at"], name="support_user_idx"),
        ]

    def __str__(self) -> str:
        return self.subject


class SupportReply(models.Model):
    """A staff answer to a support message. Delivered through botapp's outbox; `outbox_id` points at the row so
    the admin shows whether it reached the user (a blocked bot = failed; the reply text is kept regardless)."""

    class Channel(models.TextChoices):
        TELEGRAM = "telegram"
        MAX = "max"
        EMAIL = "email"
        NONE = "none"  # no channel to reach the writer: shown in the app only

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    support_message = models.ForeignKey(SupportMessage, on_delete=models.CASCADE, related_name="replies")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    text = models.TextField()
    channel = models.CharField(max_length=16, choices=Channel.choices, default=Channel.NONE)
    outbox_id = models.BigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "support_replies"
        ordering = ["created_at"]
        verbose_name_plural = "support replies"

    def __str__(self) -> str:
        return self.text[:50]


class AnalyticsEvent(models.Model):
    id = models.BigAutoField(primary_key=True)
    event_name = models.CharField(max_length=100)
    category = models.CharField(max_length=50, blank=True, default="")
    user_id = models.UUIDField(null=True, blank=True, help_text="Only from a verified token")
    user_role = models.CharField(max_length=20, blank=True, default="")
    page_path = models.CharField(max_length=500, blank=True, default="")
    metadata = models.JSONField(null=True, blank=True)
    platform = models.CharField(max_length=20, default="web")
    session_id = models.CharField(max_length=100, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        db_table = "analytics_events"
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["event_name", "-created_at"], name="analytics_name_idx")]

    def __str__(self) -> str:
        return self.event_name


class RequestLog(models.Model):
    """One API request, written in batches off the request path (staff/request_log.py). `path` is the
    normalised route (ids and codes replaced by :name), bodies are masked."""

    id = models.BigAutoField(primary_key=True)
    created_at = models.DateTimeField(db_index=True)
    method = models.CharField(max_length=10)
    path = models.CharField(max_length=500)
    status_code = models.PositiveSmallIntegerField()
    duration_ms = models.PositiveIntegerField()
    user_id = models.UUIDField(null=True, blank=True)
    user_role = models.CharField(max_length=20, blank=True, default="")
    client_ip = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True, default="")
    request_body = models.TextField(blank=True, default="")
    response_body = models.TextField(blank=True, default="")

    class Meta:
        db_table = "request_logs"
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["method", "path", "-created_at"], name="reqlog_route_idx"),
            models.Index(fields=["status_code", "-created_at"], name="reqlog_status_idx"),
            models.Index(fields=["user_id", "-created_at"], name="reqlog_user_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.method} {self.path} {self.status_code}"
