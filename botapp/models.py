"""Bot state: per-user notification settings, the durable outbox of messages to deliver, and a ledger of
periodic job runs (so N workers on N machines run a daily job once)."""

from django.conf import settings
from django.db import models
from django.db.models import Q


class EventType(models.TextChoices):
    """Kinds of proactive messages. The first six can be switched off per user."""

    LESSON_CREATED = "lesson_created"
    LESSON_RESCHEDULED = "lesson_rescheduled"
    LESSON_CANCELLED = "lesson_cancelled"
    LESSON_REMINDER = "lesson_reminder"
    LESSON_PROMPT = "lesson_prompt"  # "How did it go?" to the tutor when a lesson ends
    LESSON_REPORT = "lesson_report"  # the tutor's report on a lesson, to students who enable lesson reports
    NEW_STUDENT = "new_student"
    WELCOME = "welcome"
    TEST = "test"
    SUPPORT_MESSAGE = "support_message"  # a new support message, to the staff chat (SUPPORT_CHAT_ID)
    SUPPORT_REPLY = "support_reply"  # staff's answer, to the user who wrote
    LESSON_BALANCE = "lesson_balance"  # the balance with a tutor after a marked lesson (student, parents)
    PACKAGE_ENDING = "package_ending"  # 1 package lesson left (student, parents, tutor)
    WAITLIST_PROMOTED = "waitlist_promoted"  # a freed seat went to you
    MORNING_DIGEST = "morning_digest"  # the tutor's 08:00: today's lessons, confirmations, debts
    ACCOUNT_EMAIL = "account_email"  # sign-up code, e-mail link, password reset (channel email)
    MAX_REPLY = "max_reply"  # the MAX bot's answer to /start or /help (channel max)


# eventType (wire) -> settings column
PREFERENCE_FIELDS: dict[str, str] = {  # EventType (a str) -> its switch on UserNotificationSettings
    EventType.LESSON_CREATED: "lesson_created_enabled",
    EventType.LESSON_RESCHEDULED: "lesson_rescheduled_enabled",
    EventType.LESSON_CANCELLED: "lesson_cancelled_enabled",
    EventType.LESSON_REMINDER: "lesson_reminder_enabled",
    EventType.LESSON_PROMPT: "lesson_prompt_enabled",
    EventType.NEW_STUDENT: "new_student_enabled",
    EventType.LESSON_BALANCE: "lesson_balance_enabled",
    EventType.PACKAGE_ENDING: "package_ending_enabled",
    EventType.WAITLIST_PROMOTED: "waitlist_promoted_enabled",
    EventType.MORNING_DIGEST: "morning_digest_enabled",
}
# Service messages are not behind the master switch (reference §3.3) but never go to a chat that blocked us.
# Lesson messages behind the master switch only; their own switch lives elsewhere (a lesson report: the student's
# enableLessonReports, or the parent relation's flag), checked by the producer.
MASTER_ONLY_EVENTS = {EventType.LESSON_REPORT}
SERVICE_EVENTS = {EventType.WELCOME, EventType.NEW_STUDENT, EventType.TEST, EventType.SUPPORT_REPLY}


class UserNotificationSettings(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, primary_key=True, related_name="bot_settings"
    )
    notifications_asked = models.BooleanField(default=False)
    notifications_enabled = models.BooleanField(default=False, help_text="Master switch")
    lesson_created_enabled = models.BooleanField(default=True)
    lesson_rescheduled_enabled = models.BooleanField(default=True)
    lesson_cancelled_enabled = models.BooleanField(default=True)
    lesson_reminder_enabled = models.BooleanField(default=True)
    lesson_prompt_enabled = models.BooleanField(default=True)
    new_student_enabled = models.BooleanField(default=True)
    lesson_balance_enabled = models.BooleanField(default=True)
    package_ending_enabled = models.BooleanField(default=True)
    waitlist_promoted_enabled = models.BooleanField(default=True)
    morning_digest_enabled = models.BooleanField(default=True)
    bot_blocked_at = models.DateTimeField(
        null=True, blank=True, help_text="Telegram said the chat is gone or the user blocked the bot"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "user_notification_settings"
        verbose_name_plural = "user notification settings"

    def __str__(self) -> str:
        return f"settings of {self.user_id}"


class Outbox(models.Model):
    """One message to one recipient on one channel. Written in the transaction of the change that caused it,
    delivered by `run_worker`.

    `dedupe_key` is unique: (event, recipient, lesson, lesson start[, about student]); producers insert with
    ignore_conflicts, so the same message can never be queued twice, whatever the number of workers.
    `channel` says who delivers it: Telegram rows carry `chat_id`; other channels (MAX, email) carry their
    `address` (a MAX user id, an email address) and are claimed only by their own sender."""

    class Channel(models.TextChoices):
        TELEGRAM = "telegram"
        MAX = "max"
        EMAIL = "email"

    class Status(models.TextChoices):
        PENDING = "pending"
        SENDING = "sending"
        SENT = "sent"
        FAILED = "failed"
        SKIPPED = "skipped"

    id = models.BigAutoField(primary_key=True)
    event_type = models.CharField(max_length=32, choices=EventType.choices)
    dedupe_key = models.CharField(max_length=255, unique=True)
    # Null for a chat that is not a user's (the staff support chat).
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="bot_outbox"
    )
    channel = models.CharField(max_length=16, choices=Channel.choices, default=Channel.TELEGRAM)
    chat_id = models.BigIntegerField(null=True, blank=True, help_text="Telegram chat (telegram channel only)")
    address = models.CharField(max_length=254, blank=True, default="", help_text="Where other channels deliver")
    lesson_id = models.UUIDField(null=True, blank=True)
    lesson_start = models.DateTimeField(null=True, blank=True)
    text = models.TextField()
    reply_markup = models.JSONField(null=True, blank=True)
    # email: kind, language, name and the sealed secret (cleared once the row is final, botapp/channels/email.py);
    # max: {"chat_id": …} when answering in a chat rather than to the user `address`
    payload = models.JSONField(null=True, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    claimed_by = models.CharField(max_length=64, blank=True, default="")
    claimed_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True, default="")
    telegram_message_id = models.BigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "bot_outbox"
        verbose_name_plural = "outbox"
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["channel", "next_attempt_at"], name="outbox_due_idx", condition=Q(status="pending")),
            models.Index(fields=["lesson_id", "event_type"], name="outbox_lesson_idx"),
            models.Index(fields=["status", "created_at"], name="outbox_status_created_idx"),
        ]
        constraints = [
            # A row names where it goes: a Telegram chat, or another channel's address.
            models.CheckConstraint(
                condition=Q(channel="telegram", chat_id__isnull=False) | (~Q(channel="telegram") & ~Q(address="")),
                name="outbox_has_destination",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event_type} → {self.chat_id or self.address} ({self.status})"


class PeriodicJobRun(models.Model):
    """A claimed run of a periodic job for one period (e.g. purge_archived for 2025-01-15)."""

    job = models.CharField(max_length=64)
    period = models.CharField(max_length=32)
    claimed_by = models.CharField(max_length=64)
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True, default="")

    class Meta:
        db_table = "bot_periodic_job_runs"
        constraints = [models.UniqueConstraint(fields=["job", "period"], name="uniq_job_period")]

    def __str__(self) -> str:
        return f"{self.job} {self.period}"


class ReminderAnswer(models.Model):
    """The opaque, single-use token behind a reminder's "I'll come" / "Can't come" buttons: it names the
    lesson, the student the answer is about and the one user (student or parent) whose tap counts.
    Callback data carries only the random token, never ids; `used_at` is set by the answer that acted."""

    token = models.CharField(max_length=32, primary_key=True)
    lesson_id = models.UUIDField(db_index=True)  # not a FK: a deleted lesson leaves the token to say so
    student = models.ForeignKey("accounts.StudentProfile", on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    used_at = models.DateTimeField(null=True, blank=True)
    answer = models.CharField(max_length=16, blank=True, default="")

    class Meta:
        db_table = "bot_reminder_answers"

    def __str__(self) -> str:
        return f"answer {self.lesson_id} / {self.student_id} ({self.answer or 'open'})"
